// SIMD versions of the CRF kernels (kernels/crf_kernels.hpp; definitions in ref/crf_ref.hpp), float64 with
// Highway's runtime dispatch. The products read each row of the K x N matrix once per block of rows and
// columns and keep that block's outputs in registers; exp and log use Highway's vector versions. A tail shorter than
// a vector goes through a padded buffer so that every element takes the same code path.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/crf_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <cmath>

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include "kernels/crf_kernels.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;
using D = hn::ScalableTag<double>;
constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(double);

// Applies f (a vector -> vector function) to x[0..n) into out, the tail through a buffer padded with `pad`.
template <class F>
HWY_INLINE void Map(const double* x, I64 n, double* out, double pad, F f) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  I64 i = 0;
  for (; i + L <= n; i += L) hn::StoreU(f(hn::LoadU(d, x + i)), d, out + i);
  if (i == n) return;
  HWY_ALIGN double buf[kMaxLanes];
  for (I64 k = 0; k < L; ++k) buf[k] = i + k < n ? x[i + k] : pad;
  hn::Store(f(hn::Load(d, buf)), d, buf);
  for (I64 k = 0; i + k < n; ++k) out[i + k] = buf[k];
}

void ExpShifted(const double* x, double m, I64 n, double* out) {
  const D d;
  const auto vm = hn::Set(d, m);
  Map(x, n, out, 0.0, [&](hn::Vec<D> v) {
    const auto y = hn::Sub(v, vm);
    return hn::IfThenElse(hn::IsNaN(y), y, hn::Exp(d, y));  // Highway's Exp gives 0 for NaN and -inf
  });
}

void LogOffset(const double* s, double c, I64 n, double* out) {
  const D d;
  const auto vc = hn::Set(d, c);
  Map(s, n, out, 1.0, [&](hn::Vec<D> v) { return hn::Add(vc, hn::Log(d, v)); });
}

// Rows r0 .. r0 + RI - 1, columns j0 .. j0 + V*L - 1 of W M: each row of M is loaded once for RI rows
// of W (the product is bound by reading M, 283 KB at K = 188, from L2, when it is done one row at a time).
template <int RI, int V>
HWY_INLINE void MatmulBlock(const double* W, const double* M, I64 K, I64 N, I64 r0, I64 j0, double* out) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  hn::Vec<D> acc[RI][V];
  for (int r = 0; r < RI; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = hn::Zero(d);
  for (I64 i = 0; i < K; ++i) {
    hn::Vec<D> m[V];
    for (int v = 0; v < V; ++v) m[v] = hn::LoadU(d, M + i * N + j0 + v * L);
    for (int r = 0; r < RI; ++r) {
      const auto w = hn::Set(d, W[(r0 + r) * K + i]);
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(w, m[v], acc[r][v]);
    }
  }
  for (int r = 0; r < RI; ++r)
    for (int v = 0; v < V; ++v) hn::StoreU(acc[r][v], d, out + (r0 + r) * N + j0 + v * L);
}

template <int RI>
HWY_INLINE void MatmulRows(const double* W, const double* M, I64 K, I64 N, I64 r0, double* out) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  I64 j = 0;
  // RI * 4 (or, for one row, 8) chains of fused multiply-adds keep both FMA pipes busy.
  if constexpr (RI == 1)
    for (; j + 8 * L <= N; j += 8 * L) MatmulBlock<1, 8>(W, M, K, N, r0, j, out);
  for (; j + 4 * L <= N; j += 4 * L) MatmulBlock<RI, 4>(W, M, K, N, r0, j, out);
  for (; j + L <= N; j += L) MatmulBlock<RI, 1>(W, M, K, N, r0, j, out);
  for (; j < N; ++j)
    for (int r = 0; r < RI; ++r) {
      double s = 0;
      for (I64 i = 0; i < K; ++i) s += W[(r0 + r) * K + i] * M[i * N + j];
      out[(r0 + r) * N + j] = s;
    }
}

void Matmul(I64 n, const double* W, const double* M, I64 K, I64 N, double* out) {
  I64 r = 0;
  for (; r + 4 <= n; r += 4) MatmulRows<4>(W, M, K, N, r, out);
  for (; r < n; ++r) MatmulRows<1>(W, M, K, N, r, out);
}

// Rows i0 .. i0 + RI - 1 and V vectors of columns from j0 of G += R^T C.
template <int RI, int V>
HWY_INLINE void OuterBlock(I64 n, const double* R, const double* C, I64 K, I64 N, I64 i0, I64 j0, double* G) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  hn::Vec<D> acc[RI][V];
  for (int r = 0; r < RI; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = hn::LoadU(d, G + (i0 + r) * N + j0 + v * L);
  for (I64 t = 0; t < n; ++t) {
    hn::Vec<D> c[V];
    for (int v = 0; v < V; ++v) c[v] = hn::LoadU(d, C + t * N + j0 + v * L);
    for (int r = 0; r < RI; ++r) {
      const auto rv = hn::Set(d, R[t * K + i0 + r]);
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(rv, c[v], acc[r][v]);
    }
  }
  for (int r = 0; r < RI; ++r)
    for (int v = 0; v < V; ++v) hn::StoreU(acc[r][v], d, G + (i0 + r) * N + j0 + v * L);
}

template <int RI>
HWY_INLINE void OuterRows(I64 n, const double* R, const double* C, I64 K, I64 N, I64 i0, double* G) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  I64 j = 0;
  for (; j + 2 * L <= N; j += 2 * L) OuterBlock<RI, 2>(n, R, C, K, N, i0, j, G);
  for (; j + L <= N; j += L) OuterBlock<RI, 1>(n, R, C, K, N, i0, j, G);
  for (; j < N; ++j)
    for (int r = 0; r < RI; ++r) {
      double s = G[(i0 + r) * N + j];
      for (I64 t = 0; t < n; ++t) s += R[t * K + i0 + r] * C[t * N + j];
      G[(i0 + r) * N + j] = s;
    }
}

void AddOuter(I64 n, const double* R, const double* C, I64 K, I64 N, double* G) {
  I64 i = 0;
  for (; i + 4 <= K; i += 4) OuterRows<4>(n, R, C, K, N, i, G);
  for (; i < K; ++i) OuterRows<1>(n, R, C, K, N, i, G);
}

// Columns j0 .. j0 + V*L - 1 of the max-plus product; arg is carried as a double (exact for any tag id).
// V independent vectors hide the compare-and-select latency that one running maximum is bound by. The
// last block may be partial (`width` columns of its last vector): its rows are read whole, running into
// the next rows, which is harmless because the extra lanes are never stored; a row whose read would pass the
// end of the matrix (the last one, or the last few when N is shorter than the block) is copied to a buffer.
template <int V>
HWY_INLINE void MaxplusBlock(const double* x, const double* A, I64 K, I64 N, I64 j0, I64 width, double* best, I64* arg) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  hn::Vec<D> m[V], a[V];
  for (int v = 0; v < V; ++v) m[v] = hn::Set(d, -HUGE_VAL), a[v] = hn::Zero(d);
  HWY_ALIGN double last[kMaxLanes * V];
  // Rows from `first_copied` on would read past A[K*N - 1] when the block is partial.
  const I64 room = K * N - j0 - V * L;  // row i may be read in place while i * N <= room
  const I64 first_copied = width == V * L ? K : room < 0 ? 0 : room / N + 1;
  for (I64 i = 0; i < K; ++i) {
    const double* row = A + i * N + j0;
    if (i >= first_copied) {
      for (I64 k = 0; k < V * L; ++k) last[k] = k < width ? row[k] : 0.0;
      row = last;
    }
    const auto xi = hn::Set(d, x[i]);
    const auto vi = hn::Set(d, static_cast<double>(i));
    for (int v = 0; v < V; ++v) {
      const auto s = hn::Add(xi, hn::LoadU(d, row + v * L));
      const auto gt = hn::Gt(s, m[v]);
      m[v] = hn::IfThenElse(gt, s, m[v]);
      a[v] = hn::IfThenElse(gt, vi, a[v]);
    }
  }
  HWY_ALIGN double bv[kMaxLanes * V], av[kMaxLanes * V];
  for (int v = 0; v < V; ++v) hn::Store(m[v], d, bv + v * L), hn::Store(a[v], d, av + v * L);
  for (I64 k = 0; k < width; ++k) best[j0 + k] = bv[k], arg[j0 + k] = static_cast<I64>(av[k]);
}

void Maxplus(const double* x, const double* A, I64 K, I64 N, double* best, I64* arg) {
  const D d;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  I64 j = 0;
  for (; j + 4 * L <= N; j += 4 * L) MaxplusBlock<4>(x, A, K, N, j, 4 * L, best, arg);
  const I64 rest = N - j;  // fewer than 4 whole vectors: 1 to 4 vectors, the last one possibly partial
  switch ((rest + L - 1) / L) {
    case 4: MaxplusBlock<4>(x, A, K, N, j, rest, best, arg); break;
    case 3: MaxplusBlock<3>(x, A, K, N, j, rest, best, arg); break;
    case 2: MaxplusBlock<2>(x, A, K, N, j, rest, best, arg); break;
    case 1: MaxplusBlock<1>(x, A, K, N, j, rest, best, arg); break;
    default: break;
  }
}

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(ExpShifted);
HWY_EXPORT(LogOffset);
HWY_EXPORT(Matmul);
HWY_EXPORT(AddOuter);
HWY_EXPORT(Maxplus);

void crf_exp_shifted(const double* x, double m, std::int64_t n, double* out) { HWY_DYNAMIC_DISPATCH(ExpShifted)(x, m, n, out); }
void crf_log_offset(const double* s, double c, std::int64_t n, double* out) { HWY_DYNAMIC_DISPATCH(LogOffset)(s, c, n, out); }
void crf_matmul(std::int64_t n, const double* W, const double* M, std::int64_t K, std::int64_t N, double* out) {
  HWY_DYNAMIC_DISPATCH(Matmul)(n, W, M, K, N, out);
}
void crf_add_outer(std::int64_t n, const double* R, const double* C, std::int64_t K, std::int64_t N, double* G) {
  HWY_DYNAMIC_DISPATCH(AddOuter)(n, R, C, K, N, G);
}
void crf_maxplus(const double* x, const double* A, std::int64_t K, std::int64_t N, double* best, std::int64_t* arg) {
  HWY_DYNAMIC_DISPATCH(Maxplus)(x, A, K, N, best, arg);
}
}  // namespace birnn::kernels
#endif
