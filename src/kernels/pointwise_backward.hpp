// Backward pointwise kernels of the cells. The templates in ref/pointwise_backward.hpp are the reference
// loops (and serve double); float runs the SIMD versions below (simd/pointwise_backward_simd.cpp, runtime
// dispatch via Highway), which overload resolution prefers for float arguments. Same signatures and
// semantics as the reference; tested against it. Measured (bench/micro pointwise/*_backward): the
// reference loops are not vectorized by GCC (in-place dc/dh), so these were ~4x slower before.
#pragma once
#include <cstdint>

#include "kernels/ref/pointwise_backward.hpp"

namespace birnn::kernels {

void lstm_backward(std::int64_t n, std::int64_t H, const float* gates, std::int64_t ldg, const float* tc,
                   const float* c_prev, std::int64_t ldc, const float* dr, std::int64_t lddr, float* dc,
                   std::int64_t lddc, float* dG, std::int64_t lddg);
void gru_backward(std::int64_t n, std::int64_t H, const float* gates, std::int64_t ldg, const float* hl,
                  std::int64_t ldhl, const float* h_prev, std::int64_t ldhp, float* dh, std::int64_t lddh, float* dGx,
                  std::int64_t lddx, float* dGh, std::int64_t lddgh);

}  // namespace birnn::kernels
