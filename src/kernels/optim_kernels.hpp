// Per-element optimizer kernels for float32 parameters (see simd/optim_simd.cpp). The definitions are the
// plain loops in ref/optim_ref.hpp; the SIMD Adam does the same float64 operations in the same order (no
// fused multiply-adds), so it matches them bit for bit (tests/unit/test_optim_kernels.cpp).
#pragma once
#include <cstdint>

namespace birnn::kernels {

/// One step of torch.optim.Adam / AdamW (PyTorch 1.13's single-tensor form), computed in float64 with the
/// buffers stored as float. step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t), decay = 1 - lr wd.
struct AdamStep {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, step_size = 0, bc2_sqrt = 1, decay = 1;
  bool decoupled = false;  ///< AdamW: weight decay applied to the weight, not the gradient
  bool maximize = false;
};

/// w, m, v (and vmax when not null: amsgrad) updated in place from the gradient g, n elements.
void adam_step(const AdamStep& s, std::int64_t n, float* w, const float* g, float* m, float* v, float* vmax);

/// sum_i x[i]^2 in float64.
double sum_of_squares(const float* x, std::int64_t n);

}  // namespace birnn::kernels
