// The one gradient-check helper every op and layer test uses: central differences in float64.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "birnn/birnn.hpp"

namespace birnn::testing {

/// A float64 tensor of the given shape with values uniform in [lo, hi) from the library generator.
Tensor random_f64(const Shape& shape, double lo = -1.0, double hi = 1.0);

/// Compares the autograd gradient of scalar loss(inputs) w.r.t. every input that requires grad with
/// central differences (step eps). Returns "" on success, otherwise a description of the worst entry.
/// loss must be deterministic (reseed inside it if it draws random numbers).
std::string gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& loss, const std::vector<Tensor>& inputs,
                      double eps = 1e-6, double tol = 1e-6);

/// sum(out * weights) with fixed random weights: turns any tensor into a scalar whose gradient
/// exercises every element differently.
Tensor weighted_sum(const Tensor& out, std::uint64_t seed = 99);

}  // namespace birnn::testing
