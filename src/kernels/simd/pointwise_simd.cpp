// SIMD versions of the reference loops in ref/pointwise_ref.hpp, compiled once per instruction set
// by Highway and picked at run time. Each row body is written once, templated on the vector tag:
// the full-width tag covers the bulk of a row, a one-lane tag covers the tail.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/pointwise_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/pointwise.hpp"
#include "kernels/simd/fast_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

// The gate non-linearities: divide-free sigmoid and tanh (fast_math-inl.h).
using fm::Sigmoid;
using fm::Tanh;

template <class D>
HWY_INLINE void LstmSpan(D d, I64 j0, I64 j1, I64 H, float* g, const float* cp, float* c, float* h, float* tc) {
  for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
    const auto i = Sigmoid(d, hn::LoadU(d, g + j));
    const auto f = Sigmoid(d, hn::LoadU(d, g + H + j));
    const auto gg = Tanh(d, hn::LoadU(d, g + 2 * H + j));
    const auto o = Sigmoid(d, hn::LoadU(d, g + 3 * H + j));
    const auto cn = hn::MulAdd(f, hn::LoadU(d, cp + j), hn::Mul(i, gg));
    hn::StoreU(i, d, g + j);
    hn::StoreU(f, d, g + H + j);
    hn::StoreU(gg, d, g + 2 * H + j);
    hn::StoreU(o, d, g + 3 * H + j);
    const auto th = Tanh(d, cn);
    hn::StoreU(cn, d, c + j);
    hn::StoreU(hn::Mul(o, th), d, h + j);
    if (tc) hn::StoreU(th, d, tc + j);
  }
}

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

void LstmForward(I64 n, I64 H, float* gates, I64 ldg, const float* c_prev, I64 ldcp, float* c, I64 ldc, float* h,
                 I64 ldh, float* tc, I64 ldtc) {
  for (I64 r = 0; r < n; ++r)
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      LstmSpan(d, j0, j1, H, gates + r * ldg, c_prev + r * ldcp, c + r * ldc, h + r * ldh, tc ? tc + r * ldtc : nullptr);
    });
}

template <class D>
HWY_INLINE auto BiasOr0(D d, const float* b, I64 j) {
  return b ? hn::LoadU(d, b + j) : hn::Zero(d);
}

// σ(x[j] + hh[j] + b[j]): the r and z gates of both GRU forms.
template <class D>
HWY_INLINE auto GateSigmoid(D d, const float* x, const float* hh, const float* b, I64 j) {
  return Sigmoid(d, hn::Add(hn::Add(hn::LoadU(d, x + j), hn::LoadU(d, hh + j)), BiasOr0(d, b, j)));
}

void GruForward(I64 n, I64 H, float* xg, I64 ldx, const float* hg, I64 ldhg, const float* b_hh, float* hn_out,
                I64 ldhn, const float* h_prev, I64 ldhp, float* h, I64 ldh) {
  for (I64 r = 0; r < n; ++r) {
    float* x = xg + r * ldx;
    const float* hh = hg + r * ldhg;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto rg = GateSigmoid(d, x, hh, b_hh, j);
        const auto z = GateSigmoid(d, x, hh, b_hh, H + j);
        const auto hl = hn::Add(hn::LoadU(d, hh + 2 * H + j), BiasOr0(d, b_hh, 2 * H + j));
        const auto nn = Tanh(d, hn::MulAdd(rg, hl, hn::LoadU(d, x + 2 * H + j)));
        const auto hp = hn::LoadU(d, h_prev + r * ldhp + j);
        hn::StoreU(rg, d, x + j);
        hn::StoreU(z, d, x + H + j);
        hn::StoreU(nn, d, x + 2 * H + j);
        hn::StoreU(hl, d, hn_out + r * ldhn + j);
        // (1 - z) * n + z * h_prev  ==  n + z * (h_prev - n)
        hn::StoreU(hn::MulAdd(z, hn::Sub(hp, nn), nn), d, h + r * ldh + j);
      }
    });
  }
}

void GruRbStage1(I64 n, I64 H, float* xg, I64 ldx, const float* hg, I64 ldhg, const float* b_hh, const float* h_prev,
                 I64 ldhp, float* rh, I64 ldrh) {
  for (I64 r = 0; r < n; ++r) {
    float* x = xg + r * ldx;
    const float* hh = hg + r * ldhg;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto rg = GateSigmoid(d, x, hh, b_hh, j);
        const auto z = GateSigmoid(d, x, hh, b_hh, H + j);
        hn::StoreU(rg, d, x + j);
        hn::StoreU(z, d, x + H + j);
        hn::StoreU(hn::Mul(rg, hn::LoadU(d, h_prev + r * ldhp + j)), d, rh + r * ldrh + j);
      }
    });
  }
}

void GruRbStage2(I64 n, I64 H, float* xg, I64 ldx, const float* hnp, I64 ldhn, const float* b_hh, const float* h_prev,
                 I64 ldhp, float* h, I64 ldh) {
  for (I64 r = 0; r < n; ++r) {
    float* x = xg + r * ldx;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto pre = hn::Add(hn::Add(hn::LoadU(d, x + 2 * H + j), hn::LoadU(d, hnp + r * ldhn + j)),
                                 BiasOr0(d, b_hh, 2 * H + j));
        const auto nn = Tanh(d, pre);
        const auto z = hn::LoadU(d, x + H + j);
        const auto hp = hn::LoadU(d, h_prev + r * ldhp + j);
        hn::StoreU(nn, d, x + 2 * H + j);
        hn::StoreU(hn::MulAdd(z, hn::Sub(hp, nn), nn), d, h + r * ldh + j);
      }
    });
  }
}

void RnnForward(I64 n, I64 H, float* gates, I64 ldg, bool relu, float* h, I64 ldh) {
  for (I64 r = 0; r < n; ++r) {
    float* g = gates + r * ldg;
    ForRow(H, [&](auto d, I64 j0, I64 j1) {
      for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) {
        const auto a = hn::LoadU(d, g + j);
        const auto v = relu ? hn::Max(a, hn::Zero(d)) : Tanh(d, a);
        hn::StoreU(v, d, g + j);
        hn::StoreU(v, d, h + r * ldh + j);
      }
    });
  }
}

void SigmoidArray(I64 n, const float* x, float* y) {
  ForRow(n, [&](auto d, I64 j0, I64 j1) {
    for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) hn::StoreU(Sigmoid(d, hn::LoadU(d, x + j)), d, y + j);
  });
}

void TanhArray(I64 n, const float* x, float* y) {
  ForRow(n, [&](auto d, I64 j0, I64 j1) {
    for (I64 j = j0; j < j1; j += static_cast<I64>(hn::Lanes(d))) hn::StoreU(Tanh(d, hn::LoadU(d, x + j)), d, y + j);
  });
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(LstmForward);
HWY_EXPORT(GruForward);
HWY_EXPORT(GruRbStage1);
HWY_EXPORT(GruRbStage2);
HWY_EXPORT(RnnForward);
HWY_EXPORT(SigmoidArray);
HWY_EXPORT(TanhArray);
HWY_EXPORT(TargetName);

void lstm_forward(std::int64_t n, std::int64_t H, float* gates, std::int64_t ldg, const float* c_prev, std::int64_t ldcp,
                  float* c, std::int64_t ldc, float* h, std::int64_t ldh, float* tc, std::int64_t ldtc) {
  HWY_DYNAMIC_DISPATCH(LstmForward)(n, H, gates, ldg, c_prev, ldcp, c, ldc, h, ldh, tc, ldtc);
}
void gru_forward(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hg, std::int64_t ldhg,
                 const float* b_hh, float* hn, std::int64_t ldhn, const float* h_prev, std::int64_t ldhp, float* h,
                 std::int64_t ldh) {
  HWY_DYNAMIC_DISPATCH(GruForward)(n, H, xg, ldx, hg, ldhg, b_hh, hn, ldhn, h_prev, ldhp, h, ldh);
}
void gru_rb_stage1(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hg, std::int64_t ldhg,
                   const float* b_hh, const float* h_prev, std::int64_t ldhp, float* rh, std::int64_t ldrh) {
  HWY_DYNAMIC_DISPATCH(GruRbStage1)(n, H, xg, ldx, hg, ldhg, b_hh, h_prev, ldhp, rh, ldrh);
}
void gru_rb_stage2(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hn, std::int64_t ldhn,
                   const float* b_hh, const float* h_prev, std::int64_t ldhp, float* h, std::int64_t ldh) {
  HWY_DYNAMIC_DISPATCH(GruRbStage2)(n, H, xg, ldx, hn, ldhn, b_hh, h_prev, ldhp, h, ldh);
}
void rnn_forward(std::int64_t n, std::int64_t H, float* gates, std::int64_t ldg, bool relu, float* h, std::int64_t ldh) {
  HWY_DYNAMIC_DISPATCH(RnnForward)(n, H, gates, ldg, relu, h, ldh);
}
void sigmoid_array(std::int64_t n, const float* x, float* y) { HWY_DYNAMIC_DISPATCH(SigmoidArray)(n, x, y); }
void tanh_array(std::int64_t n, const float* x, float* y) { HWY_DYNAMIC_DISPATCH(TanhArray)(n, x, y); }
const char* simd_target_name() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }
}  // namespace birnn::kernels
#endif
