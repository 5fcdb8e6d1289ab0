// The fast kernels against their plain reference loops: the SIMD gate kernels (every cell, row
// widths that exercise the vector tail, padded strides, in-place state) and the float GEMM backend. The
// SIMD kernels run on every SIMD target this CPU has (simd_targets.hpp), not only the one dispatch picks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "kernels/gemm.hpp"
#include "kernels/gemm_packed.hpp"
#include "kernels/gemv.hpp"
#include "kernels/panel_gemm.hpp"
#include "kernels/pointwise.hpp"
#include "kernels/pointwise_backward.hpp"
#include "simd_targets.hpp"

namespace birnn::kernels {
namespace {

std::vector<float> rnd(std::size_t n, std::mt19937& g, float lo = -4.f, float hi = 4.f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 2e-6f * (1.f + std::abs(b[i]))) << what << " at " << i;
}

// Each on every SIMD target this CPU has (simd_targets.hpp), row widths from the parameter.
class PointwiseKernels : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(PointwiseKernels, LstmMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 5, ldg = 4 * H + 3, ld = H + 2;
    std::mt19937 g(1);
    auto gates = rnd(n * ldg, g), cp = rnd(n * ld, g, -2, 2);
    auto g1 = gates, g2 = gates, c1 = cp, c2 = cp;  // c updated in place, as the layer does
    std::vector<float> h1(n * ld), h2(n * ld), t1(n * ld), t2(n * ld);
    lstm_forward(n, H, g1.data(), ldg, c1.data(), ld, c1.data(), ld, h1.data(), ld, t1.data(), ld);
    ref::lstm_forward<float>(n, H, g2.data(), ldg, c2.data(), ld, c2.data(), ld, h2.data(), ld, t2.data(), ld);
    expect_close(t1, t2, "tanh(c)");
    expect_close(g1, g2, "gates");
    expect_close(c1, c2, "c");
    expect_close(h1, h2, "h");
  });
}

TEST_P(PointwiseKernels, GruMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 4, ld3 = 3 * H + 1;
    std::mt19937 g(2);
    auto xg = rnd(n * ld3, g), hg = rnd(n * ld3, g), b = rnd(3 * H, g, -1, 1), hp = rnd(n * H, g, -1, 1);
    for (const float* bias : {static_cast<const float*>(b.data()), static_cast<const float*>(nullptr)}) {
      auto x1 = xg, x2 = xg, h1 = hp, h2 = hp;
      std::vector<float> hn1(n * H), hn2(n * H);
      gru_forward(n, H, x1.data(), ld3, hg.data(), ld3, bias, hn1.data(), H, h1.data(), H, h1.data(), H);
      ref::gru_forward<float>(n, H, x2.data(), ld3, hg.data(), ld3, bias, hn2.data(), H, h2.data(), H, h2.data(), H);
      expect_close(x1, x2, "gates");
      expect_close(hn1, hn2, "hn");
      expect_close(h1, h2, "h");
    }
  });
}

TEST_P(PointwiseKernels, GruResetBeforeMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 3, ld3 = 3 * H;
    std::mt19937 g(3);
    auto xg = rnd(n * ld3, g), hg = rnd(n * 2 * H, g), b = rnd(3 * H, g, -1, 1), hp = rnd(n * H, g, -1, 1), hn = rnd(n * H, g);
    auto x1 = xg, x2 = xg, h1 = hp, h2 = hp;
    std::vector<float> rh1(n * H), rh2(n * H);
    gru_rb_stage1(n, H, x1.data(), ld3, hg.data(), 2 * H, b.data(), h1.data(), H, rh1.data(), H);
    ref::gru_rb_stage1<float>(n, H, x2.data(), ld3, hg.data(), 2 * H, b.data(), h2.data(), H, rh2.data(), H);
    expect_close(rh1, rh2, "r*h");
    gru_rb_stage2(n, H, x1.data(), ld3, hn.data(), H, b.data(), h1.data(), H, h1.data(), H);
    ref::gru_rb_stage2<float>(n, H, x2.data(), ld3, hn.data(), H, b.data(), h2.data(), H, h2.data(), H);
    expect_close(x1, x2, "gates");
    expect_close(h1, h2, "h");
  });
}

TEST_P(PointwiseKernels, RnnMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 6;
    std::mt19937 g(4);
    for (bool relu : {false, true}) {
      auto a = rnd(n * H, g);
      auto a1 = a, a2 = a;
      std::vector<float> h1(n * H), h2(n * H);
      rnn_forward(n, H, a1.data(), H, relu, h1.data(), H);
      ref::rnn_forward<float>(n, H, a2.data(), H, relu, h2.data(), H);
      expect_close(a1, a2, "act");
      expect_close(h1, h2, "h");
    }
  });
}

// Backward: saved activations in their real ranges (sigmoid outputs in (0, 1), tanh outputs in (-1, 1)),
// padded strides, dc / dh updated in place.
TEST_P(PointwiseKernels, LstmBackwardMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 5, ldg = 4 * H + 3, ld = H + 2, lddr = H + 1, lddg = 4 * H + 5;
    std::mt19937 g(5);
    const auto gates = rnd(n * ldg, g, 0, 1), tc = rnd(n * ld, g, -1, 1), cp = rnd(n * ld, g, -2, 2),
               dr = rnd(n * lddr, g, -1, 1);
    auto dc = rnd(n * ld, g, -1, 1), dG = rnd(n * lddg, g);
    auto dc1 = dc, dc2 = dc, dG1 = dG, dG2 = dG;
    lstm_backward(n, H, gates.data(), ldg, tc.data(), cp.data(), ld, dr.data(), lddr, dc1.data(), ld, dG1.data(), lddg);
    lstm_backward<float>(n, H, gates.data(), ldg, tc.data(), cp.data(), ld, dr.data(), lddr, dc2.data(), ld, dG2.data(),
                         lddg);
    expect_close(dc1, dc2, "dc");
    expect_close(dG1, dG2, "dG");  // also checks that the padding between rows is left alone
  });
}

TEST_P(PointwiseKernels, GruBackwardMatchesReference) {
  testing::for_each_simd_target([&] {
    SCOPED_TRACE(simd_target_name());
    const std::int64_t H = GetParam(), n = 4, ldg = 3 * H + 1, ld = H + 3, ldd = 3 * H + 2;
    std::mt19937 g(6);
    const auto gates = rnd(n * ldg, g, 0, 1), hl = rnd(n * ld, g, -2, 2), hp = rnd(n * ld, g, -1, 1);
    auto dh = rnd(n * ld, g, -1, 1), dGx = rnd(n * ldd, g), dGh = rnd(n * ldd, g);
    auto dh1 = dh, dh2 = dh, dx1 = dGx, dx2 = dGx, dhh1 = dGh, dhh2 = dGh;
    gru_backward(n, H, gates.data(), ldg, hl.data(), ld, hp.data(), ld, dh1.data(), ld, dx1.data(), ldd, dhh1.data(), ldd);
    gru_backward<float>(n, H, gates.data(), ldg, hl.data(), ld, hp.data(), ld, dh2.data(), ld, dx2.data(), ldd,
                        dhh2.data(), ldd);
    expect_close(dh1, dh2, "dh");
    expect_close(dx1, dx2, "dGx");
    expect_close(dhh1, dhh2, "dGh");
  });
}

TEST(PointwiseKernelsExtremes, SaturateWithoutNaN) {
  const std::int64_t H = 16;
  std::vector<float> gates(4 * H), c(H, 0.5f), h(H);
  for (std::int64_t j = 0; j < 4 * H; ++j) gates[j] = (j % 2 ? 1.f : -1.f) * 1e30f;
  lstm_forward(1, H, gates.data(), 4 * H, c.data(), H, c.data(), H, h.data(), H, nullptr, 0);
  for (float v : gates) EXPECT_TRUE(std::isfinite(v));
  for (float v : h) EXPECT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(RowWidths, PointwiseKernels, ::testing::Values(1, 7, 16, 33, 64, 257));

TEST(Gemm, FloatBackendMatchesReferenceForEveryTranspose) {
  std::mt19937 g(5);
  const std::int64_t M = 13, N = 29, K = 37;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (float beta : {0.f, 1.f}) {
        const std::int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
        auto A = rnd((ta ? K : M) * lda, g, -1, 1), B = rnd((tb ? N : K) * ldb, g, -1, 1), C = rnd(M * ldc, g, -1, 1);
        auto C1 = C, C2 = C;
        gemm(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C1.data(), ldc);
        gemm_ref<float>(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C2.data(), ldc);
        for (std::int64_t i = 0; i < M; ++i)
          for (std::int64_t j = 0; j < N; ++j) ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j], 1e-4f);
      }
}

// gemm(A^T B) against the reference loop for both betas, C's padding columns included (they must be left
// alone), alpha 0.5, padded ldb and ldc.
void expect_at_b_matches_reference(std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t lda, float tol,
                                   std::mt19937& g) {
  const std::int64_t ldb = N + 3, ldc = N + 2;
  auto A = rnd(K * lda, g, -1, 1), B = rnd(K * ldb, g, -1, 1), C = rnd(M * ldc, g, -1, 1);
  for (float beta : {0.f, 0.5f}) {
    auto C1 = C, C2 = C;
    gemm(true, false, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C1.data(), ldc);
    gemm_ref<float>(true, false, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C2.data(), ldc);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < ldc; ++j)
        ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j], tol) << "M " << M << " K " << K << " beta " << beta << " at " << i
                                                            << "," << j;
  }
}

// A^T B with a tall output and a long reduction (the RNN weight gradients) is computed as its transpose
// and transposed back on AVX-512 CPUs (gemm.cpp); sizes not multiples of the 16-wide tiles, padded strides.
TEST(Gemm, TallTransposedAProductMatchesReference) {
  std::mt19937 g(6);
  expect_at_b_matches_reference(70, 19, 1100, 70 + 5, 1e-3f, g);
}

// A^T B with a short reduction and a small B copies B first on CPUs without AVX-512 (gemm.cpp); B's rows
// padded; the last size is past the copy's bound.
TEST(Gemm, ShortReductionTransposedAProductMatchesReference) {
  std::mt19937 g(8);
  for (std::int64_t K : {1, 100, 1023}) expect_at_b_matches_reference(70, 19, K, 70 + 5, 1e-3f, g);
  expect_at_b_matches_reference(30, 200, 700, 30, 1e-3f, g);
}

// A^T B with A's rows 4 KB apart (lda = 1024 floats, the LSTM gate gradient's stride) takes a padded copy
// of A (gemm.cpp); also with M narrower than lda, and a K short and long.
TEST(Gemm, TransposedAWithPageStrideMatchesReference) {
  std::mt19937 g(7);
  for (std::int64_t M : {1024, 300})
    for (std::int64_t K : {3, 100}) expect_at_b_matches_reference(M, 21, K, 1024, 1e-4f, g);
}

// The packed weight (one pack, then products at several M as a ragged batch shrinks, M = 1 included),
// both layouts of W, padded strides, both betas. Which pack this CPU gets: oneDNN's blocked layout with
// AVX-512, birnn's panels without (M = 80 is past the panels' 64 rows: W itself).
TEST(Gemm, PackedWeightMatchesReference) {
  std::mt19937 g(7);
  const std::int64_t N = 40, K = 24, lda = K + 3, ldc = N + 5;
  for (bool tb : {true, false}) {
    const std::int64_t ldw = (tb ? K : N) + 2;
    const auto W = rnd((tb ? N : K) * ldw, g, -1, 1);
    const PackedF32 packed(W.data(), N, K, ldw, tb, 16);
    for (std::int64_t M : {16, 7, 1, 16, 80})
      for (float beta : {0.f, 1.f}) {
        const auto A = rnd(M * lda, g, -1, 1), C = rnd(M * ldc, g, -1, 1);
        auto C1 = C, C2 = C;
        packed.multiply(M, A.data(), lda, beta, C1.data(), ldc);
        gemm_ref<float>(false, tb, M, N, K, 1.f, A.data(), lda, W.data(), ldw, beta, C2.data(), ldc);
        for (std::int64_t i = 0; i < M; ++i)
          for (std::int64_t j = 0; j < ldc; ++j)  // the padding columns too: they must be left alone
            ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j], 1e-4f) << "tb " << tb << " M " << M << " beta " << beta;
      }
    // With a bias (beta 0): C = A op(W) + bias on every row.
    const auto bias = rnd(N, g, -1, 1);
    for (std::int64_t M : {9, 1}) {
      const auto A = rnd(M * lda, g, -1, 1);
      std::vector<float> C1(M * ldc, 7.f), C2(M * ldc, 7.f);
      packed.multiply(M, A.data(), lda, 0.f, C1.data(), ldc, bias.data());
      gemm_ref<float>(false, tb, M, N, K, 1.f, A.data(), lda, W.data(), ldw, 0.f, C2.data(), ldc);
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < ldc; ++j)
          ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j] + (j < N ? bias[j] : 0.f), 1e-4f) << "bias, tb " << tb << " M " << M;
    }
    std::vector<float> A(2 * lda), C(2 * ldc);
    EXPECT_THROW(packed.multiply(2, A.data(), lda, 1.f, C.data(), ldc, bias.data()), std::invalid_argument);
  }
}

TEST(Gemm, DoubleMatchesReference) {
  std::mt19937 g(6);
  const std::int64_t M = 5, N = 7, K = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      std::vector<double> A(M * K), B(K * N), C1(M * N, 1.0), C2(M * N, 1.0);
      for (auto& v : A) v = std::uniform_real_distribution<double>(-1, 1)(g);
      for (auto& v : B) v = std::uniform_real_distribution<double>(-1, 1)(g);
      gemm(ta, tb, M, N, K, 1.0, A.data(), ta ? M : K, B.data(), tb ? K : N, 1.0, C1.data(), N);
      gemm_ref<double>(ta, tb, M, N, K, 1.0, A.data(), ta ? M : K, B.data(), tb ? K : N, 1.0, C2.data(), N);
      for (std::int64_t i = 0; i < M * N; ++i) ASSERT_NEAR(C1[i], C2[i], 1e-12);
    }
}

// The batch-1..4 path (rows of A four, two and one at a time): every row-block remainder (N % 8), vector
// tail (K % 16) and beta, padded strides.
// On every SIMD target this CPU has: AVX2 reduces eight rows at once, the others lane by lane.
TEST(Gemm, SmallBatchRowDotKernelMatchesReference) {
  testing::for_each_simd_target([] {
    SCOPED_TRACE(simd_target_name());
    std::mt19937 g(7);
    for (std::int64_t M : {1, 2, 3, 4, 5})
      for (std::int64_t N : {1, 7, 8, 9, 64, 1024})
        for (std::int64_t K : {1, 15, 16, 17, 256})
          for (float beta : {0.f, 1.f, 0.5f}) {
            const std::int64_t lda = K + 1, ldb = K + 3, ldc = N + 2;
            auto A = rnd(M * lda, g, -1, 1), B = rnd(N * ldb, g, -1, 1), C = rnd(M * ldc, g, -1, 1);
            auto C1 = C, C2 = C, C3 = C;
            gemv_bt(M, N, K, A.data(), lda, B.data(), ldb, beta, C1.data(), ldc);
            gemm_ref<float>(false, true, M, N, K, 1.f, A.data(), lda, B.data(), ldb, beta, C2.data(), ldc);
            gemm(false, true, M, N, K, 1.f, A.data(), lda, B.data(), ldb, beta, C3.data(), ldc);  // routed or not
            for (std::int64_t i = 0; i < M; ++i) {
              for (std::int64_t j = 0; j < N; ++j) {
                ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j], 1e-5f * static_cast<float>(K)) << M << " " << N << " " << K;
                ASSERT_NEAR(C3[i * ldc + j], C2[i * ldc + j], 1e-5f * static_cast<float>(K));
              }
              for (std::int64_t j = N; j < ldc; ++j) ASSERT_EQ(C1[i * ldc + j], C[i * ldc + j]) << "wrote past N";
            }
          }
  });
}

// The panel kernel (batches 2-64 without AVX-512): every row-block remainder (M % 4), whole and partial
// panels (N % 24), K from 0, op(W) both ways, beta and bias, padded strides; on every SIMD target.
TEST(Gemm, PanelKernelMatchesReference) {
  testing::for_each_simd_target([] {
    SCOPED_TRACE(simd_target_name());
    std::mt19937 g(9);
    for (std::int64_t M : {1, 2, 3, 4, 5, 8, 9})
      for (std::int64_t N : {1, 23, 24, 25, 72, 100})
        for (std::int64_t K : {0, 1, 7, 256})
          for (bool transposed : {true, false})
            for (float beta : {0.f, 1.f, 0.5f})
              for (bool with_bias : {false, true}) {
                const std::int64_t lda = K + 1, ldw = (transposed ? K : N) + 3, ldc = N + 2;
                auto A = rnd(M * lda, g, -1, 1), W = rnd((transposed ? N : K) * ldw, g, -1, 1);
                auto C = rnd(M * ldc, g, -1, 1), bias = rnd(N, g, -1, 1);
                auto C1 = C, C2 = C;
                const auto panels = pack_panels(W.data(), N, K, ldw, transposed);
                panel_gemm(M, N, K, A.data(), lda, panels.data(), beta, C1.data(), ldc, with_bias ? bias.data() : nullptr);
                gemm_ref<float>(false, transposed, M, N, K, 1.f, A.data(), lda, W.data(), ldw, beta, C2.data(), ldc);
                for (std::int64_t i = 0; i < M; ++i) {
                  for (std::int64_t j = 0; j < N; ++j)
                    ASSERT_NEAR(C1[i * ldc + j], C2[i * ldc + j] + (with_bias ? bias[j] : 0.f), 1e-5f * static_cast<float>(K + 1))
                        << M << " " << N << " " << K << " " << transposed << " " << beta;
                  for (std::int64_t j = N; j < ldc; ++j) ASSERT_EQ(C1[i * ldc + j], C[i * ldc + j]) << "wrote past N";
                }
              }
  });
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  std::vector<float> C{1, 2, 3, 4};
  gemm(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.f, C.data(), 2);
  for (float v : C) EXPECT_EQ(v, 0.f);
}

}  // namespace
}  // namespace birnn::kernels
