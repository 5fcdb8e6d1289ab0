// Environment switches that turn one fast path off for A/B benchmarks (BIRNN_GEMV=0, BIRNN_PANELS=0): a path
// is on unless its variable is "0". Callers cache the answer in a function-local static.
#pragma once
#include <cstdlib>
#include <string_view>

namespace birnn::kernels {

inline bool ab_switch_on(const char* variable) {
  const char* v = std::getenv(variable);
  return !(v && std::string_view(v) == "0");
}

}  // namespace birnn::kernels
