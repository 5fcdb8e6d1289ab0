// Reference for the bf16 GEMM: both operands rounded to bf16 exactly as the kernel rounds them,
// products and sums in f32, one plain loop.
#pragma once
#include <cstdint>

#include "kernels/gemm_bf16.hpp"

namespace birnn::kernels::ref {

// A: (M, K) lda   W: (N, K) ldw   bias: (N) or null   C: (M, N) ldc;   C = round(A) round(W)^T + bias + beta * C
inline void gemm_bf16(std::int64_t M, const float* A, std::int64_t lda, const float* W, std::int64_t N,
                      std::int64_t K, std::int64_t ldw, float beta, float* C, std::int64_t ldc,
                      const float* bias = nullptr) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      float acc = 0.f;
      for (std::int64_t k = 0; k < K; ++k) acc += from_bf16(to_bf16(A[i * lda + k])) * from_bf16(to_bf16(W[j * ldw + k]));
      C[i * ldc + j] = acc + (bias ? bias[j] : 0.f) + (beta == 0.f ? 0.f : beta * C[i * ldc + j]);
    }
}

}  // namespace birnn::kernels::ref
