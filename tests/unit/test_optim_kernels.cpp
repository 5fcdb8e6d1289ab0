// The optimizer's SIMD kernels (kernels/optim_kernels.hpp) against their reference loops
// (kernels/ref/optim_ref.hpp): Adam bit for bit over several steps for every flag (AdamW, weight decay,
// maximize, amsgrad) and lengths around the vector width; the sum of squares to double rounding. Each on
// every SIMD target this CPU has (simd_targets.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/optim_kernels.hpp"
#include "kernels/ref/optim_ref.hpp"
#include "simd_targets.hpp"

namespace birnn::kernels {
namespace {

std::vector<float> rnd(std::int64_t n, std::mt19937& gen, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = u(gen);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct Flags {
  bool decoupled, maximize, amsgrad;
  double weight_decay;
};

class AdamKernel : public ::testing::TestWithParam<Flags> {};

TEST_P(AdamKernel, MatchesReferenceBitForBit) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    const Flags fl = GetParam();
    std::mt19937 gen(11);
    for (std::int64_t n : {1, 7, 8, 9, 16, 33, 1000}) {
      auto w = rnd(n, gen, -1, 1), m = rnd(n, gen, -0.1f, 0.1f), v = rnd(n, gen, 0, 0.01f), vmax = rnd(n, gen, 0, 0.01f);
      if (n > 3) v[2] = 0, vmax[3] = std::nanf("");
      auto w2 = w, m2 = m, v2 = v, vmax2 = vmax;
      for (int step = 1; step <= 3; ++step) {
        const auto g = rnd(n, gen, -2, 2);
        AdamStep s;
        s.beta1 = 0.9, s.beta2 = 0.999, s.eps = 1e-8, s.weight_decay = fl.weight_decay;
        s.step_size = 2e-3 / (1 - std::pow(0.9, step)), s.bc2_sqrt = std::sqrt(1 - std::pow(0.999, step));
        s.decay = 1 - 2e-3 * fl.weight_decay, s.decoupled = fl.decoupled, s.maximize = fl.maximize;
        adam_step(s, n, w.data(), g.data(), m.data(), v.data(), fl.amsgrad ? vmax.data() : nullptr);
        ref::adam_step<float>(s, n, w2.data(), g.data(), m2.data(), v2.data(), fl.amsgrad ? vmax2.data() : nullptr);
      }
      EXPECT_TRUE(same_bits(w, w2)) << "weights, n = " << n;
      EXPECT_TRUE(same_bits(m, m2)) << "exp_avg, n = " << n;
      EXPECT_TRUE(same_bits(v, v2)) << "exp_avg_sq, n = " << n;
      if (fl.amsgrad) EXPECT_TRUE(same_bits(vmax, vmax2)) << "max_exp_avg_sq, n = " << n;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Flags, AdamKernel,
                         ::testing::Values(Flags{false, false, false, 0.0}, Flags{false, false, false, 0.01},
                                           Flags{true, false, false, 0.01}, Flags{false, true, false, 0.0},
                                           Flags{false, false, true, 0.0}, Flags{true, true, true, 0.1}));

TEST(OptimKernels, SumOfSquaresMatchesReference) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 gen(12);
    for (std::int64_t n : {0, 1, 7, 31, 32, 33, 100000}) {
      const auto x = rnd(n, gen, -3, 3);
      const double want = ref::sum_of_squares(x.data(), n);
      EXPECT_NEAR(sum_of_squares(x.data(), n), want, 1e-12 * (1 + want)) << n;
    }
  });
}

}  // namespace
}  // namespace birnn::kernels
