// Private helpers of the readers: whole-file reads with the common checks, line iteration with line
// numbers, and "path:line: " error messages.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "birnn/data/text.hpp"

namespace birnn::data::detail {

/// Reads path whole (FormatError if missing, not a regular file, empty or only whitespace), then
/// applies the UTF-8 policy: `error` throws naming line and column of the first bad byte.
std::string read_text_file(const std::string& path, InvalidUtf8 policy, const std::string& what);

/// [[noreturn]] FormatError("path:line: message").
[[noreturn]] void fail_at(const std::string& path, std::int64_t line, const std::string& message);

/// Iterates the lines of text (without "\n" or "\r\n"), counting from 1.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  /// Next line into `line`; false at the end.
  bool next(std::string_view& line);
  std::int64_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
};

bool is_blank(std::string_view s);

}  // namespace birnn::data::detail
