// Small helpers for the bad-input tests: run a call, return the birnn::Error message it threw.
#pragma once
#include <string>

#include "birnn/error.hpp"

namespace birnn::testing {

/// The what() of the exception of type E (default: any birnn::Error) that f() throws; "(no exception)",
/// or "(wrong exception type) ..." if f() threw another birnn::Error, so `contains` checks fail then.
template <class E = Error, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    if (dynamic_cast<const E*>(&e)) return e.what();
    return std::string("(wrong exception type) ") + e.what();
  }
  return "(no exception)";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace birnn::testing
