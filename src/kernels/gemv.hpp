// Small-M matrix products for the recurrent step at batch 1-2 (see simd/gemv_simd.cpp):
//   C (M, N) = A (M, K) * B^T + beta * C,  B: (N, K) row-major (PyTorch's weight_hh layout).
// gemm() routes here when it pays (measured: see README, "Latency at batch 1"); tested against gemm_ref.
#pragma once
#include <cstdint>

namespace birnn::kernels {

void gemv_bt(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, std::int64_t lda, const float* B,
             std::int64_t ldb, float beta, float* C, std::int64_t ldc);

}  // namespace birnn::kernels
