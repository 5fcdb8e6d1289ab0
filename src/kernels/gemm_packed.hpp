// f32 GEMM with a weight operand laid out once for the kernel, for products that reuse the same weight at
// every time step (the recurrent h W_hh^T forward, dG W_hh backward). dnnl_sgemm re-packs its B operand on
// every call: at B = 64, H = 256 that is ~17% of an LSTM step (bench/micro gemm/*step*: 205 -> 170 us).
// Here W is reordered once per layer call into the blocked layout oneDNN's matmul (brgemm) picks, and each
// step runs the matmul primitive on it. Same numbers as gemm() up to summation order.
#pragma once
#include <cstdint>
#include <memory>

namespace birnn::kernels {

class PackedF32 {
 public:
  /// The B operand of C (M, N) = A (M, K) op(W) + beta C:  op(W) = W^T for W (N, K) when transposed,
  /// W (K, N) otherwise; ld is W's row stride. W is copied (the pack does not alias it).
  /// m_hint: the usual M, used to pick the layout (other M reuse it).
  PackedF32(const float* W, std::int64_t N, std::int64_t K, std::int64_t ld, bool transposed, std::int64_t m_hint);
  ~PackedF32();
  PackedF32(PackedF32&&) noexcept;
  PackedF32& operator=(PackedF32&&) noexcept;

  /// C (M, N) = A (M, K) op(W) + bias + beta C, A row-major with stride lda, C with stride ldc; bias (N)
  /// added to every row (only with beta == 0), or null. The bias is added in the kernel's store, so a
  /// biased projection costs no extra pass over C. Not thread-safe (primitives are cached per shape): one
  /// object per thread.
  void multiply(std::int64_t M, const float* A, std::int64_t lda, float beta, float* C, std::int64_t ldc,
                const float* bias = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace birnn::kernels
