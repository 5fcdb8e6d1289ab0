// compare: the adding-problem generator and a tiny training run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "birnn/compare/adding.hpp"
#include "birnn/threads.hpp"
#include "test_util.hpp"

namespace birnn::compare {
namespace {

TEST(AddingProblem, TwoMarkersOneInEachHalfAndTheTargetIsTheirSum) {
  std::mt19937_64 rng(3);
  for (std::int64_t T : {2, 3, 10, 51}) {
    const std::int64_t B = 40;
    const AddingData d = make_adding_batch(T, B, rng);
    ASSERT_EQ(d.x.shape(), (Shape{T, B, 2}));
    ASSERT_EQ(d.y.shape(), (Shape{B, 1}));
    const float* x = d.x.data<float>();
    for (std::int64_t b = 0; b < B; ++b) {
      std::vector<std::int64_t> marked;
      double sum = 0;
      for (std::int64_t t = 0; t < T; ++t) {
        const float v = x[(t * B + b) * 2], m = x[(t * B + b) * 2 + 1];
        ASSERT_GE(v, 0.0f);
        ASSERT_LT(v, 1.0f);
        ASSERT_TRUE(m == 0.0f || m == 1.0f);
        if (m == 1.0f) marked.push_back(t), sum += v;
      }
      ASSERT_EQ(marked.size(), 2u) << "T=" << T << " b=" << b;
      EXPECT_LT(marked[0], T / 2);
      EXPECT_GE(marked[1], T / 2);
      EXPECT_EQ(marked[0], d.first[b]);
      EXPECT_EQ(marked[1], d.second[b]);
      EXPECT_NEAR(d.y.data<float>()[b], sum, 1e-6);
    }
  }
}

TEST(AddingProblem, DeterministicPerSeedAndTheBaselineMseIsAboutOneSixth) {
  std::mt19937_64 a(11), b(11), c(12);
  const AddingData da = make_adding_batch(20, 8, a), db = make_adding_batch(20, 8, b), dc = make_adding_batch(20, 8, c);
  EXPECT_EQ(da.x.to_double_vector(), db.x.to_double_vector());
  EXPECT_NE(da.x.to_double_vector(), dc.x.to_double_vector());
  std::mt19937_64 rng(5);
  const AddingData big = make_adding_batch(4, 20000, rng);
  double mse = 0;
  for (double y : big.y.to_double_vector()) mse += (y - 1.0) * (y - 1.0);
  mse /= 20000;
  EXPECT_NEAR(mse, kAddingBaselineMse, 0.01);  // Var(u1 + u2) = 1/6; sampling sd ~0.0015
}

TEST(AddingProblem, BadSizesAndConfigsAreOptionErrors) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(make_adding_batch(1, 4, rng), OptionError);
  EXPECT_THROW(make_adding_batch(5, 0, rng), OptionError);
  EXPECT_THROW(AddingConfig().seq_len(1).validate(), OptionError);
  EXPECT_THROW(AddingConfig().lr(0).validate(), OptionError);
  EXPECT_THROW(AddingConfig().lr(NAN).validate(), OptionError);
  EXPECT_THROW(AddingConfig().steps(0).validate(), OptionError);
  EXPECT_THROW(train_adding(parse_cell_variant("gru"), AddingConfig().batch(0)), OptionError);
}

// Measured property of this budget (seed 1): a tiny LSTM gets well under the predict-1.0 baseline on
// T=10 within 300 steps.
TEST(AddingProblem, TinyLstmRunBeatsTheBaseline) {
  const int saved_threads = num_threads();
  set_num_threads(1);  // tiny GEMMs: a second OpenMP thread only spins
  const AddingConfig c = AddingConfig().seq_len(10).hidden(16).batch(32).steps(300).lr(0.01).eval_every(50).eval_size(256).seed(1);
  const AddingResult r = train_adding(parse_cell_variant("lstm"), c);
  ASSERT_FALSE(r.diverged);
  ASSERT_GE(r.curve.size(), 2u);
  EXPECT_EQ(r.curve.front().step, 0);
  EXPECT_NEAR(r.curve.front().heldout_mse, r.curve.front().heldout_mse, 0);  // not NaN
  EXPECT_LT(r.best_heldout_mse, 0.5 * kAddingBaselineMse);
  EXPECT_EQ(r.learned, r.best_heldout_mse < kAddingLearnedMse);
  EXPECT_GT(r.parameters, 0);
  set_num_threads(saved_threads);
  std::printf("tiny LSTM (T=10, 300 steps): best held-out MSE %.4f (baseline %.4f)\n", r.best_heldout_mse, kAddingBaselineMse);
}

TEST(AddingProblem, SameConfigSameNumbers) {
  const AddingConfig c = AddingConfig().seq_len(8).hidden(8).batch(8).steps(20).eval_every(10).eval_size(32).seed(4);
  const AddingResult a = train_adding(parse_cell_variant("gru"), c), b = train_adding(parse_cell_variant("gru"), c);
  ASSERT_EQ(a.curve.size(), b.curve.size());
  for (std::size_t i = 0; i < a.curve.size(); ++i) EXPECT_EQ(a.curve[i].heldout_mse, b.curve[i].heldout_mse);
}

}  // namespace
}  // namespace birnn::compare
