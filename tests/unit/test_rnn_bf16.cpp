// bf16 inference of the recurrent layers (Module::set_inference_precision(Precision::bf16)).
//
// Tolerance against fp32. Each bf16 operand is within 2^-8 relative of its f32 value (8-bit significand,
// round to nearest), so each product w*a is within ~2^-7 relative, and a pre-activation summed over K
// terms is within 2^-7 * sum_k |w_k a_k| <= 2^-7 * K * max|w| * max|a|. The gate functions have slope
// <= 1 and the state update is a convex mix, so that one-step bound is what the outputs are held to,
// with K the widest reduction of the layer stack (input width + recurrent width) and max|a| the largest
// input or output magnitude. The actual errors are ~sqrt(K) times smaller (independent roundings),
// and a wrong kernel (wrong layout, lost rows) is off by O(1).
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "kernels/gemm_bf16.hpp"
#include "unit/rnn_test_util.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using testing::make_config;

struct Case {
  CellKind cell;
  bool bi;
  std::int64_t layers;
  bool ragged;
  std::int64_t proj = 0;
};

std::string name_of(const Case& c) {
  return std::string(cell_name(c.cell)) + (c.bi ? " bi" : "") + " L" + std::to_string(c.layers) + (c.ragged ? " ragged" : "") +
         (c.proj ? " proj" : "");
}

constexpr std::int64_t kI = 24, kH = 40, kT = 9, kB = 5;

Tensor random_input(std::int64_t T, std::int64_t B, std::int64_t I) {
  Tensor x = Tensor::empty({T, B, I});
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(uniform(-1, 1));
  return x;
}

std::unique_ptr<RecurrentBase> make(const Case& c) {
  manual_seed(11);
  return std::make_unique<RecurrentBase>(make_config(c.cell, kI, kH, c.layers, c.bi, c.proj));
}

RecurrentOutput run(RecurrentBase& m, Precision p, const Tensor& x, const Tensor& len) {
  NoGradGuard ng;
  m.eval();
  m.set_inference_precision(p);
  return m.forward(x, len);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double d = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::abs(a.item(i) - b.item(i)));
  return d;
}
double max_abs(const Tensor& a) {
  double d = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::abs(a.item(i)));
  return d;
}

std::vector<Case> all_cases() {
  std::vector<Case> v;
  for (CellKind cell : {CellKind::lstm, CellKind::gru, CellKind::gru_reset_before, CellKind::rnn_tanh, CellKind::rnn_relu})
    for (bool bi : {false, true})
      for (std::int64_t layers : {1, 2})
        for (bool ragged : {false, true}) v.push_back({cell, bi, layers, ragged});
  v.push_back({CellKind::lstm, true, 2, true, 16});
  v.push_back({CellKind::lstm, true, 1, false, 16});
  return v;
}

TEST(RnnBf16, ForwardWithinTheOneStepBoundOfFp32) {
  for (const Case& c : all_cases()) {
    auto m = make(c);
    const Tensor x = random_input(kT, kB, kI), len = c.ragged ? testing::ragged_lengths(kB, kT) : Tensor();
    const auto f = run(*m, Precision::fp32, x, len);
    const auto b = run(*m, Precision::bf16, x, len);
    const std::int64_t hout = c.proj ? c.proj : kH, D = c.bi ? 2 : 1;
    const double K = static_cast<double>(std::max<std::int64_t>(kI, c.layers > 1 ? D * hout : 0) + hout);
    const double a_max = std::max({1.0, max_abs(x), max_abs(f.output)});
    const double tol = std::ldexp(1.0, -7) * K * (1.0 / std::sqrt(double(kH))) * a_max;
    const double err = std::max(max_abs_diff(f.output, b.output), max_abs_diff(f.h_n, b.h_n));
    EXPECT_LE(err, tol) << name_of(c);
    EXPECT_GT(err, 0.0) << name_of(c) << ": bf16 gave exactly the fp32 numbers, so it did not run";
    if (f.c_n.defined()) EXPECT_LE(max_abs_diff(f.c_n, b.c_n), tol) << name_of(c);
    if (c.ragged) {  // padded steps stay exactly zero
      const auto L = len.to_double_vector();
      for (std::int64_t t = 0; t < kT; ++t)
        for (std::int64_t bb = 0; bb < kB; ++bb)
          if (t >= L[bb])
            for (std::int64_t j = 0; j < b.output.size(2); ++j)
              ASSERT_EQ(b.output.item((t * kB + bb) * b.output.size(2) + j), 0.0) << name_of(c);
    }
  }
}

// The kernel path against the portable one (the same rounded operands through the f32 GEMM): only the
// order of f32 sums differs, so one step (input projection and recurrent product from a random h0, c0)
// agrees to f32 rounding. Over many steps it would not: an h that differs in its last f32 bit can round
// to the neighbouring bf16 value at the next step.
TEST(RnnBf16, NativeKernelMatchesThePortablePath) {
  if (!kernels::bf16_native()) GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  for (const Case& c : all_cases()) {
    if (c.layers > 1 || c.ragged) continue;  // layer 2 reads layer 1's output: the same rounding caveat
    auto native = make(c);
    const std::int64_t D = c.bi ? 2 : 1;
    const Tensor x = random_input(1, kB, kI), h0 = random_input(D, kB, c.proj ? c.proj : kH), c0 = random_input(D, kB, kH);
    const Tensor c0_or_none = c.cell == CellKind::lstm ? c0 : Tensor();
    NoGradGuard ng;
    native->eval();
    native->set_inference_precision(Precision::bf16);
    const auto a = native->forward(x, Tensor(), h0, c0_or_none);
    kernels::detail::force_bf16_emulation(true);
    auto emulated = make(c);  // a fresh module: packs are made in the mode in force when they are made
    emulated->eval();
    emulated->set_inference_precision(Precision::bf16);
    const auto e = emulated->forward(x, Tensor(), h0, c0_or_none);
    kernels::detail::force_bf16_emulation(false);
    EXPECT_LE(max_abs_diff(a.output, e.output), 1e-5) << name_of(c) << " max |y| " << max_abs(a.output);
    EXPECT_LE(max_abs_diff(a.h_n, e.h_n), 1e-5) << name_of(c);
  }
}

TEST(RnnBf16, TrainingModeAndRecordedForwardStayFp32) {
  const Case c{CellKind::lstm, true, 2, true};
  auto m = make(c);
  const Tensor x = random_input(kT, kB, kI), len = testing::ragged_lengths(kB, kT);
  const auto f = run(*m, Precision::fp32, x, len);
  m->set_inference_precision(Precision::bf16);
  m->train();  // dropout is 0, so training mode computes the same function
  EXPECT_EQ(max_abs_diff(m->forward(x, len).output, f.output), 0.0) << "training mode must be fp32";
  m->eval();  // eval but recording gradients (the parameters require grad): fp32, exact gradients
  EXPECT_EQ(max_abs_diff(m->forward(x, len).output, f.output), 0.0) << "a recorded forward must be fp32";
}

// One bf16 module, its weights changed by each route; it must then give what a module that had those
// weights from the start gives.
class RnnBf16Cache : public ::testing::Test {
 protected:
  void SetUp() override {
    m = make(c);
    x = random_input(kT, kB, kI);
    before = run(*m, Precision::bf16, x, Tensor()).output;
  }
  void expect_fresh(const char* route) {
    auto fresh = make(c);
    fresh->load_state_dict(m->state_dict());
    const Tensor want = run(*fresh, Precision::bf16, x, Tensor()).output;
    const Tensor got = run(*m, Precision::bf16, x, Tensor()).output;
    EXPECT_GT(max_abs_diff(before, want), 1e-4) << route << ": the weights did not change, the test proves nothing";
    EXPECT_EQ(max_abs_diff(got, want), 0.0) << route << ": stale bf16 weights";
  }
  const Case c{CellKind::gru_reset_before, true, 2, false};
  std::unique_ptr<RecurrentBase> m;
  Tensor x, before;
};

TEST_F(RnnBf16Cache, LoadStateDictRepacks) {
  auto other = make(c);
  other->reset_parameters();  // different draws: the generator moved on
  m->load_state_dict(other->state_dict());
  expect_fresh("load_state_dict");
}

TEST_F(RnnBf16Cache, OptimizerStepRepacks) {
  SGD opt(m->parameters(), 0.5);
  m->train();
  const Tensor y = m->forward(x).output;
  y.backward(Tensor::full(y.shape(), 1.0));
  opt.step();
  expect_fresh("SGD step");
}

TEST_F(RnnBf16Cache, ResetParametersRepacks) {
  m->reset_parameters();
  expect_fresh("reset_parameters");
}

TEST_F(RnnBf16Cache, DtypeRoundTripRepacks) {
  m->to(DType::f64);
  for (auto& [n, p] : m->named_parameters()) p.data<double>()[0] += 0.5;  // new storage: no bump needed
  m->to(DType::f32);
  expect_fresh("to(f64), edit, to(f32)");
}

TEST_F(RnnBf16Cache, DirectWritesNeedBumpVersion) {
  for (auto& [n, p] : m->named_parameters())
    if (n.rfind("weight", 0) == 0)  // the biases are read from the parameters directly, never cached
      for (std::int64_t i = 0; i < p.numel(); ++i) p.data<float>()[i] *= 1.5f;
  // Without bump_version the cache cannot know (documented): the packed weights are still the old ones.
  EXPECT_EQ(max_abs_diff(run(*m, Precision::bf16, x, Tensor()).output, before), 0.0) << "expected the cached pack";
  for (auto& [n, p] : m->named_parameters()) p.bump_version();
  expect_fresh("data<float>() + bump_version");
}

TEST(RnnBf16Errors, Float64ModuleRefusesBf16AndNamesTheReason) {
  auto m = make({CellKind::lstm, false, 1, false});
  m->to(DType::f64);
  const Tensor x = random_input(kT, kB, kI).to(DType::f64);
  const std::string e = testing::error_of<OptionError>([&] { run(*m, Precision::bf16, x, Tensor()); });
  EXPECT_TRUE(testing::contains(e, "bf16 inference needs float32")) << e;
  EXPECT_TRUE(testing::contains(testing::error_of<OptionError>([] { parse_precision("fp16", "--precision"); }),
                                "--precision must be fp32 or bf16, got \"fp16\""));
}

}  // namespace
}  // namespace birnn
