#include "data/line_reader.hpp"

#include <cstdio>
#include <iostream>
#include <new>
#include <utility>

#include "birnn/error.hpp"

namespace birnn::data::detail {

BoundedLineReader::BoundedLineReader(std::istream& in, std::int64_t max_bytes, std::string what)
    : in_(in), max_bytes_(max_bytes), what_(std::move(what)) {}

std::string BoundedLineReader::where() const { return what_ + ":" + std::to_string(number_) + ": "; }

bool BoundedLineReader::next(std::string& line) {
  line.clear();
  // The sentry flushes a tied output stream first (std::cin is tied to std::cout), so an interactive user
  // sees the previous line's prediction before the program waits for the next line.
  const std::istream::sentry ok(in_, /*noskipws=*/true);
  if (!ok) return at_end();
  using traits = std::istream::traits_type;
  std::streambuf* buf = in_.rdbuf();
  bool any = false;
  try {
    for (;;) {
      const traits::int_type c = buf->sbumpc();
      if (traits::eq_int_type(c, traits::eof())) {
        in_.setstate(std::ios::eofbit);
        break;
      }
      any = true;
      if (traits::to_char_type(c) == '\n') break;
      if (static_cast<std::int64_t>(line.size()) >= max_bytes_)
        throw FormatError(what_ + " line " + std::to_string(number_ + 1) + " is longer than " +
                          std::to_string(max_bytes_) + " bytes");
      line.push_back(traits::to_char_type(c));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // A read error inside the stream buffer (libstdc++'s filebuf throws on one, e.g. reading a folder).
    throw FormatError(what_ + ": reading line " + std::to_string(number_ + 1) + " failed: " + e.what());
  }
  if (!any) return at_end();
  ++number_;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool BoundedLineReader::at_end() {
  // std::cin reads through C stdio (sync_with_stdio), whose read errors (stdin redirected from a folder)
  // end the input without reaching the stream's state: ferror(stdin) keeps them.
  if (in_.bad() || (&in_ == &std::cin && std::ferror(stdin)))
    throw FormatError(what_ + ": reading failed after line " + std::to_string(number_) +
                      " (the stream reports an error, not the end of the input)");
  return false;
}

}  // namespace birnn::data::detail
