// The CRF's float64 SIMD kernels (kernels/crf_kernels.hpp) against their plain reference loops
// (kernels/ref/crf_ref.hpp): sizes below, at and past a vector and its multiples (the tails), -inf and NaN
// inputs, ties in the max-plus argmax. Each on every SIMD target this CPU has (simd_targets.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/crf_kernels.hpp"
#include "kernels/ref/crf_ref.hpp"
#include "simd_targets.hpp"

namespace birnn::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<std::int64_t> kSizes{1, 3, 7, 8, 9, 16, 17, 31, 33, 63, 100, 188};

std::vector<double> rnd(std::int64_t n, std::mt19937& g, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = u(g);
  return v;
}

void expect_rel(double got, double want, double tol, const char* what, std::int64_t i) {
  ASSERT_NEAR(got, want, tol * (1.0 + std::abs(want))) << what << " at " << i;
}

TEST(CrfKernels, ExpShiftedMatchesReference) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 g(1);
    for (std::int64_t n : kSizes) {
      auto x = rnd(n, g, -700, 5);
      if (n > 2) x[1] = -kInf, x[2] = std::numeric_limits<double>::quiet_NaN();
      std::vector<double> got(x.size()), want(x.size());
      crf_exp_shifted(x.data(), 3.0, n, got.data());
      ref::crf_exp_shifted(x.data(), 3.0, n, want.data());
      for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (std::isnan(want[k])) {
          EXPECT_TRUE(std::isnan(got[k])) << "NaN must stay NaN at " << i;
          continue;
        }
        expect_rel(got[k], want[k], 1e-15, "exp", i);
      }
      if (n > 2) EXPECT_EQ(got[1], 0.0);
      crf_exp_shifted(x.data(), 3.0, n, x.data());  // in place
      for (std::int64_t i = 0; i < n; ++i)
        if (!std::isnan(want[static_cast<std::size_t>(i)])) EXPECT_EQ(x[static_cast<std::size_t>(i)], got[static_cast<std::size_t>(i)]);
    }
  });
}

TEST(CrfKernels, LogOffsetMatchesReference) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 g(2);
    for (std::int64_t n : kSizes) {
      auto s = rnd(n, g, 1e-3, 200);
      if (n > 1) s[0] = 1e-270;
      std::vector<double> got(s.size()), want(s.size());
      crf_log_offset(s.data(), -12.5, n, got.data());
      ref::crf_log_offset(s.data(), -12.5, n, want.data());
      for (std::int64_t i = 0; i < n; ++i) expect_rel(got[static_cast<std::size_t>(i)], want[static_cast<std::size_t>(i)], 1e-14, "log", i);
    }
  });
}

TEST(CrfKernels, MatmulMatchesReference) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 g(3);
    for (std::int64_t n : {1, 3, 4, 5, 9})  // blocks of 4 rows and the rows left over
      for (std::int64_t K : {1, 5, 188})
        for (std::int64_t N : kSizes) {
          auto W = rnd(n * K, g, 0, 1), M = rnd(K * N, g, 0, 1);
          std::vector<double> got(static_cast<std::size_t>(n * N)), want(static_cast<std::size_t>(n * N));
          crf_matmul(n, W.data(), M.data(), K, N, got.data());
          ref::crf_matmul(n, W.data(), M.data(), K, N, want.data());
          for (std::int64_t j = 0; j < n * N; ++j) expect_rel(got[static_cast<std::size_t>(j)], want[static_cast<std::size_t>(j)], 1e-14, "matmul", j);
        }
  });
}

TEST(CrfKernels, AddOuterMatchesReference) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 g(4);
    for (std::int64_t n : {1, 2, 9})
      for (std::int64_t K : {1, 3, 4, 6, 188})
        for (std::int64_t N : {1, 7, 16, 17, 188}) {
          auto R = rnd(n * K, g, -1, 1), C = rnd(n * N, g, 0, 1), G = rnd(K * N, g, -1, 1);
          auto got = G, want = G;
          crf_add_outer(n, R.data(), C.data(), K, N, got.data());
          ref::crf_add_outer(n, R.data(), C.data(), K, N, want.data());
          for (std::int64_t i = 0; i < K * N; ++i) expect_rel(got[static_cast<std::size_t>(i)], want[static_cast<std::size_t>(i)], 1e-14, "G", i);
          ASSERT_NE(got, G) << "nothing was added";
        }
  });
}

TEST(CrfKernels, MaxplusMatchesReferenceWithTiesAndForbidden) {
  birnn::testing::for_each_simd_target([&] {
    SCOPED_TRACE(kernels::simd_target_name());
    std::mt19937 g(5);
    // Small K x N matrices (shorter than a block of vectors) check that no row is read past the matrix's end.
    for (std::int64_t K : {1, 2, 3, 4, 9, 188})
      for (std::int64_t N : kSizes) {
        auto x = rnd(K, g, -5, 5), A = rnd(K * N, g, -3, 3);
        for (auto& a : A) a = std::round(a);  // integers: many ties, decided by the lowest id
        for (std::size_t i = 0; i < A.size(); i += 5) A[i] = -kInf;
        for (auto& v : x) v = std::round(v);
        if (K > 1) x[1] = -kInf;
        if (N > 2)
          for (std::int64_t i = 0; i < K; ++i) A[static_cast<std::size_t>(i * N + 2)] = -kInf;  // a column nobody reaches
        std::vector<double> got(static_cast<std::size_t>(N)), want(static_cast<std::size_t>(N));
        std::vector<std::int64_t> ga(static_cast<std::size_t>(N), -7), wa(static_cast<std::size_t>(N), -7);
        crf_maxplus(x.data(), A.data(), K, N, got.data(), ga.data());
        ref::crf_maxplus(x.data(), A.data(), K, N, want.data(), wa.data());
        EXPECT_EQ(got, want) << K << " x " << N;
        EXPECT_EQ(ga, wa) << K << " x " << N;
      }
  });
}

}  // namespace
}  // namespace birnn::kernels
