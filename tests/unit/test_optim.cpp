// Optimizers and clipping: hand-checked updates, PyTorch's skip-without-gradient rule, state export /
// import (bit-exact continuation), and bad input (typed exceptions naming the problem, nothing changed).
// The full update rules are checked against PyTorch in tests/reference/test_optim_parity.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using birnn::testing::error_of;

Tensor param(std::vector<double> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector(v, {n}).set_requires_grad(true);
}
void grad(Tensor& p, std::vector<double> g) { p.set_grad(Tensor::from_vector(g, {static_cast<std::int64_t>(g.size())})); }


TEST(SGD, PlainMomentumAndNesterovSteps) {
  Tensor w = param({1.0});
  SGD plain({w}, 0.1);
  grad(w, {0.5});
  plain.step();
  EXPECT_DOUBLE_EQ(w.item(), 1.0 - 0.1 * 0.5);

  Tensor m = param({1.0});
  SGD mom({m}, SGDOptions(0.1).momentum(0.9).dampening(0.5));
  grad(m, {1.0});
  mom.step();  // first step: b = g (no dampening)
  EXPECT_DOUBLE_EQ(m.item(), 0.9);
  mom.step();  // b = 0.9 * 1 + 0.5 * 1 = 1.4
  EXPECT_DOUBLE_EQ(m.item(), 0.9 - 0.14);

  Tensor n = param({1.0});
  SGD nest({n}, SGDOptions(0.1).momentum(0.5).nesterov(true));
  grad(n, {1.0});
  nest.step();  // b = 1, g + 0.5 b = 1.5
  EXPECT_DOUBLE_EQ(n.item(), 1.0 - 0.15);
}

TEST(Adam, FirstStepMovesEachWeightByAboutLr) {
  Tensor w = param({1.0, -2.0, 3.0});
  Adam opt({w}, 0.01);
  grad(w, {0.3, -5.0, 1e-3});
  opt.step();
  // m_hat / sqrt(v_hat) = sign(g) on the first step (up to eps).
  EXPECT_NEAR(w.item(0), 0.99, 1e-6);
  EXPECT_NEAR(w.item(1), -1.99, 1e-6);
  EXPECT_NEAR(w.item(2), 2.99, 1e-4);
}

TEST(AdamW, DecaysTheWeightsDecoupledAndDefaultsToWeightDecay001) {
  EXPECT_EQ(AdamWOptions().weight_decay(), 0.01);
  EXPECT_EQ(AdamOptions().weight_decay(), 0.0);
  Tensor w = param({2.0});
  AdamW opt({w}, AdamWOptions(0.1).weight_decay(0.5));
  grad(w, {0.0});  // zero gradient: only the decay acts
  opt.step();
  EXPECT_DOUBLE_EQ(w.item(), 2.0 * (1 - 0.1 * 0.5));
  EXPECT_EQ(opt.options().weight_decay(), 0.5);
  EXPECT_STREQ(opt.type(), "AdamW");
}

TEST(Optimizer, ParametersWithoutGradientAreSkippedAndGetNoState) {
  Tensor a = param({1.0}), b = param({1.0});
  Adam opt({a, b}, 0.1);
  grad(a, {1.0});
  opt.step();
  EXPECT_NE(a.item(), 1.0);
  EXPECT_EQ(b.item(), 1.0);
  const OptimizerState s = opt.state();
  EXPECT_TRUE(s.tensors.count("state.0.exp_avg"));
  EXPECT_FALSE(s.tensors.count("state.1.exp_avg"));
  EXPECT_EQ(s.scalars.at("state.0.step"), 1.0);
  EXPECT_FALSE(s.scalars.count("state.1.step"));
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optimizer, DemoStyleUseStillWorks) {
  std::vector<Tensor> params = {param({1.0, 2.0})};
  Adam opt(params, 1e-2);
  grad(params[0], {10.0, -10.0});
  EXPECT_NEAR(clip_grad_norm(params, 5.0), std::sqrt(200.0), 1e-12);
  opt.step();
  opt.zero_grad();
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 1e-2);
}

// Runs `steps` updates with fixed gradients.
void run(Optimizer& opt, std::vector<Tensor>& ps, int steps, double scale) {
  for (int s = 0; s < steps; ++s) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
      std::vector<double> g;
      for (std::int64_t k = 0; k < ps[i].numel(); ++k) g.push_back(scale * std::sin(1.0 + s + 3.0 * i + 0.7 * k));
      grad(ps[i], g);
    }
    opt.step();
  }
}

template <class Opt, class Options>
void expect_state_round_trip(const Options& options) {
  std::vector<Tensor> a = {param({0.5, -0.25, 1.0}), param({2.0})};
  Opt first(a, options);
  run(first, a, 3, 1.0);
  std::vector<Tensor> b = {a[0].clone().set_requires_grad(true), a[1].clone().set_requires_grad(true)};
  Opt second(b, Options(options).lr(0.5).weight_decay(0.3));  // other hyperparameters: restored by load_state
  second.load_state(first.state());
  run(first, a, 4, 0.5);
  run(second, b, 4, 0.5);
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::int64_t k = 0; k < a[i].numel(); ++k) EXPECT_EQ(a[i].item(k), b[i].item(k)) << i << "," << k;
}

TEST(Optimizer, StateRoundTripContinuesBitForBit) {
  expect_state_round_trip<SGD>(SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01));
  expect_state_round_trip<Adam>(AdamOptions(0.05).amsgrad(true).weight_decay(0.01));
  expect_state_round_trip<AdamW>(AdamWOptions(0.05).betas(0.8, 0.9));
}

TEST(Optimizer, LoadStateConvertsToTheParameterDtype) {
  Tensor a = param({1.0, 2.0});
  SGD f64({a}, SGDOptions(0.1).momentum(0.9));
  grad(a, {1.0, 1.0});
  f64.step();
  Tensor b = Tensor::zeros({2}, DType::f32).set_requires_grad(true);
  SGD f32({b}, SGDOptions(0.1).momentum(0.9));
  f32.load_state(f64.state());
  EXPECT_EQ(f32.state().tensors.at("state.0.momentum_buffer").dtype(), DType::f32);
}

TEST(OptimizerBadInput, OptionsAreCheckedWithTheirNames) {
  std::vector<Tensor> p = {param({1.0})};
  EXPECT_THROW(SGD(p, 0.0), OptionError);
  EXPECT_THROW(SGD(p, -1.0), OptionError);
  EXPECT_THROW(SGD(p, NAN), OptionError);
  EXPECT_NE(error_of([&] { SGD(p, SGDOptions(0.1).momentum(-0.1)); }).find("momentum"), std::string::npos);
  EXPECT_NE(error_of([&] { SGD(p, SGDOptions(0.1).nesterov(true)); }).find("nesterov"), std::string::npos);
  EXPECT_THROW(SGD(p, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)), OptionError);
  EXPECT_THROW(SGD(p, SGDOptions(0.1).weight_decay(-1)), OptionError);
  EXPECT_NE(error_of([&] { Adam(p, 0.0); }).find("lr must be > 0"), std::string::npos);
  EXPECT_NE(error_of([&] { Adam(p, AdamOptions().betas(1.0, 0.999)); }).find("beta1"), std::string::npos);
  EXPECT_NE(error_of([&] { Adam(p, AdamOptions().betas(0.9, -0.1)); }).find("beta2"), std::string::npos);
  EXPECT_NE(error_of([&] { AdamW(p, AdamWOptions().betas(0.9, 1.0)); }).find("AdamW: beta2"), std::string::npos);
  EXPECT_THROW(Adam(p, AdamOptions().eps(-1e-8)), OptionError);
  EXPECT_THROW(AdamW(p, AdamWOptions().weight_decay(-0.01)), OptionError);
  EXPECT_THROW(AdamW(p, AdamWOptions().betas(NAN, 0.9)), OptionError);
}

TEST(OptimizerBadInput, ParameterListIsChecked) {
  Tensor a = param({1.0});
  EXPECT_NE(error_of([] { Adam({}, 0.1); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([] { SGD({Tensor()}, 0.1); }).find("parameter 0"), std::string::npos);
  EXPECT_NE(error_of([] { SGD({Tensor::zeros({2}, DType::i64)}, 0.1); }).find("int64"), std::string::npos);
  EXPECT_NE(error_of([&] { SGD({a, a}, 0.1); }).find("parameter 1 is the same tensor as parameter 0"), std::string::npos);
  EXPECT_NE(error_of([&] { SGD({scale(a, 2.0)}, 0.1); }).find("leaf"), std::string::npos);
}

TEST(OptimizerBadInput, MismatchedGradientThrowsBeforeAnythingChanges) {
  Tensor a = param({1.0}), b = param({1.0, 2.0});
  Adam opt({a, b}, 0.1);
  grad(a, {1.0});
  grad(b, {1.0});  // wrong shape
  EXPECT_NE(error_of([&] { opt.step(); }).find("gradient of parameter 1"), std::string::npos);
  EXPECT_EQ(a.item(), 1.0);
  EXPECT_TRUE(opt.state().tensors.empty());
  b.set_grad(Tensor::zeros({2}, DType::f32));  // wrong dtype
  EXPECT_THROW(opt.step(), ShapeError);
}

TEST(OptimizerBadInput, LearningRateSetter) {
  Tensor a = param({1.0});
  SGD opt({a}, 0.1);
  opt.set_learning_rate(0.0);  // schedules may reach 0
  EXPECT_THROW(opt.set_learning_rate(-0.1), OptionError);
  EXPECT_THROW(opt.set_learning_rate(INFINITY), OptionError);
  EXPECT_EQ(opt.learning_rate(), 0.0);
}

TEST(OptimizerBadInput, LoadStateRefusesAndLeavesTheOptimizerUnchanged) {
  std::vector<Tensor> ps = {param({1.0, 2.0}), param({3.0})};
  Adam opt(ps, AdamOptions(0.1));
  run(opt, ps, 2, 1.0);
  const OptimizerState good = opt.state();
  auto refused = [&](OptimizerState s, const std::string& expect) {
    const std::string msg = error_of([&] { opt.load_state(s); });
    EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    const OptimizerState now = opt.state();
    EXPECT_EQ(now.scalars, good.scalars);
    for (const auto& [k, t] : good.tensors) EXPECT_EQ(now.tensors.at(k).to_double_vector(), t.to_double_vector()) << k;
  };
  OptimizerState s = good;
  s.type = "SGD";
  refused(s, "saved by SGD, this optimizer is Adam");
  s = good;
  s.scalars["param_count"] = 3;
  refused(s, "for 3");
  s = good;
  s.tensors["state.0.exp_avg"] = Tensor::zeros({3}, DType::f64);
  refused(s, "state.0.exp_avg");
  s = good;
  s.tensors["state.0.momentum_buffer"] = Tensor::zeros({2}, DType::f64);
  refused(s, "unexpected tensor 'state.0.momentum_buffer'");
  s = good;
  s.tensors["state.7.exp_avg"] = Tensor::zeros({2}, DType::f64);
  refused(s, "'state.7.exp_avg' is for parameter 7, this optimizer has 2");
  s = good;
  s.tensors.erase("state.1.exp_avg_sq");
  refused(s, "missing tensor 'state.1.exp_avg_sq'");
  s = good;
  s.scalars.erase("state.1.step");
  refused(s, "missing scalar 'state.1.step'");
  s = good;
  s.scalars["state.1.step"] = 1.5;
  refused(s, "whole number");
  s = good;
  s.scalars["state.5.step"] = 1;
  refused(s, "'state.5.step' is for a parameter this optimizer does not have");
  s = good;
  s.scalars["beta1"] = 1.5;
  refused(s, "beta1");
  s = good;
  s.scalars["amsgrad"] = 2;
  refused(s, "'amsgrad' must be 0 or 1");
  s = good;
  s.scalars["momentum"] = 0.9;
  refused(s, "unexpected scalar 'momentum'");
  s = good;
  s.scalars.erase("eps");
  refused(s, "missing scalar 'eps'");
  s = good;
  s.scalars["lr"] = -1;
  refused(s, "'lr'");
  EXPECT_THROW(opt.load_state(OptimizerState{}), StateDictError);
}

// ---- clipping ----

TEST(ClipGradNorm, ScalesByMaxNormOverNormPlusEpsilonAsPyTorch) {
  Tensor a = param({0, 0}), b = param({0});
  grad(a, {3.0, 0.0});
  grad(b, {4.0});
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b}, 1.0), 5.0);
  const double c = 1.0 / (5.0 + 1e-6);
  EXPECT_DOUBLE_EQ(a.grad().item(0), 3.0 * c);
  EXPECT_DOUBLE_EQ(b.grad().item(0), 4.0 * c);

  // norm == max_norm still scales by max_norm / (norm + 1e-6) < 1, as torch's clamp(max=1) does.
  grad(a, {3.0, 0.0});
  grad(b, {4.0});
  clip_grad_norm({a, b}, 5.0);
  EXPECT_DOUBLE_EQ(b.grad().item(0), 4.0 * 5.0 / (5.0 + 1e-6));

  grad(a, {3.0, 0.0});
  grad(b, {4.0});
  clip_grad_norm({a, b}, 10.0);  // below: unchanged
  EXPECT_EQ(b.grad().item(0), 4.0);
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b}, 10.0, 1.0), 7.0);
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b}, 10.0, INFINITY), 4.0);
}

TEST(ClipGradNorm, SkipsParametersWithoutGradientAndHandlesNonFinite) {
  Tensor a = param({1.0}), b = param({1.0});
  EXPECT_EQ(clip_grad_norm({a, b}, 1.0), 0.0);
  grad(a, {NAN});
  EXPECT_THROW(clip_grad_norm({a, b}, 1.0, 2.0, /*error_if_nonfinite=*/true), Error);
  EXPECT_TRUE(std::isnan(clip_grad_norm({a, b}, 1.0)));
  grad(a, {INFINITY});
  EXPECT_NE(error_of([&] { clip_grad_norm({a}, 1.0, 2.0, true); }).find("non-finite"), std::string::npos);
}

TEST(ClipGradBadInput, ArgumentsAreChecked) {
  Tensor a = param({1.0});
  grad(a, {2.0});
  EXPECT_NE(error_of([&] { clip_grad_norm({a}, 0.0); }).find("max_norm"), std::string::npos);
  EXPECT_THROW(clip_grad_norm({a}, -1.0), OptionError);
  EXPECT_THROW(clip_grad_norm({a}, NAN), OptionError);
  EXPECT_NE(error_of([&] { clip_grad_norm({a}, 1.0, 0.0); }).find("norm_type"), std::string::npos);
  EXPECT_THROW(clip_grad_norm({a}, 1.0, -2.0), OptionError);
  EXPECT_THROW(clip_grad_norm({Tensor()}, 1.0), OptionError);
  EXPECT_NE(error_of([&] { clip_grad_value({a}, -0.1); }).find("clip_value"), std::string::npos);
  EXPECT_EQ(a.grad().item(), 2.0) << "refused calls change nothing";
}

TEST(ClipGradValue, ClampsEveryElement) {
  Tensor a = Tensor::zeros({4}, DType::f32).set_requires_grad(true);
  a.set_grad(Tensor::from_vector(std::vector<float>{-2.f, -0.1f, 0.2f, 5.f}, {4}));
  clip_grad_value({a}, 0.5);
  EXPECT_EQ(a.grad().to_double_vector(), (std::vector<double>{-0.5, -0.1f, 0.2f, 0.5}));
}

}  // namespace
}  // namespace birnn
