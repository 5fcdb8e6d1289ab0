#include "kernels/gemm.hpp"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/ab_switch.hpp"
#include "kernels/gemv.hpp"

namespace birnn::kernels {

namespace {
// Some routes below were measured to pay on one kind of CPU only: a Zen 5 with AVX-512 or a Zen 1 without.
bool cpu_has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

// The most rows of A that take the row-dot kernel (bench/micro matvec/*). With AVX-512 (Zen 5) oneDNN's
// sgemm streamed W faster at M = 2. On Zen 1 (AVX2) the row-dot kernel is faster up to M = 4: LSTM step
// 47 against 107 us at M = 2, 89 against 97 at M = 4; LSTM forward B = 2 12.8 -> 8.6 ms (oneDNN 12.3),
// B = 3 14.4 -> 12.5 (12.0), B = 4 17.3 -> 16.2 (15-17).
std::int64_t gemv_max_rows() {
  return cpu_has_avx512() ? 1 : 4;
}
// BIRNN_GEMV=0 turns the small-M path off (for A/B benchmarks against plain sgemm).
bool gemv_enabled() {
  static const bool on = ab_switch_on("BIRNN_GEMV");
  return on;
}
void sgemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
           std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  // dnnl_sgemm is row-major and takes 'N'/'T' like BLAS.
  const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(static_cast<int>(st)));
}

// C (M, N) = alpha A^T B + beta C computed as its transpose, C^T = B^T A, then transposed back. Why: the
// weight gradients of the RNN layers (dW = dG^T X: M = G*H rows, N = I, K = T*B) run ~15% faster in
// oneDNN's sgemm with the long side as N (LSTM at H = I = 256, K = 6400: 152 -> 177 GF/s, bench/micro
// gemm/*bwd_dW*), and the extra transpose of the small (M, N) result costs ~1% of the product.
void sgemm_at_via_transpose(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                            std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  thread_local std::vector<float> ct;
  ct.resize(static_cast<std::size_t>(M * N));
  sgemm(true, false, N, M, K, alpha, B, ldb, A, lda, 0.f, ct.data(), M);  // ct (N, M) = B^T A
  constexpr std::int64_t kTile = 16;  // tiles keep both the reads and the writes in a few cache lines
  for (std::int64_t i0 = 0; i0 < M; i0 += kTile)
    for (std::int64_t j0 = 0; j0 < N; j0 += kTile)
      for (std::int64_t i = i0; i < std::min(M, i0 + kTile); ++i) {
        float* c = C + i * ldc;
        const float* t = ct.data() + i;
        for (std::int64_t j = j0; j < std::min(N, j0 + kTile); ++j)
          c[j] = beta == 0.f ? t[j * M] : beta * c[j] + t[j * M];
      }
}

// Shapes that take the transposed route: A^T B with the output at least twice as tall as wide and a long
// reduction (measured: at M == N there is no gain; short K is per-step work where the copy would show).
// Measured on an AVX-512 CPU (Zen 5); on Zen 1 (AVX2) it gains nothing (28.8 against 28.2 GF/s at the LSTM
// shape above), and the padded copy below does better there, so CPUs without AVX-512 skip it.
bool at_via_transpose(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K) {
  return cpu_has_avx512() && ta && !tb && M >= 2 * N && K >= 1024;
}

// A^T B with A's rows a multiple of 4 KB apart, as the LSTM's gate gradient dG is at G*H = 1024 (the weight
// gradients dW = dG^T X): oneDNN's sgemm reads A down its columns, every element of a column then falls in
// the same L1 set, and the product runs ~20% slower. Zen 1, M = 1024, N = 256 (bench/micro
// gemm/lstm_bwd_dW_*: the routed product against "/sgemm"): 28.5 GF/s direct against 35.3 (K = 100) and
// 34.6 (K = 6400) for a copy of A with its rows 64 bytes further apart, copy included. End to end, LSTM
// fwd+bwd, CPU ms: B = 1 15.9 -> 13.8, B = 64 625 -> 610.
bool aliasing_lda(std::int64_t lda) { return lda % 1024 == 0; }

// rows x cols of src (row stride ld) copied into buf with row stride ld_out; returns buf's data. Each caller
// keeps its own thread-local buffer: a product may hold copies of A and B at once.
const float* copy_rows(std::int64_t rows, std::int64_t cols, const float* src, std::int64_t ld, std::int64_t ld_out,
                       std::vector<float>& buf) {
  buf.resize(static_cast<std::size_t>(rows * ld_out));
  for (std::int64_t r = 0; r < rows; ++r) std::copy(src + r * ld, src + r * ld + cols, buf.data() + r * ld_out);
  return buf.data();
}

void sgemm_at_padded(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A, std::int64_t lda,
                     const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  const std::int64_t ldp = M + 16;
  thread_local std::vector<float> ap;
  sgemm(true, false, M, N, K, alpha, copy_rows(K, M, A, lda, ldp, ap), ldp, B, ldb, beta, C, ldc);
}

// A^T B with a short reduction and a small B (K < 1024, B at most 512 KB: the weight gradients dW = dG^T X
// of batches up to 4 at H = 256, K = T*B) on CPUs without AVX-512: B is copied to a thread-local buffer
// first. Measured on Zen 1, LSTM/GRU at H = I = 256, T = 100: each dW product took 2.33 ms where the layer
// keeps X and 1.55-1.63 ms on a copy (at 20 different offsets of the copy within a page, so not an alignment
// effect); the copy costs ~10 us. End to end, fwd+bwd CPU ms: LSTM B = 1 13.5 -> 12.2, B = 2 26.6 -> 24.1,
// B = 4 45.3 -> 42.8; GRU B = 1 10.9 -> 10.3, B = 2 20.9 -> 19.7. Larger B gain little or lose: LSTM B = 8
// (800 KB) ~1%, the pos tagger's output layer (bench/micro gemm/tagger_bwd_dW_fc_K700, 1.1 MB) 6-12% slower.
// Why the layer's own buffer is slower was not found; no AVX-512 machine was at hand to measure, so those
// CPUs keep the direct call.
bool copy_b_first(bool ta, bool tb, std::int64_t N, std::int64_t K) {
  return !cpu_has_avx512() && ta && !tb && K < 1024 && K * N <= 128 * 1024;
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
  // Batch-1 (and, without AVX-512, batch 2-4) recurrent step, h W^T with alpha 1: the row-dot kernel.
  if (!ta && tb && M <= gemv_max_rows() && alpha == 1.f && gemv_enabled()) return gemv_bt(M, N, K, A, lda, B, ldb, beta, C, ldc);
  if (copy_b_first(ta, tb, N, K)) {
    thread_local std::vector<float> bcopy;
    B = copy_rows(K, N, B, ldb, N, bcopy);
    ldb = N;
  }
  if (at_via_transpose(ta, tb, M, N, K)) return sgemm_at_via_transpose(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (ta && !tb && aliasing_lda(lda)) return sgemm_at_padded(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
