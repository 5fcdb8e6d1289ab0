// Stream buffers for the tests of bounded line reading (data::detail::BoundedLineReader and the tasks'
// predict): an endless line, like `< /dev/zero`, and a read that fails part way, like a disk error.
#pragma once
#include <ios>
#include <streambuf>
#include <string>

namespace birnn::testing {

/// An input that never ends and never holds a "\n": every read returns more of `fill`.
class EndlessBuf : public std::streambuf {
 public:
  explicit EndlessBuf(char fill = 'x') {
    for (char& c : buf_) c = fill;
  }

 protected:
  int_type underflow() override {
    setg(buf_, buf_, buf_ + sizeof buf_);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  char buf_[4096];
};

/// Serves `good`, then fails the next read the way libstdc++'s filebuf throws on a read error.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string good) : good_(std::move(good)) { setg(good_.data(), good_.data(), good_.data() + good_.size()); }

 protected:
  int_type underflow() override { throw std::ios_base::failure("read error"); }

 private:
  std::string good_;
};

}  // namespace birnn::testing
