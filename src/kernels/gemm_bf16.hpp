// bf16 GEMM for inference: C (M, N) = A (M, K) * W^T + beta * C, with W (N, K) a weight matrix packed
// once to bf16 and A (activations, f32) rounded to bf16 per call; products are exact in f32 and sums
// are accumulated in f32. On CPUs with AVX-512 BF16 this runs vdpbf16ps (2 multiply-adds per f32
// lane); elsewhere the same rounded values go through the f32 GEMM (same numbers up to summation
// order, slower than plain f32: it exists so a bf16 model runs anywhere).
#pragma once
#include <cstdint>
#include <memory>

namespace birnn::kernels {

/// f32 -> bf16 bits, round to nearest even, as VCVTNEPS2BF16 does: a denormal input becomes a signed
/// zero, a NaN stays a (quiet) NaN.
inline std::uint16_t to_bf16(float f) {
  std::uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0) return static_cast<std::uint16_t>((u >> 16) & 0x8000u);  // zero / denormal
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
inline float from_bf16(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

/// Whether this CPU runs the native kernel (AVX-512 BF16); false means the f32 emulation path.
bool bf16_native();

/// W (N, K) with leading dimension ldw, rounded to bf16 and laid out for the kernel: blocks of 16
/// output columns; within a block, for each pair of k, the 16 columns' (k, k+1) pairs side by side
/// (one 64-byte vector, the operand layout of vdpbf16ps). K is padded to even and N to a multiple of
/// 16 with zeros. Without native bf16, `emulated` holds the rounded values as f32 (N, K) instead.
class PackedBf16 {
 public:
  PackedBf16() = default;
  PackedBf16(const float* W, std::int64_t N, std::int64_t K, std::int64_t ldw);
  std::int64_t rows() const { return N_; }  ///< N: output columns of the product
  std::int64_t cols() const { return K_; }  ///< K: reduction length
  std::int64_t padded_k() const { return Kp_; }
  const std::uint16_t* data() const { return bits_.get(); }
  const float* emulated() const { return f32_.get(); }
  std::size_t bytes() const;

 private:
  std::int64_t N_ = 0, K_ = 0, Kp_ = 0, Np_ = 0;
  std::shared_ptr<std::uint16_t[]> bits_;
  std::shared_ptr<float[]> f32_;
};

/// C (M, N) = A (M, K) * W^T + bias + beta * C. A row-major with leading dimension lda; bias (N) added
/// to every row, or null. Threads over row and column tiles when not already inside a parallel region.
void gemm_bf16(std::int64_t M, const float* A, std::int64_t lda, const PackedBf16& W, float beta, float* C,
               std::int64_t ldc, const float* bias = nullptr);

namespace detail {
/// The AVX-512 BF16 kernel on a pre-rounded A (M, Kp) bf16; only called when bf16_native().
void gemm_bf16_avx512(std::int64_t M, const std::uint16_t* A, const PackedBf16& W, float beta, float* C,
                      std::int64_t ldc, const float* bias);
/// f32 (n) -> bf16 (n) with the native instruction; only called when bf16_native().
void round_row_avx512(const float* src, std::int64_t n, std::uint16_t* dst);
/// Tests only: take the emulation path even on a CPU with AVX-512 BF16 (affects later packs and calls).
void force_bf16_emulation(bool on);
}  // namespace detail

}  // namespace birnn::kernels
