// Learning-rate schedules: PyTorch's construction-time step, closed-form values, warm-up + cosine,
// state round trips, and bad input. Value-for-value parity with torch.optim.lr_scheduler is in
// tests/reference/test_optim_parity.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using birnn::testing::error_of;

constexpr double kPi = 3.14159265358979323846;

Tensor weight() { return Tensor::zeros({1}, DType::f64).set_requires_grad(true); }


std::vector<double> lrs(LRScheduler& s, int steps) {
  std::vector<double> v = {s.optimizer().learning_rate()};
  for (int i = 0; i < steps; ++i) {
    s.step();
    v.push_back(s.optimizer().learning_rate());
  }
  return v;
}

TEST(StepLR, MultipliesByGammaEveryStepSize) {
  SGD opt({weight()}, 0.1);
  StepLR s(opt, 2, 0.5);
  const auto v = lrs(s, 5);
  const std::vector<double> want = {0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_DOUBLE_EQ(v[i], want[i]) << i;
  EXPECT_EQ(s.last_epoch(), 5);
  EXPECT_EQ(s.last_lr(), opt.learning_rate());
}

TEST(LinearLR, ChangesTheLrAtConstructionThenRisesLinearly) {
  SGD opt({weight()}, 0.2);
  LinearLR s(opt, 0.25, 1.0, 3);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.05);  // PyTorch's initial step
  EXPECT_EQ(*opt.initial_learning_rate(), 0.2);
  const auto v = lrs(s, 5);
  for (int i = 0; i <= 5; ++i) EXPECT_NEAR(v[i], 0.2 * (0.25 + 0.75 * std::min(i, 3) / 3.0), 1e-15) << i;
}

TEST(CosineAnnealingLR, ReachesEtaMinAtTmaxAndFollowsTheClosedForm) {
  SGD opt({weight()}, 0.1);
  CosineAnnealingLR s(opt, 8, 0.01);
  const auto v = lrs(s, 8);
  for (int i = 0; i <= 8; ++i) EXPECT_NEAR(v[i], 0.01 + 0.09 * (1 + std::cos(kPi * i / 8)) / 2, 1e-15) << i;
  EXPECT_NEAR(v[8], 0.01, 1e-15);
}

TEST(WarmupCosine, IsLinearThenCosineAsSequentialLR) {
  SGD a({weight()}, 0.1), b({weight()}, 0.1);
  auto helper = warmup_cosine(a, 4, 0.1, 10, 0.001);
  auto lin = std::make_shared<LinearLR>(b, 0.1, 1.0, 4);
  auto cos = std::make_shared<CosineAnnealingLR>(b, 10, 0.001);
  SequentialLR manual(b, {lin, cos}, {4});
  const auto va = lrs(*helper, 16), vb = lrs(manual, 16);
  EXPECT_EQ(va, vb);
  EXPECT_DOUBLE_EQ(va[0], 0.01);   // start_factor * lr
  EXPECT_DOUBLE_EQ(va[4], 0.1);    // warm-up done: cosine restarts at the base lr
  EXPECT_NEAR(va[14], 0.001, 1e-15);  // 10 cosine steps later: eta_min
  for (int i = 1; i < 4; ++i) EXPECT_GT(va[i], va[i - 1]);
  for (int i = 5; i <= 14; ++i) EXPECT_LT(va[i], va[i - 1]);
  EXPECT_STREQ(helper->type(), "SequentialLR");
  EXPECT_EQ(helper->schedulers().size(), 2u);
}

template <class Make>
void expect_state_round_trip(Make make, int before, int after) {
  SGD o1({weight()}, 0.1);
  auto s1 = make(o1);
  lrs(*s1, before);
  SGD o2({weight()}, 0.7);
  auto s2 = make(o2);
  o2.load_state(o1.state());
  s2->load_state(s1->state());
  EXPECT_EQ(lrs(*s1, after), lrs(*s2, after));
  EXPECT_EQ(s1->last_epoch(), s2->last_epoch());
}

TEST(Schedulers, StateRoundTripContinuesExactly) {
  expect_state_round_trip([](Optimizer& o) { return std::make_unique<StepLR>(o, 3, 0.5); }, 4, 6);
  expect_state_round_trip([](Optimizer& o) { return std::make_unique<LinearLR>(o, 0.3, 0.9, 5); }, 2, 6);
  expect_state_round_trip([](Optimizer& o) { return std::make_unique<CosineAnnealingLR>(o, 5, 0.0); }, 3, 12);
  // Across the milestone, from either side of it.
  expect_state_round_trip([](Optimizer& o) { return warmup_cosine(o, 3, 0.1, 6); }, 2, 8);
  expect_state_round_trip([](Optimizer& o) { return warmup_cosine(o, 3, 0.1, 6); }, 5, 8);
}

TEST(SchedulersBadInput, OptionsAreCheckedAndTheOptimizerIsLeftAlone) {
  SGD opt({weight()}, 0.1);
  EXPECT_NE(error_of([&] { StepLR(opt, 0); }).find("step_size"), std::string::npos);
  EXPECT_THROW(StepLR(opt, 2, -0.1), OptionError);
  EXPECT_THROW(StepLR(opt, 2, NAN), OptionError);
  EXPECT_NE(error_of([&] { LinearLR(opt, 0.0); }).find("start_factor"), std::string::npos);
  EXPECT_THROW(LinearLR(opt, 1.5), OptionError);
  EXPECT_NE(error_of([&] { LinearLR(opt, 0.5, 1.5); }).find("end_factor"), std::string::npos);
  EXPECT_THROW(LinearLR(opt, 0.5, 1.0, 0), OptionError);
  EXPECT_NE(error_of([&] { CosineAnnealingLR(opt, 0); }).find("T_max"), std::string::npos);
  EXPECT_THROW(CosineAnnealingLR(opt, 5, -1.0), OptionError);
  EXPECT_FALSE(opt.initial_learning_rate().has_value()) << "a refused scheduler must not touch the optimizer";
  EXPECT_EQ(opt.learning_rate(), 0.1);
}

TEST(SchedulersBadInput, SequentialLRChecksItsParts) {
  SGD opt({weight()}, 0.1), other({weight()}, 0.1);
  auto a = std::make_shared<StepLR>(opt, 2), b = std::make_shared<StepLR>(opt, 3);
  auto elsewhere = std::make_shared<StepLR>(other, 2);
  using V = std::vector<std::shared_ptr<LRScheduler>>;
  EXPECT_NE(error_of([&] { SequentialLR(opt, V{a, b}, {}); }).find("need 1 milestones"), std::string::npos);
  EXPECT_THROW(SequentialLR(opt, V{a, b}, {0}), OptionError);
  EXPECT_THROW(SequentialLR(opt, V{a, b, a}, {3, 3}), OptionError);
  EXPECT_THROW(SequentialLR(opt, V{}, {}), OptionError);
  EXPECT_NE(error_of([&] { SequentialLR(opt, V{a, nullptr}, {2}); }).find("scheduler 1 is null"), std::string::npos);
  EXPECT_NE(error_of([&] { SequentialLR(opt, V{a, elsewhere}, {2}); }).find("another optimizer"), std::string::npos);
  auto seq = std::make_shared<SequentialLR>(opt, V{a, b}, std::vector<std::int64_t>{2});
  EXPECT_NE(error_of([&] { SequentialLR(opt, V{seq, a}, {2}); }).find("nesting"), std::string::npos);
}

TEST(SchedulersBadInput, LoadStateRefusesAndLeavesTheSchedulerUnchanged) {
  SGD opt({weight()}, 0.1);
  auto s = warmup_cosine(opt, 2, 0.5, 4);
  lrs(*s, 3);
  const SchedulerState good = s->state();
  auto refused = [&](SchedulerState bad, const std::string& expect) {
    const std::string msg = error_of([&] { s->load_state(bad); });
    EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    const SchedulerState now = s->state();
    EXPECT_EQ(now.scalars, good.scalars);
    ASSERT_EQ(now.children.size(), good.children.size());
    for (std::size_t i = 0; i < now.children.size(); ++i) EXPECT_EQ(now.children[i].scalars, good.children[i].scalars);
  };
  SchedulerState bad = good;
  bad.type = "StepLR";
  refused(bad, "saved by StepLR, this scheduler is SequentialLR");
  bad = good;
  bad.children.pop_back();
  refused(bad, "has 2 schedulers, the state lists 1");
  bad = good;
  bad.children[1].scalars["T_max"] = 0;
  refused(bad, "scheduler 1: scalar 'T_max' must be a whole number >= 1");
  bad = good;
  bad.children[0].type = "CosineAnnealingLR";
  refused(bad, "scheduler 0");
  bad = good;
  bad.children[0].scalars.erase("start_factor");
  refused(bad, "missing scalar 'start_factor'");
  bad = good;
  bad.children[0].scalars["gamma"] = 0.5;
  refused(bad, "unexpected scalar 'gamma'");
  bad = good;
  bad.scalars["milestone.0"] = 2.5;
  refused(bad, "milestone.0");
  bad = good;
  bad.scalars["last_epoch"] = NAN;
  refused(bad, "last_epoch");
  bad = good;
  bad.children[1].children.push_back(good);
  refused(bad, "no child schedulers");
}

}  // namespace
}  // namespace birnn
