#include "io/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "birnn/error.hpp"

namespace birnn::io {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) { throw FormatError(path + ": " + what); }
std::string errno_text() { return std::strerror(errno); }
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

void fsync_parent_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace birnn::io
