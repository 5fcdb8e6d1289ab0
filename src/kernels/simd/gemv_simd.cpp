// Small-M products C (M, N) = A (M, K) * B^T + beta * C with B (N, K) row-major: the recurrent step
// h W_hh^T at batch 1 (and 2-4 on CPUs without AVX-512, gemm.cpp), a stream of W_hh's rows through the
// cache. Each output is the dot product of one row of B with one row of A. Eight accumulators per pass:
// eight rows of B against one row of A, four against two, or two against four, so each vector of B serves
// every row of A in the pass and the independent FMA chains hide the FMA latency. Summation order differs
// from sgemm's: results agree to float rounding.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/gemv_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/gemv.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

#if HWY_TARGET == HWY_AVX2
// The eight sums of the lanes of acc[0..8) as one vector (lane r = the sum of acc[r]): two levels of
// interleave-and-add within 128-bit blocks, then the halves added; ~3 instructions per row where SumOfLanes
// takes 6 and gathering the scalars back into a vector as many again. Eight-lane vectors (AVX2) only.
template <class D, class V>
HWY_INLINE V SumsOfEight(D d, const V* acc) {
  const hn::Repartition<double, D> dd;  // the second level moves pairs of floats
  V s[4];
  for (int p = 0; p < 4; ++p)  // s[p] = [a b a b | a b a b] partial sums of acc[2p] (a) and acc[2p+1] (b)
    s[p] = hn::Add(hn::InterleaveLower(d, acc[2 * p], acc[2 * p + 1]), hn::InterleaveUpper(d, acc[2 * p], acc[2 * p + 1]));
  V t[2];
  for (int q = 0; q < 2; ++q) {  // t[q] = [sums of acc[4q..4q+4) over the lower block | ... upper block]
    const auto x = hn::BitCast(dd, s[2 * q]), y = hn::BitCast(dd, s[2 * q + 1]);
    t[q] = hn::Add(hn::BitCast(d, hn::InterleaveLower(dd, x, y)), hn::BitCast(d, hn::InterleaveUpper(dd, x, y)));
  }
  return hn::Add(hn::ConcatLowerLower(d, t[1], t[0]), hn::ConcatUpperUpper(d, t[1], t[0]));
}
#endif

// C[i][r] = a_i . b_r + beta C[i][r] for R rows of B (starting at b, stride ldb) and MA rows of A (stride
// lda), length K. Each vector of B is loaded once and used for all MA rows of A. Not inlined: on its own
// the loop keeps all R row pointers in registers (inlined into GemvBt, two of them were reloaded from
// the stack at every iteration).
template <int R, int MA>
HWY_NOINLINE void DotRows(const float* a, I64 lda, const float* b, I64 ldb, I64 K, float beta, float* c, I64 ldc) {
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
  // The K tail as one more vector, its missing lanes zero, so the reduction below stays short (a scalar
  // tail loop per accumulator made each row block's epilogue much longer). Copied through a buffer: a plain
  // load would read past the row, and so does MaskedLoad on the 128-bit targets (it faulted at a page end).
  if (k < K) {
    const I64 rest = K - k;
    HWY_ALIGN float buf[HWY_LANES(float)];
    const auto tail = [&](const float* p) {
      for (I64 j = 0; j < L; ++j) buf[j] = j < rest ? p[j] : 0.f;
      return hn::Load(d, buf);
    };
    hn::Vec<decltype(d)> av[MA];
    for (int i = 0; i < MA; ++i) av[i] = tail(a + i * lda + k);
    for (int r = 0; r < R; ++r) {
      const auto bv = tail(b + r * ldb + k);
      for (int i = 0; i < MA; ++i) acc[i][r] = hn::MulAdd(bv, av[i], acc[i][r]);
    }
  }
  for (int i = 0; i < MA; ++i) {
    float* ci = c + i * ldc;
#if HWY_TARGET == HWY_AVX2
    if constexpr (R == 8) {
      auto v = SumsOfEight(d, acc[i]);
      if (beta != 0.f) v = hn::MulAdd(hn::Set(d, beta), hn::LoadU(d, ci), v);
      hn::StoreU(v, d, ci);
      continue;
    }
#endif
    for (int r = 0; r < R; ++r) {
      const float dot = hn::GetLane(hn::SumOfLanes(d, acc[i][r]));
      ci[r] = beta == 0.f ? dot : dot + beta * ci[r];
    }
  }
}

// Rows i0 .. i0+MA-1 of C against every row of B, R rows of B at a time (the tail one by one). R * MA = 8
// accumulators (sixteen would not fit in AVX2's registers with the loads): one row of A takes eight rows of
// B at a time, two take four, four take two.
template <int MA>
void GemvRows(I64 N, I64 K, const float* A, I64 lda, const float* B, I64 ldb, float beta, float* C, I64 ldc) {
  constexpr int R = 8 / MA;
  I64 j = 0;
  for (; j + R <= N; j += R) DotRows<R, MA>(A, lda, B + j * ldb, ldb, K, beta, C + j, ldc);
  for (; j < N; ++j) DotRows<1, MA>(A, lda, B + j * ldb, ldb, K, beta, C + j, ldc);
}

// Four rows of A at a time, then two, then one: each pass streams B once.
void GemvBt(I64 M, I64 N, I64 K, const float* A, I64 lda, const float* B, I64 ldb, float beta, float* C, I64 ldc) {
  I64 i = 0;
  for (; i + 4 <= M; i += 4) GemvRows<4>(N, K, A + i * lda, lda, B, ldb, beta, C + i * ldc, ldc);
  if (i + 2 <= M) GemvRows<2>(N, K, A + i * lda, lda, B, ldb, beta, C + i * ldc, ldc), i += 2;
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
