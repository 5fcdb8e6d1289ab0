#include "data/text_file.hpp"

#include "birnn/error.hpp"
#include "io/file_util.hpp"

namespace birnn::data::detail {

void fail_at(const std::string& path, std::int64_t line, const std::string& message) {
  throw FormatError(path + ":" + std::to_string(line) + ": " + message);
}

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  return true;
}

std::string read_text_file(const std::string& path, InvalidUtf8 policy, const std::string& what) {
  const auto bytes = io::read_file(path, std::uint64_t{1} << 34, what);
  std::string text(bytes.begin(), bytes.end());
  if (is_blank(text)) throw FormatError(path + ": " + what + " is empty");
  const std::size_t bad = find_invalid_utf8(text);
  if (bad == std::string::npos) return text;
  if (policy != InvalidUtf8::error) return repair_utf8(text, policy);
  std::int64_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < bad; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  static const char* hex = "0123456789abcdef";
  const auto b = static_cast<unsigned char>(text[bad]);
  fail_at(path, line, std::string("byte 0x") + hex[b >> 4] + hex[b & 15] + " at column " + std::to_string(bad - line_start + 1) +
                          " is not valid UTF-8 (convert the file to UTF-8, e.g. with iconv, or choose to replace such bytes)");
}

bool Lines::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  std::size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end + 1;
  ++number_;
  return true;
}

}  // namespace birnn::data::detail
