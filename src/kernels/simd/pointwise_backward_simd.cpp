// SIMD versions of the LSTM and GRU backward loops in ref/pointwise_backward.hpp (same formulas, same
// order of operations up to fused multiply-adds), compiled once per instruction set by Highway and
// picked at run time. As in pointwise_simd.cpp, a full-width tag covers the bulk of a row and a
// one-lane tag the tail. Each vector is loaded before it is stored, so dc and dh may be updated in place.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/pointwise_backward_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/pointwise_backward.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

// Splits [0, H) into full vectors and a scalar-lane tail, calling span(tag, j0, j1) on each part.
template <class Span>
HWY_INLINE void ForRow(I64 H, const Span& span) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  const I64 bulk = H - H % L;
  span(d, 0, bulk);
  span(d1, bulk, H);
}

// x * (1 - x): the derivative of sigmoid from its output.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V OneMinusTimes(D d, V x) {
  return hn::Mul(x, hn::Sub(hn::Set(d, 1.0f), x));
}

void LstmBackward(I64 n, I64 H, const float* gates, I64 ldg, const float* tc, const float* c_prev, I64 ldc,
                  const float* dr, I64 lddr, float* dc, I64 lddc, float* dG, I64 lddg) {
  for (I64 r = 0; r < n; ++r) {
    const float* g = gates + r * ldg;
    float* dg = dG + r * lddg;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      const auto one = hn::Set(d, 1.0f);
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto i = hn::LoadU(d, g + j), f = hn::LoadU(d, g + H + j);
        const auto gg = hn::LoadU(d, g + 2 * H + j), o = hn::LoadU(d, g + 3 * H + j);
        const auto th = hn::LoadU(d, tc + r * ldc + j);
        const auto dd = hn::LoadU(d, dr + r * lddr + j);
        // dct = dc + d * o * (1 - th^2)
        const auto dct = hn::MulAdd(hn::Mul(dd, o), hn::NegMulAdd(th, th, one), hn::LoadU(d, dc + r * lddc + j));
        hn::StoreU(hn::Mul(hn::Mul(dct, gg), OneMinusTimes(d, i)), d, dg + j);
        hn::StoreU(hn::Mul(hn::Mul(dct, hn::LoadU(d, c_prev + r * ldc + j)), OneMinusTimes(d, f)), d, dg + H + j);
        hn::StoreU(hn::Mul(hn::Mul(dct, i), hn::NegMulAdd(gg, gg, one)), d, dg + 2 * H + j);
        hn::StoreU(hn::Mul(hn::Mul(dd, th), OneMinusTimes(d, o)), d, dg + 3 * H + j);
        hn::StoreU(hn::Mul(dct, f), d, dc + r * lddc + j);
      }
    });
  }
}

void GruBackward(I64 n, I64 H, const float* gates, I64 ldg, const float* hl, I64 ldhl, const float* h_prev, I64 ldhp,
                 float* dh, I64 lddh, float* dGx, I64 lddx, float* dGh, I64 lddgh) {
  for (I64 r = 0; r < n; ++r) {
    const float* g = gates + r * ldg;
    float* dx = dGx + r * lddx;
    float* dhh = dGh + r * lddgh;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      const auto one = hn::Set(d, 1.0f);
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto rg = hn::LoadU(d, g + j), z = hn::LoadU(d, g + H + j), nn = hn::LoadU(d, g + 2 * H + j);
        const auto dd = hn::LoadU(d, dh + r * lddh + j);
        const auto dan = hn::Mul(hn::Mul(dd, hn::Sub(one, z)), hn::NegMulAdd(nn, nn, one));
        const auto daz = hn::Mul(hn::Mul(dd, hn::Sub(hn::LoadU(d, h_prev + r * ldhp + j), nn)), OneMinusTimes(d, z));
        const auto dar = hn::Mul(hn::Mul(dan, hn::LoadU(d, hl + r * ldhl + j)), OneMinusTimes(d, rg));
        hn::StoreU(dar, d, dx + j);
        hn::StoreU(daz, d, dx + H + j);
        hn::StoreU(dan, d, dx + 2 * H + j);
        hn::StoreU(dar, d, dhh + j);
        hn::StoreU(daz, d, dhh + H + j);
        hn::StoreU(hn::Mul(dan, rg), d, dhh + 2 * H + j);
        hn::StoreU(hn::Mul(dd, z), d, dh + r * lddh + j);
      }
    });
  }
}

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(LstmBackward);
HWY_EXPORT(GruBackward);

void lstm_backward(std::int64_t n, std::int64_t H, const float* gates, std::int64_t ldg, const float* tc,
                   const float* c_prev, std::int64_t ldc, const float* dr, std::int64_t lddr, float* dc,
                   std::int64_t lddc, float* dG, std::int64_t lddg) {
  HWY_DYNAMIC_DISPATCH(LstmBackward)(n, H, gates, ldg, tc, c_prev, ldc, dr, lddr, dc, lddc, dG, lddg);
}
void gru_backward(std::int64_t n, std::int64_t H, const float* gates, std::int64_t ldg, const float* hl,
                  std::int64_t ldhl, const float* h_prev, std::int64_t ldhp, float* dh, std::int64_t lddh, float* dGx,
                  std::int64_t lddx, float* dGh, std::int64_t lddgh) {
  HWY_DYNAMIC_DISPATCH(GruBackward)(n, H, gates, ldg, hl, ldhl, h_prev, ldhp, dh, lddh, dGx, lddx, dGh, lddgh);
}
}  // namespace birnn::kernels
#endif
