// Small file helpers for checkpoints: bounded whole-file reads and two-phase (staged) writes.
#pragma once
#include <cstdint>
#include <span>
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
  /// Commits several staged files in order, all or nothing. Each existing target is first kept as
  /// "<target>.backup.<pid>" (a hard link; renamed aside where linking is impossible). If a rename fails,
  /// the files already committed get their old contents back (or are removed if they are new) and the
  /// FormatError is rethrown; if that rollback fails too, the message says so and names the backups kept.
  /// Either way the parent directories are fsynced and no other backup remains. A backup with our pid
  /// left by a crashed earlier process is replaced; one of another pid is left alone.
  static void commit_all(std::span<StagedFile* const> files);

 private:
  std::string target_, staged_;
  bool committed_ = false;
};

/// Best effort: makes renames inside the directory of `path` durable.
void fsync_parent_directory(const std::string& path);

}  // namespace birnn::io
