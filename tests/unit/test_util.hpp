// Small helpers for the bad-input tests: run a call, return the birnn::Error message it threw.
#pragma once
#include <string>

#include "birnn/error.hpp"

namespace birnn::testing {

/// The what() of the birnn::Error that f() throws, or "(no exception)".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace birnn::testing
