// Small-M products C (M, N) = A (M, K) * B^T + beta * C with B (N, K) row-major: the recurrent step
// h W_hh^T at batch 1, a stream of W_hh's rows through the cache. Each output is the dot product of one row of B with one row of A;
// eight rows of B are read at once (eight independent FMA chains hide the FMA latency) and each vector
// of B serves two rows of A when there are two, then each accumulator is reduced. Summation order
// differs from sgemm's: results agree to float rounding.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/gemv_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/gemv.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

// Dot products of R rows of B (starting at b, stride ldb) with MA rows of A (stride lda), length K:
// out[i * R + r] = a_i . b_r. Each vector of B is loaded once and used for all MA rows of A.
template <int R, int MA>
HWY_INLINE void DotRows(const float* a, I64 lda, const float* b, I64 ldb, I64 K, float* out) {
  const hn::ScalableTag<float> d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  hn::Vec<decltype(d)> acc[MA][R];
  for (int i = 0; i < MA; ++i)
    for (int r = 0; r < R; ++r) acc[i][r] = hn::Zero(d);
  I64 k = 0;
  for (; k + L <= K; k += L) {
    hn::Vec<decltype(d)> av[MA];
    for (int i = 0; i < MA; ++i) av[i] = hn::LoadU(d, a + i * lda + k);
    for (int r = 0; r < R; ++r) {
      const auto bv = hn::LoadU(d, b + r * ldb + k);
      for (int i = 0; i < MA; ++i) acc[i][r] = hn::MulAdd(bv, av[i], acc[i][r]);
    }
  }
  for (int i = 0; i < MA; ++i)
    for (int r = 0; r < R; ++r) {
      float s = hn::GetLane(hn::SumOfLanes(d, acc[i][r]));
      for (I64 kk = k; kk < K; ++kk) s += a[i * lda + kk] * b[r * ldb + kk];
      out[i * R + r] = s;
    }
}

// Rows i0 .. i0+MA-1 of C against every row of B, R rows of B at a time (the tail one by one).
template <int MA>
HWY_INLINE void GemvRows(I64 N, I64 K, const float* A, I64 lda, const float* B, I64 ldb, float beta, float* C,
                         I64 ldc) {
  constexpr int R = 8;
  float dots[MA * R];
  for (I64 j = 0; j < N; j += R) {
    const I64 rows = N - j < R ? N - j : R;
    if (rows == R) {
      DotRows<R, MA>(A, lda, B + j * ldb, ldb, K, dots);
    } else {
      for (I64 r = 0; r < rows; ++r) {
        float one[MA];
        DotRows<1, MA>(A, lda, B + (j + r) * ldb, ldb, K, one);
        for (int i = 0; i < MA; ++i) dots[i * R + r] = one[i];
      }
    }
    for (int i = 0; i < MA; ++i) {
      float* c = C + i * ldc + j;
      for (I64 r = 0; r < rows; ++r) c[r] = dots[i * R + r] + (beta == 0.f ? 0.f : beta * c[r]);
    }
  }
}

void GemvBt(I64 M, I64 N, I64 K, const float* A, I64 lda, const float* B, I64 ldb, float beta, float* C, I64 ldc) {
  I64 i = 0;
  for (; i + 2 <= M; i += 2) GemvRows<2>(N, K, A + i * lda, lda, B, ldb, beta, C + i * ldc, ldc);
  if (i < M) GemvRows<1>(N, K, A + i * lda, lda, B, ldb, beta, C + i * ldc, ldc);
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
