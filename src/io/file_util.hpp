// Small file helpers for checkpoints: bounded whole-file reads and two-phase (staged) writes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace birnn::io {

/// Reads a whole regular file. A missing file, a directory, a FIFO or a file larger than max_bytes
/// throws FormatError starting with path and `what` (e.g. "checkpoint sidecar").
std::vector<unsigned char> read_file(const std::string& path, std::uint64_t max_bytes, const std::string& what);

/// A file written in two phases: first to "<target>.partial.<pid>" (durably: write, fsync, close),
/// later renamed onto target by commit(). Until then target is untouched; the destructor deletes an
/// uncommitted staged file, so a failed save leaves nothing behind.
class StagedFile {
 public:
  explicit StagedFile(std::string target);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  const std::string& target() const { return target_; }
  const std::string& staged_path() const { return staged_; }
  /// Writes bytes to the staged path; FormatError naming the target on failure.
  void write(const void* data, std::size_t n);
  /// Renames the staged file onto the target (the caller has written it, here or by other means).
  void commit();

 private:
  std::string target_, staged_;
  bool committed_ = false;
};

/// Best effort: makes renames inside the directory of `path` durable.
void fsync_parent_directory(const std::string& path);

}  // namespace birnn::io
