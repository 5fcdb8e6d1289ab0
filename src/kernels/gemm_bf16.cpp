// Packing, dispatch and the portable path of the bf16 GEMM (the kernel is in simd/gemm_bf16_avx512.cpp).
#include "kernels/gemm_bf16.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/gemm.hpp"

namespace birnn::kernels {

namespace {
std::atomic<bool> g_force_emulation{false};

bool cpu_has_bf16() {
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 registers.
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  return has;
}

template <class T>
std::shared_ptr<T[]> aligned_zeros(std::int64_t n) {
  const std::size_t bytes = (static_cast<std::size_t>(n) * sizeof(T) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes == 0 ? 64 : bytes);
  return std::shared_ptr<T[]>(static_cast<T*>(p), [](T* q) { std::free(q); });
}
}  // namespace

namespace detail {
void force_bf16_emulation(bool on) { g_force_emulation = on; }
}  // namespace detail

bool bf16_native() { return cpu_has_bf16() && !g_force_emulation; }

PackedBf16::PackedBf16(const float* W, std::int64_t N, std::int64_t K, std::int64_t ldw)
    : N_(N), K_(K), Kp_(K + K % 2), Np_((N + 15) / 16 * 16) {
  if (bf16_native()) {
    bits_ = aligned_zeros<std::uint16_t>(Np_ * Kp_);
    std::uint16_t* out = bits_.get();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t k = 0; k < K; ++k)  // block n/16, pair k/2, lane n%16, half k%2
        out[(n / 16) * 16 * Kp_ + (k / 2) * 32 + (n % 16) * 2 + k % 2] = to_bf16(W[n * ldw + k]);
  } else {
    f32_ = aligned_zeros<float>(N * K);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t k = 0; k < K; ++k) f32_[n * K + k] = from_bf16(to_bf16(W[n * ldw + k]));
  }
}

std::size_t PackedBf16::bytes() const {
  return bits_ ? static_cast<std::size_t>(Np_ * Kp_) * 2 : static_cast<std::size_t>(N_ * K_) * 4;
}

void gemm_bf16(std::int64_t M, const float* A, std::int64_t lda, const PackedBf16& W, float beta, float* C,
               std::int64_t ldc, const float* bias) {
  const std::int64_t N = W.rows(), K = W.cols(), Kp = W.padded_k();
  if (M <= 0 || N <= 0) return;
  thread_local std::vector<std::uint16_t> a16;  // grow-only: the per-step calls reuse it
  thread_local std::vector<float> a32;
  if (W.data()) {
    if (a16.size() < static_cast<std::size_t>(M * Kp)) a16.resize(static_cast<std::size_t>(M * Kp));
    for (std::int64_t i = 0; i < M; ++i) {
      detail::round_row_avx512(A + i * lda, K, a16.data() + i * Kp);
      if (Kp > K) a16[static_cast<std::size_t>(i * Kp + K)] = 0;
    }
    detail::gemm_bf16_avx512(M, a16.data(), W, beta, C, ldc, bias);
    return;
  }
  // Portable path: the same rounded operands through the f32 GEMM.
  if (a32.size() < static_cast<std::size_t>(M * K)) a32.resize(static_cast<std::size_t>(M * K));
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t k = 0; k < K; ++k) a32[static_cast<std::size_t>(i * K + k)] = from_bf16(to_bf16(A[i * lda + k]));
  if (bias) {  // C = bias + beta * C, then += the product
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) C[i * ldc + j] = bias[j] + (beta == 0.f ? 0.f : beta * C[i * ldc + j]);
    beta = 1.f;
  }
  gemm(false, true, M, N, K, 1.f, a32.data(), K, W.emulated(), K, beta, C, ldc);
}

}  // namespace birnn::kernels
