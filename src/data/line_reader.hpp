// Line-by-line reading of a stream with a bound on the line length, for the tasks' predict input
// (stdin or a file of unknown size): a line longer than the bound is an error as soon as it passes the
// bound, not after it has been read whole (`birnn predict CKPT < /dev/zero` is one endless line), and a
// stream that fails (a read error, a folder given as input) is an error, not a quiet end of the input.
#pragma once
#include <cstdint>
#include <istream>
#include <string>

namespace birnn::data::detail {

class BoundedLineReader {
 public:
  /// Reads `in` in lines of at most max_bytes bytes (not counting the "\n" that ends them).
  /// `what` names the input in messages ("input").
  BoundedLineReader(std::istream& in, std::int64_t max_bytes, std::string what = "input");

  /// The next line into `line`, without its "\n" (and a "\r" before it); the last line may lack the "\n".
  /// False at the end of the input. FormatError "input line N is longer than LIMIT bytes" as soon as a
  /// line passes the bound (the rest of it is not read), and FormatError if the stream failed for any
  /// reason other than reaching its end (std::istream::bad(), or an exception from its buffer).
  bool next(std::string& line);
  /// The number of the line last returned (from 1).
  std::int64_t number() const { return number_; }
  /// "input:N: " for messages about the line last returned.
  std::string where() const;

 private:
  bool at_end();

  std::istream& in_;
  std::int64_t max_bytes_;
  std::string what_;
  std::int64_t number_ = 0;
};

}  // namespace birnn::data::detail
