// Small-M products against a weight laid out once in column panels, for the recurrent steps of batches 2-64
// on CPUs without AVX-512 (where oneDNN's matmul has no packed layout to offer; gemm_packed.hpp):
//   C (M, N) = A (M, K) op(W) + bias + beta C,  op(W) (K, N).
// The panel of columns n0 .. n0+23 holds op(W)(k, n0 + j) at [k * 24 + j] (zeros past N), so a pass over
// one panel reads 24 consecutive floats per k; each row of A is broadcast one element at a time (no
// horizontal sums, unlike the row-dot kernel of gemv.hpp). Tested against gemm_ref on every SIMD target.
#pragma once
#include <cstdint>
#include <vector>

namespace birnn::kernels {

inline constexpr std::int64_t kPanelWidth = 24;

/// op(W) in panels: element (k, n) of op(W) is W[n * ld + k] when transposed, else W[k * ld + n].
std::vector<float> pack_panels(const float* W, std::int64_t N, std::int64_t K, std::int64_t ld, bool transposed);

/// C = A op(W) + bias + beta C with op(W) as pack_panels laid it out; bias (N) or null.
void panel_gemm(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, std::int64_t lda, const float* panels,
                float beta, float* C, std::int64_t ldc, const float* bias);

}  // namespace birnn::kernels
