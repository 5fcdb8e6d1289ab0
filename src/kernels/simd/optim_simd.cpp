// SIMD versions of the optimizer kernels (kernels/optim_kernels.hpp; definitions in ref/optim_ref.hpp):
// float32 parameters widened to float64 lanes, the same operations as the reference loop in the same order.
// The elements past the last full vector run the reference loop (same operations, so the same result).
// GCC fuses a vector multiply and add into an FMA even in ISO mode, which would round differently from
// the reference loop: keep them apart here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/optim_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "kernels/optim_kernels.hpp"
#include "kernels/ref/optim_ref.hpp"

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using I64 = std::int64_t;

void AdamStepF32(const AdamStep& s, I64 n, float* w, const float* g, float* m, float* v, float* vmax) {
  const hn::ScalableTag<double> d;
  const hn::Rebind<float, decltype(d)> f;  // as many floats as d has doubles
  const I64 L = static_cast<I64>(hn::Lanes(d));
  const auto b1 = hn::Set(d, s.beta1), c1 = hn::Set(d, 1 - s.beta1), b2 = hn::Set(d, s.beta2), c2 = hn::Set(d, 1 - s.beta2);
  const auto wd = hn::Set(d, s.weight_decay), decay = hn::Set(d, s.decay), bc2 = hn::Set(d, s.bc2_sqrt), eps = hn::Set(d, s.eps);
  const auto neg_step = hn::Set(d, -s.step_size);
  auto wide = [&](const float* p) { return hn::PromoteTo(d, hn::LoadU(f, p)); };
  auto narrow = [&](hn::Vec<decltype(d)> x) { return hn::DemoteTo(f, x); };
  I64 i = 0;
  for (; i + L <= n; i += L) {
    auto gd = wide(g + i);
    if (s.maximize) gd = hn::Neg(gd);
    auto wf = hn::LoadU(f, w + i);
    if (s.decoupled) wf = narrow(hn::Mul(hn::PromoteTo(d, wf), decay));
    else if (s.weight_decay != 0) gd = hn::Add(gd, hn::Mul(wd, hn::PromoteTo(d, wf)));
    const auto mf = narrow(hn::Add(hn::Mul(wide(m + i), b1), hn::Mul(c1, gd)));
    const auto vf = narrow(hn::Add(hn::Mul(wide(v + i), b2), hn::Mul(hn::Mul(c2, gd), gd)));
    hn::StoreU(mf, f, m + i);
    hn::StoreU(vf, f, v + i);
    auto second = hn::PromoteTo(d, vf);
    if (vmax) {
      const auto vm = wide(vmax + i);
      second = hn::IfThenElse(hn::Ge(vm, second), vm, second);  // not (vmax >= v): take v (NaN propagates)
      hn::StoreU(narrow(second), f, vmax + i);
    }
    const auto denom = hn::Add(hn::Div(hn::Sqrt(second), bc2), eps);
    const auto upd = hn::Mul(neg_step, hn::Div(hn::PromoteTo(d, mf), denom));
    hn::StoreU(narrow(hn::Add(hn::PromoteTo(d, wf), upd)), f, w + i);
  }
  ref::adam_step<float>(s, n - i, w + i, g + i, m + i, v + i, vmax ? vmax + i : nullptr);
}

double SumOfSquares(const float* x, I64 n) {
  const hn::ScalableTag<double> d;
  const hn::Rebind<float, decltype(d)> f;
  const I64 L = static_cast<I64>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);  // four chains hide the add latency
  I64 i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    const auto x0 = hn::PromoteTo(d, hn::LoadU(f, x + i)), x1 = hn::PromoteTo(d, hn::LoadU(f, x + i + L));
    const auto x2 = hn::PromoteTo(d, hn::LoadU(f, x + i + 2 * L)), x3 = hn::PromoteTo(d, hn::LoadU(f, x + i + 3 * L));
    a0 = hn::MulAdd(x0, x0, a0), a1 = hn::MulAdd(x1, x1, a1), a2 = hn::MulAdd(x2, x2, a2), a3 = hn::MulAdd(x3, x3, a3);
  }
  double total = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  return total + ref::sum_of_squares(x + i, n - i);
}

}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::kernels {
HWY_EXPORT(AdamStepF32);
HWY_EXPORT(SumOfSquares);

void adam_step(const AdamStep& s, std::int64_t n, float* w, const float* g, float* m, float* v, float* vmax) {
  HWY_DYNAMIC_DISPATCH(AdamStepF32)(s, n, w, g, m, v, vmax);
}
double sum_of_squares(const float* x, std::int64_t n) { return HWY_DYNAMIC_DISPATCH(SumOfSquares)(x, n); }
}  // namespace birnn::kernels
#endif
