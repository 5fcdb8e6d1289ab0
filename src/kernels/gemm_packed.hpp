// f32 GEMM with a weight operand laid out once for the kernel, for a product that reuses the same weight at
// every time step (the recurrent h W_hh^T of the forward pass). dnnl_sgemm re-packs its B operand on every
// call; here W is reordered once per layer call into the blocked layout oneDNN's matmul (brgemm) picks, and
// each step runs the matmul primitive on it: B = 64, H = 256 steps 10-20% faster (bench/micro
// gemm/*_step_B64*/packed; BPTT packs W_hh once for its per-step dG W_hh too). Also used for the
// input projection, whose bias it adds in the GEMM's store. Same numbers as gemm() up to summation order.
// oneDNN's layout only where its matmul is brgemm (AVX-512). Elsewhere, for products of 2-64 rows, W is laid
// out in birnn's column panels instead (panel_gemm.hpp; the recurrent steps of batches up to 64), and other
// products are gemm() on W.
#pragma once
#include <cstdint>
#include <memory>

namespace birnn::kernels {

class PackedF32 {
 public:
  /// The B operand of C (M, N) = A (M, K) op(W) + beta C:  op(W) = W^T for W (N, K) when transposed,
  /// W (K, N) otherwise; ld is W's row stride. W is copied into the pack, but must stay alive and unchanged
  /// while the pack is used: M == 1 (the row-dot kernel) and shapes oneDNN cannot run on the packed layout
  /// multiply W itself. m_hint: the usual M, used to pick the layout (other M reuse it).
  PackedF32(const float* W, std::int64_t N, std::int64_t K, std::int64_t ld, bool transposed, std::int64_t m_hint);
  ~PackedF32();
  PackedF32(PackedF32&&) noexcept;
  PackedF32& operator=(PackedF32&&) noexcept;

  /// C (M, N) = A (M, K) op(W) + bias + beta C, A row-major with stride lda, C with stride ldc; bias (N)
  /// added to every row (only with beta == 0), or null. The bias is added in the kernel's store, so a
  /// biased projection costs no extra pass over C. Thread-safe (the matmul primitives, one per product
  /// shape, are cached per thread for the life of the program).
  void multiply(std::int64_t M, const float* A, std::int64_t lda, float beta, float* C, std::int64_t ldc,
                const float* bias = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace birnn::kernels
