// Small-M products C (M, N) = A (M, K) * B^T + beta * C with B (N, K) row-major: the recurrent step
// h W_hh^T at batch 1-2, where the GEMM is a stream of W_hh's rows through the cache and a general
// sgemm spends its time packing. Each output is the dot product of one row of B with one row of A;
// eight rows of B are read at once (eight independent FMA chains hide the FMA latency), then each
// accumulator is reduced. Summation order differs from sgemm's: results agree to float rounding.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/gemv_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/gemv.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

// Dot products of R rows of B (starting at b, stride ldb) with a (length K); out[r] = result.
template <int R>
HWY_INLINE void DotRows(const float* a, const float* b, I64 ldb, I64 K, float* out) {
  const hn::ScalableTag<float> d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  hn::Vec<decltype(d)> acc[R];
  for (int r = 0; r < R; ++r) acc[r] = hn::Zero(d);
  I64 k = 0;
  for (; k + L <= K; k += L) {
    const auto av = hn::LoadU(d, a + k);
    for (int r = 0; r < R; ++r) acc[r] = hn::MulAdd(hn::LoadU(d, b + r * ldb + k), av, acc[r]);
  }
  for (int r = 0; r < R; ++r) {
    float s = hn::GetLane(hn::SumOfLanes(d, acc[r]));
    for (I64 kk = k; kk < K; ++kk) s += a[kk] * b[r * ldb + kk];
    out[r] = s;
  }
}

void GemvBt(I64 M, I64 N, I64 K, const float* A, I64 lda, const float* B, I64 ldb, float beta, float* C, I64 ldc) {
  constexpr int R = 8;
  float dots[R];
  for (I64 j = 0; j < N; j += R) {
    const I64 rows = N - j < R ? N - j : R;
    for (I64 i = 0; i < M; ++i) {  // the R rows of B stay in L1 across the M rows of A
      if (rows == R)
        DotRows<R>(A + i * lda, B + j * ldb, ldb, K, dots);
      else
        for (I64 r = 0; r < rows; ++r) DotRows<1>(A + i * lda, B + (j + r) * ldb, ldb, K, dots + r);
      float* c = C + i * ldc + j;
      for (I64 r = 0; r < rows; ++r) c[r] = dots[r] + (beta == 0.f ? 0.f : beta * c[r]);
    }
  }
}

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(GemvBt);

void gemv_bt(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, std::int64_t lda, const float* B,
             std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  HWY_DYNAMIC_DISPATCH(GemvBt)(M, N, K, A, lda, B, ldb, beta, C, ldc);
}
}  // namespace birnn::kernels
#endif
