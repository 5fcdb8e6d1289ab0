// The one GEMM interface every layer uses. Row-major, BLAS-style:
//   C (M, N) = alpha * op(A) * op(B) + beta * C,  op(A): (M, K), op(B): (K, N)
// A is (M, K) with leading dimension lda, or (K, M) when trans_a; likewise B.
// float goes to oneDNN's sgemm (chosen by measurement, see README "GEMM backend");
// double goes to a plain loop (only the float64 gradient checks use it).
#pragma once
#include <cstdint>

namespace birnn::kernels {

void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
          std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc);

/// Plain triple loop, the reference the fast path is tested against.
template <class T>
void gemm_ref(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
              std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      T acc = 0;
      for (std::int64_t k = 0; k < K; ++k) {
        const T a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const T b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      C[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * C[i * ldc + j]);
    }
}

}  // namespace birnn::kernels
