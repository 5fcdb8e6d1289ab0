#include "io/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "birnn/error.hpp"

namespace birnn::io {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) { throw FormatError(path + ": " + what); }
std::string errno_text() { return std::strerror(errno); }

// A target of StagedFile::commit_all() and how to undo its commit.
struct Undo {
  std::string target, backup;  // backup empty: there was no old target
  bool moved_aside = false;    // the old target was renamed to backup (no hard link), not linked
};

// Keeps the old target, if any, under a backup name so that replacing it can be undone.
Undo keep_old(const std::string& target) {
  Undo u{target, target + ".backup." + std::to_string(::getpid())};
  ::unlink(u.backup.c_str());  // a leftover of a crashed earlier process with our pid
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(target, "cannot stat it: " + errno_text());
    u.backup.clear();
    return u;
  }
  if (S_ISDIR(st.st_mode)) {  // the rename onto it will fail: nothing to keep
    u.backup.clear();
    return u;
  }
  if (::link(target.c_str(), u.backup.c_str()) == 0) return u;
  // No hard links here (some file systems): move it aside; the target is missing until the rename.
  if (::rename(target.c_str(), u.backup.c_str()) != 0)
    fail(target, "cannot keep a backup of it as " + u.backup + ": " + errno_text());
  u.moved_aside = true;
  return u;
}

// Renames staged onto target, keeping the old target; if that fails, throws with the old target in place.
Undo replace(const std::string& staged, const std::string& target) {
  Undo u = keep_old(target);
  if (::rename(staged.c_str(), target.c_str()) == 0) return u;
  const std::string why = "cannot rename " + staged + " onto it: " + errno_text();
  if (!u.moved_aside) {
    if (!u.backup.empty()) ::unlink(u.backup.c_str());
  } else if (::rename(u.backup.c_str(), target.c_str()) != 0) {
    fail(target, why + "; its previous file stays as " + u.backup + " (cannot rename it back: " + errno_text() + ")");
  }
  fail(target, why);
}

// Undoes a commit: the old file back at the target, or a new target removed. Returns what failed, if anything.
std::string roll_back(const Undo& u) {
  if (u.backup.empty()) {
    if (::unlink(u.target.c_str()) == 0) return {};
    return u.target + " (cannot remove it: " + errno_text() + ")";
  }
  if (::rename(u.backup.c_str(), u.target.c_str()) == 0) return {};
  return u.target + " (its previous file stays as " + u.backup + ": " + errno_text() + ")";
}

// Undoes the commits in reverse order; returns the failures, "" if none.
std::string roll_back_all(const std::vector<Undo>& done) {
  std::string failed;
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    const std::string f = roll_back(*it);
    if (!f.empty()) failed += (failed.empty() ? "" : ", ") + f;
  }
  return failed;
}

void sync_parent_directories(std::span<StagedFile* const> files) {
  std::vector<std::filesystem::path> done;
  for (const StagedFile* f : files) {
    const auto dir = std::filesystem::path(f->target()).parent_path();
    if (std::find(done.begin(), done.end(), dir) != done.end()) continue;
    done.push_back(dir);
    fsync_parent_directory(f->target());
  }
}
}  // namespace

std::vector<unsigned char> read_file(const std::string& path, std::uint64_t max_bytes, const std::string& what) {
  // O_NONBLOCK: a FIFO in the file's place cannot hang the open.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(path, "cannot open " + what + ": " + errno_text());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, "cannot stat " + what + ": " + errno_text());
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file, expected a " + what);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) fail(path, what + " is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) + " accepted");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, "cannot read " + what + ": " + errno_text());
    if (r == 0) fail(path, what + " shrank while being read");
    got += static_cast<std::size_t>(r);
  }
  return bytes;
}

StagedFile::StagedFile(std::string target) : target_(std::move(target)) {
  staged_ = target_ + ".partial." + std::to_string(::getpid());
}

StagedFile::~StagedFile() {
  if (!committed_) ::unlink(staged_.c_str());
}

void StagedFile::write(const void* data, std::size_t n) {
  const int fd = ::open(staged_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(target_, "cannot create " + staged_ + ": " + errno_text());
  const auto* p = static_cast<const unsigned char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = w < 0 ? errno_text() : "no progress";
      ::close(fd);
      fail(target_, "cannot write " + staged_ + ": " + why);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    fail(target_, "cannot fsync " + staged_ + ": " + why);
  }
  if (::close(fd) != 0) fail(target_, "cannot close " + staged_ + ": " + errno_text());
}

void StagedFile::commit() {
  if (::rename(staged_.c_str(), target_.c_str()) != 0) fail(target_, "cannot rename " + staged_ + " onto it: " + errno_text());
  committed_ = true;
}

void StagedFile::commit_all(std::span<StagedFile* const> files) {
  std::vector<Undo> done;
  done.reserve(files.size());
  try {
    for (StagedFile* f : files) {
      done.push_back(replace(f->staged_, f->target_));
      f->committed_ = true;
    }
  } catch (...) {
    const std::string failed = roll_back_all(done);
    sync_parent_directories(files);
    if (failed.empty()) throw;
    try {
      throw;
    } catch (const FormatError& e) {  // other exceptions propagate as they are
      throw FormatError(std::string(e.what()) + "; rolling back the files renamed before failed too: " + failed);
    }
  }
  sync_parent_directories(files);
  // The backups go only once the renames are durable.
  for (const Undo& u : done)
    if (!u.backup.empty()) ::unlink(u.backup.c_str());
}

void fsync_parent_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace birnn::io
