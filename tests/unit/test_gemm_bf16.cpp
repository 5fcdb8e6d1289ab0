// The bf16 GEMM against its reference loop (both operands rounded to bf16 the same way, f32 sums):
// products of two bf16 values are exact in f32, so only the order of the f32 sums differs and the
// results agree to ~1e-6 of sum|a*w|. Also the rounding itself (scalar vs VCVTNEPS2BF16) and the
// portable path (rounded operands through the f32 GEMM).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "kernels/gemm_bf16.hpp"
#include "kernels/ref/gemm_bf16_ref.hpp"

namespace birnn::kernels {
namespace {

std::vector<float> rnd(std::size_t n, std::mt19937& g, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct Shape3 {
  std::int64_t M, N, K;
};

// Runs gemm_bf16 and the reference on padded strides (lda > K, ldc > N) with beta 0 and 1 and checks
// |C - C_ref| <= tol * sum_k |a_k w_k| element by element.
void check_against_reference(const Shape3& s, double tol) {
  std::mt19937 g(static_cast<unsigned>(s.M * 131 + s.N * 7 + s.K));
  const std::int64_t lda = s.K + 3, ldw = s.K + 1, ldc = s.N + 5;
  const auto A = rnd(static_cast<std::size_t>(s.M * lda), g), W = rnd(static_cast<std::size_t>(s.N * ldw), g);
  const auto C0 = rnd(static_cast<std::size_t>(s.M * ldc), g), bias = rnd(static_cast<std::size_t>(s.N), g);
  const PackedBf16 P(W.data(), s.N, s.K, ldw);
  for (int variant = 0; variant < 3; ++variant) {  // beta 0, beta 1, beta 0 with a bias
    const float beta = variant == 1 ? 1.f : 0.f;
    const float* b = variant == 2 ? bias.data() : nullptr;
    std::vector<float> C = C0, R = C0;
    gemm_bf16(s.M, A.data(), lda, P, beta, C.data(), ldc, b);
    ref::gemm_bf16(s.M, A.data(), lda, W.data(), s.N, s.K, ldw, beta, R.data(), ldc, b);
    for (std::int64_t i = 0; i < s.M; ++i) {
      for (std::int64_t j = 0; j < s.N; ++j) {
        double mag = (beta != 0.f ? std::abs(C0[i * ldc + j]) : 0.0) + (b ? std::abs(b[j]) : 0.0);
        for (std::int64_t k = 0; k < s.K; ++k) mag += std::abs(double(A[i * lda + k]) * W[j * ldw + k]);
        ASSERT_NEAR(C[i * ldc + j], R[i * ldc + j], tol * mag + 1e-30)
            << "M=" << s.M << " N=" << s.N << " K=" << s.K << " variant " << variant << " at (" << i << ", " << j << ")";
      }
      for (std::int64_t j = s.N; j < ldc; ++j)  // the padding columns of C are not written
        ASSERT_EQ(C[i * ldc + j], C0[i * ldc + j]) << "wrote past N at row " << i;
    }
  }
}

// Shapes: the RNN ones (64x1024x256 step, 1-row latency case), and every tail: M not a multiple of the
// 6-row tile, N not a multiple of 16 or of the 64-column panel (128 for one row), odd K, an odd number
// of k pairs (the one-row kernel takes them two at a time).
const Shape3 kShapes[] = {{64, 1024, 256}, {1, 1024, 256}, {7, 100, 33}, {13, 17, 1}, {5, 48, 2}, {6, 64, 64},
                          {2, 15, 300}, {1, 1, 3}, {1, 300, 33}, {1, 200, 5}, {1, 16, 1}};

TEST(GemmBf16, NativeKernelMatchesReferenceLoop) {
  if (!bf16_native()) GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  for (const auto& s : kShapes) check_against_reference(s, 1e-6);
}

TEST(GemmBf16, PortablePathMatchesReferenceLoop) {
  detail::force_bf16_emulation(true);
  for (const auto& s : kShapes) check_against_reference(s, 1e-6);
  detail::force_bf16_emulation(false);
}

TEST(GemmBf16, RoundingIsNearestEvenWithSpecialValues) {
  EXPECT_EQ(to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(to_bf16(bits_to_float(0x3f808000u)), 0x3f80);  // tie, even below
  EXPECT_EQ(to_bf16(bits_to_float(0x3f818000u)), 0x3f82);  // tie, even above
  EXPECT_EQ(to_bf16(bits_to_float(0x3f808001u)), 0x3f81);  // just above the tie
  EXPECT_EQ(to_bf16(bits_to_float(0x7f7fffffu)), 0x7f80);  // FLT_MAX rounds to +inf
  EXPECT_EQ(to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(bits_to_float(0x7f800001u)))));  // a NaN that would round to inf
  EXPECT_EQ(to_bf16(bits_to_float(0x80000001u)), 0x8000);  // denormal -> signed zero
}

TEST(GemmBf16, ScalarRoundingMatchesTheInstruction) {
  if (!bf16_native()) GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  std::mt19937 g(3);
  std::vector<float> src(4099);
  for (std::size_t i = 0; i < src.size(); ++i) {
    std::uint32_t u = g();
    if (i % 5 == 0) u = (u & 0xffff0000u) | 0x8000u;  // exact ties
    if (i % 7 == 0) u &= 0x807fffffu;                  // denormals
    if (i % 11 == 0) u |= 0x7f800000u;                 // inf / NaN
    src[i] = bits_to_float(u);
  }
  std::vector<std::uint16_t> out(src.size() + 1, 0xabcd);
  detail::round_row_avx512(src.data(), static_cast<std::int64_t>(src.size()), out.data());
  for (std::size_t i = 0; i < src.size(); ++i) {
    if (std::isnan(src[i])) {
      EXPECT_TRUE(std::isnan(from_bf16(out[i]))) << i;
      continue;
    }
    ASSERT_EQ(out[i], to_bf16(src[i])) << "input bits " << std::hex << *reinterpret_cast<const std::uint32_t*>(&src[i]);
  }
  EXPECT_EQ(out.back(), 0xabcd) << "wrote past the end of the row";
}

TEST(GemmBf16, RoundingErrorIsWithinHalfAnUlpOf8Bits) {
  std::mt19937 g(5);
  for (float x : rnd(10000, g, -1000.f, 1000.f)) {
    if (std::abs(x) < 1e-30f) continue;
    ASSERT_LE(std::abs(from_bf16(to_bf16(x)) - x), std::ldexp(std::abs(x), -8)) << x;
  }
}

}  // namespace
}  // namespace birnn::kernels
