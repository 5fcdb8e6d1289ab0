// The gate kernels' divide-free sigmoid and tanh (kernels/simd/fast_math-inl.h, through
// kernels::sigmoid_array / tanh_array) against float64 std::exp / std::tanh: the error in ulps over a dense
// sweep of float bit patterns, a fine linear grid where the gates live, and the special values; on every
// SIMD target this CPU supports (the 128/256-bit ones refine a coarser reciprocal estimate).
#include <gtest/gtest.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/pointwise.hpp"
#include "simd_targets.hpp"

namespace birnn::kernels {
namespace {

// The bounds the kernels are held to (measured max: AVX3 and AVX2 sigmoid 2.45, tanh 1.31 ulp; SSE4, which
// has no FMA, 2.82 and 1.67).
constexpr double kMaxUlpSigmoid = 3.0, kMaxUlpTanh = 2.0;

// The sweeps measure the kernels' arithmetic with flush-to-zero and denormals-are-zero off, whatever an
// earlier test in this process left in MXCSR (the layers turn both on in the threads they run in, so the
// whole test binary run in one process failed here while each test alone passed). Under FTZ the 128-bit
// targets' sigmoid loses its last bits below ~1e-35 (measured: 4134 "ulps" at x = -81 on SSE4, an absolute
// error of ~3e-39); AVX2 does not.
struct DenormalsOn {
  unsigned saved = _mm_getcsr();
  DenormalsOn() { _mm_setcsr(saved & ~0x8040u); }
  ~DenormalsOn() { _mm_setcsr(saved); }
};

template <class Body>
void for_each_target(const Body& body) {
  const DenormalsOn denormals;
  birnn::testing::for_each_simd_target(body);
}

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// |y - ref| in units of the float ulp at ref. Below FLT_MIN the unit is FLT_MIN itself: the kernels give no
// denormal precision, like flush-to-zero code (sigmoid(-100) comes out in [0, FLT_MIN), not 3.7e-44).
double ulps(float y, double ref) {
  const double err = std::abs(static_cast<double>(y) - ref);
  if (std::abs(ref) < FLT_MIN) return err / FLT_MIN;
  int e = 0;
  std::frexp(std::abs(ref), &e);
  return err / std::ldexp(1.0, e - 24);
}

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

struct Worst {
  double ulp = 0;
  float at = 0;
};

// Max error of fn against ref over: every 251st float from 0 up to 200, both signs (below ~1e-38 the steps
// are denormals), then a linear grid over [-20, 20] with step 2^-14, where real gate pre-activations fall.
// Chunked, so memory stays small.
template <class F, class R>
Worst worst_error(F fn, R ref) {
  Worst w;
  std::vector<float> xs, ys;
  auto flush = [&] {
    ys.resize(xs.size());
    fn(static_cast<std::int64_t>(xs.size()), xs.data(), ys.data());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double u = ulps(ys[i], ref(static_cast<double>(xs[i])));
      if (!(u <= w.ulp)) w.ulp = u, w.at = xs[i];  // a NaN result becomes the worst case
    }
    xs.clear();
  };
  auto add = [&](float x) {
    xs.push_back(x);
    if (xs.size() == 65536) flush();
  };
  for (std::uint32_t b = 0; b <= 0x43480000u; b += 251) add(from_bits(b)), add(-from_bits(b));  // 200.0f
  for (int i = -20 * 16384; i <= 20 * 16384; ++i) add(static_cast<float>(i) / 16384.f);
  flush();
  return w;
}

TEST(FastMath, SigmoidWithinUlpBoundOnDenseSweep) {
  for_each_target([] {
    const Worst w = worst_error(sigmoid_array, sigmoid_ref);
    EXPECT_LE(w.ulp, kMaxUlpSigmoid) << "worst at x = " << w.at << " (" << simd_target_name() << ")";
    std::printf("sigmoid max error %.2f ulp at x = %.9g (%s)\n", w.ulp, w.at, simd_target_name());
  });
}

TEST(FastMath, TanhWithinUlpBoundOnDenseSweep) {
  for_each_target([] {
    const Worst w = worst_error(tanh_array, [](double x) { return std::tanh(x); });
    EXPECT_LE(w.ulp, kMaxUlpTanh) << "worst at x = " << w.at << " (" << simd_target_name() << ")";
    std::printf("tanh max error %.2f ulp at x = %.9g (%s)\n", w.ulp, w.at, simd_target_name());
  });
}

// Special values, in the lanes of full vectors and of the scalar tail (n = 37 is not a multiple of any
// vector width).
void check_special_values() {
  const char* tn = simd_target_name();
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> special = {inf, -inf, FLT_MAX, -FLT_MAX, 1e30f, -1e30f, 90.f, -90.f, 88.f, -88.f, 87.f, -87.f,
                                      86.f, 20.f, -20.f, 9.5f, -9.5f, 0.f, -0.f, 1e-45f, -1e-45f, FLT_MIN, nan, -nan};
  for (const std::size_t n : {special.size(), std::size_t{37}}) {
    std::vector<float> x(n, 0.5f);
    for (std::size_t i = 0; i < n; ++i) x[i] = special[i % special.size()];
    std::vector<float> s(n), t(n);
    sigmoid_array(static_cast<std::int64_t>(n), x.data(), s.data());
    tanh_array(static_cast<std::int64_t>(n), x.data(), t.data());
    for (std::size_t i = 0; i < n; ++i) {
      const float v = x[i];
      if (std::isnan(v)) {
        EXPECT_TRUE(std::isnan(s[i])) << "sigmoid(NaN) at lane " << i << " on " << tn;
        EXPECT_TRUE(std::isnan(t[i])) << "tanh(NaN) at lane " << i << " on " << tn;
        continue;
      }
      // Exact saturation: sigmoid(x) == 1 and tanh(x) == +-1 once the true value rounds there.
      if (v >= 20.f) EXPECT_EQ(s[i], 1.f) << "sigmoid(" << v << ") on " << tn;
      if (v <= -88.f) EXPECT_TRUE(s[i] >= 0.f && s[i] < FLT_MIN) << "sigmoid(" << v << ") = " << s[i] << " on " << tn;
      if (std::abs(v) >= 9.5f) EXPECT_EQ(t[i], std::copysign(1.f, v)) << "tanh(" << v << ") on " << tn;
      if (std::abs(v) < 88.f) EXPECT_LE(ulps(s[i], sigmoid_ref(v)), kMaxUlpSigmoid) << "sigmoid(" << v << ") on " << tn;
      EXPECT_LE(ulps(t[i], std::tanh(static_cast<double>(v))), kMaxUlpTanh) << "tanh(" << v << ") on " << tn;
      // Odd function, sign of zero included.
      if (v == 0.f) EXPECT_EQ(std::signbit(t[i]), std::signbit(v)) << "tanh(" << v << ") on " << tn;
    }
  }
}

TEST(FastMath, SaturatesAndPropagatesNaN) { for_each_target(check_special_values); }

// In place (x == y), as the gate kernels run.
TEST(FastMath, InPlaceMatchesOutOfPlace) {
  std::vector<float> x(101);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -10.f + 0.2f * static_cast<float>(i);
  std::vector<float> out(x.size()), in = x;
  tanh_array(static_cast<std::int64_t>(x.size()), x.data(), out.data());
  tanh_array(static_cast<std::int64_t>(in.size()), in.data(), in.data());
  EXPECT_EQ(in, out);
}

}  // namespace
}  // namespace birnn::kernels
