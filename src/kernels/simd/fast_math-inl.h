// Divide-free float sigmoid and tanh for the fused gate kernels, per Highway target (include it inside
// HWY_NAMESPACE). Why not hwy's Exp/Tanh + Div: a vector divide is the slowest op of the gate pass, and
// hwy's Exp rebuilds 2^n with two multiplies; here 2^n goes straight into the exponent bits and 1/d is a
// reciprocal estimate refined by Newton steps.
// Accuracy (tests/unit/test_fast_math.cpp sweeps every case): a few ulp against float64 std::exp/std::tanh
// for normal results; results below FLT_MIN (sigmoid(x) for x < -87) come out in [0, FLT_MIN), as with
// flush-to-zero. Saturation is exact: sigmoid(+inf) = 1, tanh(+-inf) = +-1; NaN in gives NaN out.
// Per-target include guard, as Highway's own -inl headers do.
#if defined(BIRNN_KERNELS_SIMD_FAST_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BIRNN_KERNELS_SIMD_FAST_MATH_INL_H_
#undef BIRNN_KERNELS_SIMD_FAST_MATH_INL_H_
#else
#define BIRNN_KERNELS_SIMD_FAST_MATH_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace birnn::kernels::HWY_NAMESPACE {
namespace fm {
namespace hn = hwy::HWY_NAMESPACE;

// 1/d without a divide. AVX-512's 512-bit estimate (vrcp14ps) has 14 good bits, so one Newton step gives
// ~full precision; the 128/256-bit ones (rcpps) have 12, so they get a second step.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Reciprocal(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  V r = hn::ApproximateReciprocal(x);
  r = hn::MulAdd(r, hn::NegMulAdd(x, r, one), r);  // r += r * (1 - x r)
#if HWY_TARGET <= HWY_AVX3
  constexpr bool kRcp14 = hn::MaxLanes(D()) == 16;
#else
  constexpr bool kRcp14 = false;
#endif
  if constexpr (!kRcp14) r = hn::MulAdd(r, hn::NegMulAdd(x, r, one), r);
  return r;
}

// exp(-s) for s in [-88, 86] (callers clamp, so 2^n stays a normal float): n = round(-s / ln 2) by the
// 1.5 * 2^23 rounding trick (t then holds n in its low mantissa bits), r = -s - n ln 2 in [-ln2/2, ln2/2],
// result p(r) * 2^n. p is a degree-6 fit of exp on that interval (relative error 3e-9, below float
// rounding; Cephes' expf uses degree 7), with r's sign folded into the coefficients (u = -r is at hand),
// evaluated by Horner.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpNeg(D d, V s) {
  const hn::RebindToSigned<D> di;
  const V magic = hn::Set(d, 12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const V t = hn::MulAdd(s, hn::Set(d, -1.44269504088896341f), magic);
  const V n = hn::Sub(t, magic);
  // -r = s + n ln 2, ln 2 split in two so n * ln2_hi is exact.
  V u = hn::MulAdd(n, hn::Set(d, 0.693145751953125f), s);
  u = hn::MulAdd(n, hn::Set(d, 1.428606765330187045e-6f), u);
  // exp(r) = 1 + r + r^2/2 + ... with r = -u: odd coefficients negated.
  V p = hn::Set(d, 1.3814592966809869e-3f);
  p = hn::MulAdd(p, u, hn::Set(d, -8.368708193302155e-3f));
  p = hn::MulAdd(p, u, hn::Set(d, 4.166838899254799e-2f));
  p = hn::MulAdd(p, u, hn::Set(d, -1.666652113199234e-1f));
  p = hn::MulAdd(p, u, hn::Set(d, 4.999999403953552e-1f));
  p = hn::MulAdd(p, u, hn::Set(d, -1.0f));
  p = hn::MulAdd(p, u, hn::Set(d, 1.0f));
  // * 2^n: add n to the exponent field (t's low bits are n + 1.5 * 2^23; shifting drops the rest).
  const auto scale = hn::ShiftLeft<23>(hn::BitCast(di, t));
  return hn::BitCast(d, hn::Add(hn::BitCast(di, p), scale));
}

// sigmoid(x) = 1 / (1 + exp(-x)).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Sigmoid(D d, V x) {
  // Beyond 86 sigmoid is 1 in float; below -88, exp(-x) would overflow (the result is < FLT_MIN anyway).
  const V s = hn::Min(hn::Max(x, hn::Set(d, -88.0f)), hn::Set(d, 86.0f));
  const V y = Reciprocal(d, hn::Add(hn::Set(d, 1.0f), ExpNeg(d, s)));
  return hn::IfThenElse(hn::IsNaN(x), x, y);  // Min/Max may drop a NaN
}

// tanh(x): for |x| < 0.625 Cephes' tanhf odd polynomial x + x^3 P(x^2) (no cancellation near 0); above,
// 1 - 2 e / (1 + e) with e = exp(-2|x|) <= 1, which cannot overflow and saturates to exactly 1.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Tanh(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V a = hn::Abs(x);
  const V a2 = hn::Min(hn::Add(a, a), hn::Set(d, 86.0f));  // 2|x|, clamped so exp(-2|x|) stays normal
  const V e = ExpNeg(d, a2);
  const V big = hn::NegMulAdd(hn::Mul(e, Reciprocal(d, hn::Add(one, e))), hn::Set(d, 2.0f), one);
  const V z = hn::Mul(x, x);
  V p = hn::Set(d, -5.70498872745e-3f);
  p = hn::MulAdd(p, z, hn::Set(d, 2.06390887954e-2f));
  p = hn::MulAdd(p, z, hn::Set(d, -5.37397155531e-2f));
  p = hn::MulAdd(p, z, hn::Set(d, 1.33314422036e-1f));
  p = hn::MulAdd(p, z, hn::Set(d, -3.33332819422e-1f));
  const V small = hn::MulAdd(p, hn::Mul(z, a), a);
  // On |x|, then x's sign (so tanh(-0) = -0). NaN fails the comparison and takes the polynomial, which
  // propagates it.
  return hn::CopySignToAbs(hn::IfThenElse(hn::Ge(a, hn::Set(d, 0.625f)), big, small), x);
}

}  // namespace fm
}  // namespace birnn::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // BIRNN_KERNELS_SIMD_FAST_MATH_INL_H_
