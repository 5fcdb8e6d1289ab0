#include "kernels/gemm.hpp"

#include <cstdlib>

#include <oneapi/dnnl/dnnl.h>

#include <stdexcept>
#include <string>

#include "kernels/gemv.hpp"

namespace birnn::kernels {

namespace {
constexpr std::int64_t kGemvMaxRows = 1;  // at M = 2 oneDNN streams W faster (bench/micro matvec)
// BIRNN_GEMV=0 turns the small-M path off (for A/B benchmarks against plain sgemm).
bool gemv_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("BIRNN_GEMV");
    return !(v && std::string(v) == "0");
  }();
  return on;
}
}  // namespace

void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // oneDNN rejects K == 0; the product is empty, so C = beta * C
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  // Batch-1 recurrent step (h W^T with alpha 1): the row-dot kernel.
  if (!ta && tb && M <= kGemvMaxRows && alpha == 1.f && gemv_enabled()) return gemv_bt(M, N, K, A, lda, B, ldb, beta, C, ldc);
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
