#include "kernels/gemm.hpp"

#include <oneapi/dnnl/dnnl.h>

#include <stdexcept>
#include <string>

namespace birnn::kernels {

void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // oneDNN rejects K == 0; the product is empty, so C = beta * C
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  // dnnl_sgemm is row-major and takes 'N'/'T' like BLAS.
  const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(static_cast<int>(st)));
}

void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
          std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  // i-k-j order for the common no-transpose case keeps the inner loop contiguous.
  for (std::int64_t i = 0; i < M; ++i) {
    double* c = C + i * ldc;
    for (std::int64_t j = 0; j < N; ++j) c[j] = beta == 0.0 ? 0.0 : beta * c[j];
    for (std::int64_t k = 0; k < K; ++k) {
      const double a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (!tb) {
        const double* b = B + k * ldb;
        for (std::int64_t j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (std::int64_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      }
    }
  }
}

}  // namespace birnn::kernels
