// The panel kernel of panel_gemm.hpp. A block of up to four rows of A against one panel: 4 x 24 outputs in
// twelve 8-float accumulators (AVX2), per k three panel loads and four broadcasts for twelve FMAs, so the
// FMA units set the pace. Vectors are capped at 8 lanes, whatever the target, so 24 columns are always a
// whole number of vectors (AVX-512 CPUs use oneDNN's packed matmul instead, gemm_packed.cpp).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/panel_gemm_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <algorithm>

#include "kernels/panel_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

// Rows 0 .. MR-1 of A (stride lda) against one panel: width columns of C (the panel's last may be narrower).
template <int MR>
HWY_NOINLINE void PanelRows(I64 K, const float* a, I64 lda, const float* panel, float beta, float* c, I64 ldc,
                            const float* bias, I64 width) {
  const hn::CappedTag<float, 8> d;
  constexpr I64 L = static_cast<I64>(hn::MaxLanes(hn::CappedTag<float, 8>()));
  constexpr int V = static_cast<int>(kPanelWidth / L);  // vectors per panel row: 3 (AVX2), 6 (SSE4), 24 (scalar)
  static_assert(V * L == kPanelWidth, "a panel row is a whole number of vectors");
  hn::Vec<decltype(d)> acc[MR][V];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < V; ++v) acc[i][v] = hn::Zero(d);
  // Order of the loop body: the panel's vectors first, then one broadcast at a time, so that 12
  // accumulators + 3 panel vectors + 1 broadcast fill AVX2's 16 registers without spilling.
  for (I64 k = 0; k < K; ++k) {
    const float* p = panel + k * kPanelWidth;
    hn::Vec<decltype(d)> w[V];
    for (int v = 0; v < V; ++v) w[v] = hn::LoadU(d, p + v * L);
    for (int i = 0; i < MR; ++i) {
      const auto ai = hn::Set(d, a[i * lda + k]);
      for (int v = 0; v < V; ++v) acc[i][v] = hn::MulAdd(ai, w[v], acc[i][v]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (width == kPanelWidth) {
      for (int v = 0; v < V; ++v) {
        auto r = acc[i][v];
        if (bias) r = hn::Add(r, hn::LoadU(d, bias + v * L));
        if (beta != 0.f) r = hn::MulAdd(hn::Set(d, beta), hn::LoadU(d, ci + v * L), r);
        hn::StoreU(r, d, ci + v * L);
      }
      continue;
    }
    HWY_ALIGN float out[kPanelWidth];  // the last, narrower panel: through a buffer, not past C's row
    for (int v = 0; v < V; ++v) hn::Store(acc[i][v], d, out + v * L);
    for (I64 j = 0; j < width; ++j) {
      const float b = bias ? bias[j] : 0.f;
      ci[j] = beta == 0.f ? out[j] + b : out[j] + b + beta * ci[j];
    }
  }
}

// MR rows of A against every panel.
template <int MR>
void PanelBlock(I64 N, I64 K, const float* a, I64 lda, const float* panels, float beta, float* c, I64 ldc,
                const float* bias) {
  for (I64 n0 = 0; n0 < N; n0 += kPanelWidth)
    PanelRows<MR>(K, a, lda, panels + n0 * K, beta, c + n0, ldc, bias ? bias + n0 : nullptr,
                  std::min(kPanelWidth, N - n0));
}

void PanelGemm(I64 M, I64 N, I64 K, const float* A, I64 lda, const float* panels, float beta, float* C, I64 ldc,
               const float* bias) {
  I64 i = 0;
  for (; i + 4 <= M; i += 4) PanelBlock<4>(N, K, A + i * lda, lda, panels, beta, C + i * ldc, ldc, bias);
  switch (M - i) {
    case 3: return PanelBlock<3>(N, K, A + i * lda, lda, panels, beta, C + i * ldc, ldc, bias);
    case 2: return PanelBlock<2>(N, K, A + i * lda, lda, panels, beta, C + i * ldc, ldc, bias);
    case 1: return PanelBlock<1>(N, K, A + i * lda, lda, panels, beta, C + i * ldc, ldc, bias);
    default: return;
  }
}

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(PanelGemm);

std::vector<float> pack_panels(const float* W, std::int64_t N, std::int64_t K, std::int64_t ld, bool transposed) {
  const std::int64_t panels = (N + kPanelWidth - 1) / kPanelWidth;
  std::vector<float> p(static_cast<std::size_t>(panels * K * kPanelWidth), 0.f);
  for (std::int64_t n = 0; n < N; ++n) {
    float* dst = p.data() + (n / kPanelWidth) * K * kPanelWidth + n % kPanelWidth;
    for (std::int64_t k = 0; k < K; ++k) dst[k * kPanelWidth] = transposed ? W[n * ld + k] : W[k * ld + n];
  }
  return p;
}

void panel_gemm(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, std::int64_t lda, const float* panels,
                float beta, float* C, std::int64_t ldc, const float* bias) {
  if (M <= 0 || N <= 0) return;
  HWY_DYNAMIC_DISPATCH(PanelGemm)(M, N, K, A, lda, panels, beta, C, ldc, bias);
}
}  // namespace birnn::kernels
#endif
