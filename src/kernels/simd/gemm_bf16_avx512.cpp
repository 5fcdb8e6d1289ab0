// The AVX-512 BF16 kernel behind gemm_bf16 (see kernels/gemm_bf16.hpp for the packed layout). Only
// this file is compiled for avx512bf16 (function-level target, so nothing here runs unless the
// dispatcher saw the instruction set); it uses no std templates, whose instantiations the linker could
// share with code built for any CPU.
#include <immintrin.h>
#include <omp.h>

#include <cstdint>

#include "kernels/gemm_bf16.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")

namespace birnn::kernels::detail {
namespace {

using I64 = std::int64_t;
constexpr int kMR = 6;  // tile rows: 6 x 4 accumulators + 4 weight vectors + 1 broadcast fit in 32 zmm
constexpr int kNV = 4;  // tile width in 16-column vectors (64 columns)

// C[MR rows, NV*16 cols] (+)= A[MR rows] * W-blocks^T.  a: rows of K2 (k, k+1) pairs as u32, stride lda;
// b: the first of NV consecutive packed blocks, each K2 vectors long; last: lane mask of the last vector.
template <int MR, int NV>
void tile(I64 K2, const std::uint32_t* a, I64 lda, const std::uint16_t* b, float beta, float* c, I64 ldc,
          const float* bias, __mmask16 last) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_setzero_ps();
  const I64 block = K2 * 32;  // u16 per packed block
  for (I64 k = 0; k < K2; ++k) {
    __m512bh w[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) w[v] = (__m512bh)_mm512_loadu_si512(b + v * block + k * 32);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m512bh x = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[m * lda + k]));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_dpbf16_ps(acc[m][v], x, w[v]);
    }
  }
  const __m512 vb = _mm512_set1_ps(beta);
  __m512 bv[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v)
    bv[v] = bias ? _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xffff), bias + v * 16) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xffff);
      float* p = c + m * ldc + v * 16;
      __m512 r = _mm512_add_ps(acc[m][v], bv[v]);
      if (beta != 0.f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, p), r);
      _mm512_mask_storeu_ps(p, mask, r);
    }
}

// One row (the batch-1 recurrent step): a vector-matrix product bound by streaming the weights from
// L2, so it takes 8 blocks at once and two accumulator sets (even and odd k) to keep enough
// independent vdpbf16ps chains in flight to cover their latency.
template <int NV>
void row(I64 K2, const std::uint32_t* a, I64 lda, const std::uint16_t* b, float beta, float* c, I64 ldc,
         const float* bias, __mmask16 last) {
  __m512 acc0[NV], acc1[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) acc0[v] = _mm512_setzero_ps(), acc1[v] = _mm512_setzero_ps();
  const I64 block = K2 * 32;
  I64 k = 0;
  for (; k + 2 <= K2; k += 2) {
    const __m512bh x0 = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[k]));
    const __m512bh x1 = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[k + 1]));
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      acc0[v] = _mm512_dpbf16_ps(acc0[v], x0, (__m512bh)_mm512_loadu_si512(b + v * block + k * 32));
      acc1[v] = _mm512_dpbf16_ps(acc1[v], x1, (__m512bh)_mm512_loadu_si512(b + v * block + (k + 1) * 32));
    }
  }
  if (k < K2) {
    const __m512bh x0 = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[k]));
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc0[v] = _mm512_dpbf16_ps(acc0[v], x0, (__m512bh)_mm512_loadu_si512(b + v * block + k * 32));
  }
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xffff);
    __m512 r = _mm512_add_ps(acc0[v], acc1[v]);
    if (bias) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mask, bias + v * 16));
    if (beta != 0.f) r = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c + v * 16), r);
    _mm512_mask_storeu_ps(c + v * 16, mask, r);
  }
}

using TileFn = void (*)(I64, const std::uint32_t*, I64, const std::uint16_t*, float, float*, I64, const float*, __mmask16);

TileFn row_for(int nv) {
  switch (nv) {
    case 1: return row<1>;
    case 2: return row<2>;
    case 3: return row<3>;
    case 4: return row<4>;
    case 5: return row<5>;
    case 6: return row<6>;
    case 7: return row<7>;
    default: return row<8>;
  }
}

template <int MR>
TileFn tile_for(int nv) {
  switch (nv) {
    case 1: return tile<MR, 1>;
    case 2: return tile<MR, 2>;
    case 3: return tile<MR, 3>;
    default: return tile<MR, 4>;
  }
}

TileFn tile_for(int mr, int nv) {
  switch (mr) {
    case 1: return tile_for<1>(nv);
    case 2: return tile_for<2>(nv);
    case 3: return tile_for<3>(nv);
    case 4: return tile_for<4>(nv);
    case 5: return tile_for<5>(nv);
    default: return tile_for<6>(nv);
  }
}

}  // namespace

void gemm_bf16_avx512(I64 M, const std::uint16_t* A, const PackedBf16& W, float beta, float* C, I64 ldc,
                      const float* bias) {
  const I64 N = W.rows(), K2 = W.padded_k() / 2, blocks = (N + 15) / 16;
  const I64 width = M == 1 ? 8 : kNV;  // blocks per task
  const I64 mtiles = (M + kMR - 1) / kMR, panels = (blocks + width - 1) / width, tasks = mtiles * panels;
  const __mmask16 tail = N % 16 ? __mmask16((1u << (N % 16)) - 1) : __mmask16(0xffff);
  const std::uint32_t* a32 = reinterpret_cast<const std::uint32_t*>(A);
  const std::uint16_t* w = W.data();
  auto task = [&](I64 t) {
    const I64 m0 = (t / panels) * kMR, b0 = (t % panels) * width;
    const int mr = static_cast<int>(M - m0 < kMR ? M - m0 : kMR);
    const int nv = static_cast<int>(blocks - b0 < width ? blocks - b0 : width);
    const __mmask16 last = b0 + nv == blocks ? tail : __mmask16(0xffff);
    const TileFn f = M == 1 ? row_for(nv) : tile_for(mr, nv);
    f(K2, a32 + m0 * K2, K2, w + b0 * K2 * 32, beta, C + m0 * ldc + b0 * 16, ldc, bias ? bias + b0 * 16 : nullptr, last);
  };
  // Row tiles outer, so a task's rows of A stay in L1 while the weights stream from L2. Small products
  // skip OpenMP entirely (its fork costs more than a batch-1 step).
  if (omp_in_parallel() || omp_get_max_threads() < 2 || M * N * K2 < (I64(1) << 18)) {
    for (I64 t = 0; t < tasks; ++t) task(t);
    return;
  }
#pragma omp parallel for schedule(static)
  for (I64 t = 0; t < tasks; ++t) task(t);
}

void round_row_avx512(const float* src, I64 n, std::uint16_t* dst) {
  I64 i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(dst + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

}  // namespace birnn::kernels::detail

#pragma GCC pop_options
