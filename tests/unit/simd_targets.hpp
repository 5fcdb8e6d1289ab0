// Runs a test body once per SIMD target this CPU supports, with Highway's dispatcher forced to it, so the
// portable code paths (SSE4, SCALAR) are checked too, not only the best target.
#pragma once
#include <hwy/targets.h>

#include <cstdint>
#include <set>
#include <string>

#include "kernels/pointwise.hpp"

namespace birnn::testing {

/// A target the kernels were not compiled for dispatches to SCALAR, which then runs once only
/// (kernels::simd_target_name() says which target ran).
template <class Body>
void for_each_simd_target(const Body& body) {
  std::set<std::string> seen;
  for (std::int64_t ts = hwy::SupportedTargets(); ts != 0; ts &= ts - 1) {
    hwy::SetSupportedTargetsForTest(ts & -ts);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    if (seen.insert(kernels::simd_target_name()).second) body();
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace birnn::testing
