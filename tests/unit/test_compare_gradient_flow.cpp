// compare: the gradient reaching each input step.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/compare/gradient_flow.hpp"
#include "birnn/random.hpp"
#include "birnn/threads.hpp"

namespace birnn::compare {
namespace {

// Tiny layers: one thread (a second OpenMP thread only spins, and is slow on a busy machine).
struct OneThread {
  int saved = num_threads();
  OneThread() { set_num_threads(1); }
  ~OneThread() { set_num_threads(saved); }
};

GradientFlow flow_at_init(const char* cell, std::int64_t T, std::int64_t B) {
  OneThread one;
  const AddingConfig c = AddingConfig().seq_len(T).hidden(16).seed(3);
  auto m = make_adding_model(parse_cell_variant(cell), c);
  std::mt19937_64 rng(9);
  return gradient_flow(*m, make_adding_batch(T, B, rng));
}

TEST(GradientFlow, OneFiniteNonNegativeNormPerDistanceAndNoGradientsLeftBehind) {
  OneThread one;
  for (const auto& v : all_cell_variants()) {
    const AddingConfig c = AddingConfig().seq_len(12).hidden(8).seed(1);
    auto m = make_adding_model(v, c);
    std::mt19937_64 rng(2);
    const GradientFlow g = gradient_flow(*m, make_adding_batch(12, 4, rng));
    ASSERT_EQ(g.norms.size(), 12u) << v.label();
    for (double n : g.norms) EXPECT_TRUE(std::isfinite(n) && n >= 0) << v.label();
    EXPECT_GT(g.norms[0], 0) << v.label();  // the last input step always reaches the read-out
    for (const auto& p : m->parameters()) EXPECT_FALSE(p.grad().defined()) << v.label();
  }
}

TEST(GradientFlow, UnidirectionalCellsPassLessGradientToEarlierSteps) {
  for (const char* cell : {"rnn", "lstm", "gru"}) {
    const GradientFlow g = flow_at_init(cell, 30, 32);
    EXPECT_LT(g.norms[29], g.norms[0]) << cell;
    EXPECT_LT(g.far_over_near(), 1) << cell;
  }
}

// A measured property at PyTorch's default init (seed 3, hidden 16, T=30, 32 sequences), not an
// assumption: the fraction of the gradient that survives 29 steps is smaller for the tanh RNN than for
// the LSTM and the GRU.
TEST(GradientFlow, RnnGradientAtLongDistanceIsSmallerThanGatedCellsAtInit) {
  const double rnn = flow_at_init("rnn", 30, 32).far_over_near();
  const double lstm = flow_at_init("lstm", 30, 32).far_over_near();
  const double gru = flow_at_init("gru", 30, 32).far_over_near();
  EXPECT_LT(rnn, lstm);
  EXPECT_LT(rnn, gru);
}

TEST(GradientFlow, BidirectionalReverseDirectionReachesTheFirstStep) {
  // The reverse direction reads x_0 last, so BiRNN's far end gets much more than RNN's.
  EXPECT_GT(flow_at_init("birnn", 30, 32).far_over_near(), flow_at_init("rnn", 30, 32).far_over_near());
}

}  // namespace
}  // namespace birnn::compare
