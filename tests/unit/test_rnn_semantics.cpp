// The semantics users trip over, tested directly: ragged batches equal running each item alone,
// the h_n index rule, padded steps are zero, streaming step() equals forward(), batch_first,
// dropout only while training, parameter names and init as PyTorch's.
#include <gtest/gtest.h>

#include <cmath>

#include "unit/rnn_test_util.hpp"

namespace birnn::testing {
namespace {

const CellKind kCells[] = {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm, CellKind::gru, CellKind::gru_reset_before};

// Element (t, b, f) of a time-major (T, B, F) tensor.
double at(const Tensor& y, std::int64_t t, std::int64_t b, std::int64_t f) {
  return y.item((t * y.size(1) + b) * y.size(2) + f);
}

// In float64 (the reference loops) and in float32, whose batched steps take the fast paths (packed weights,
// chunked input projection, h read back from the output rows) that the one-item runs do not.
TEST(RnnSemantics, RaggedBatchEqualsEachItemAlone) {
  for (DType dt : {DType::f64, DType::f32})
    for (CellKind cell : kCells)
      for (bool bi : {false, true}) {
        manual_seed(3);
        const bool f64 = dt == DType::f64;
        const double tol = f64 ? 1e-12 : 2e-6;
        const std::int64_t T = f64 ? 5 : 9, B = f64 ? 4 : 7, I = 3, H = f64 ? 4 : 8, L = 2;
        RecurrentBase m(make_config(cell, I, H, L, bi, cell == CellKind::lstm ? 2 : 0));
        m.to(dt);
        const auto& cfg = m.config();
        const std::int64_t D = cfg.num_directions(), Ho = cfg.output_size();
        const Tensor x = random_f64({T, B, I}).to(dt), h0 = random_f64({L * D, B, Ho}).to(dt),
                     c0 = random_f64({L * D, B, H}).to(dt);
        const Tensor lengths = ragged_lengths(B, T);
        const bool lstm = cell == CellKind::lstm;
        auto all = m.forward(x, lengths, h0, lstm ? c0 : Tensor());
        for (std::int64_t b = 0; b < B; ++b) {
          const std::int64_t Lb = lengths.data<std::int64_t>()[b];
          const Tensor xb = narrow(narrow(x, 1, b, 1), 0, 0, Lb);
          auto one = m.forward(xb, Tensor(), narrow(h0, 1, b, 1), lstm ? narrow(c0, 1, b, 1) : Tensor());
          for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t f = 0; f < D * Ho; ++f) {
              const double expect = t < Lb ? at(one.output, t, 0, f) : 0.0;  // padded steps are exactly zero
              ASSERT_NEAR(at(all.output, t, b, f), expect, tol)
                  << cell_name(cell) << " bi=" << bi << " f64=" << f64 << " b=" << b << " t=" << t;
            }
          for (std::int64_t r = 0; r < L * D; ++r)
            for (std::int64_t f = 0; f < Ho; ++f) ASSERT_NEAR(at(all.h_n, r, b, f), at(one.h_n, r, 0, f), tol);
          if (lstm)
            for (std::int64_t r = 0; r < L * D; ++r)
              for (std::int64_t f = 0; f < H; ++f) ASSERT_NEAR(at(all.c_n, r, b, f), at(one.c_n, r, 0, f), tol);
        }
      }
}

TEST(RnnSemantics, HnIndexRuleLayerTimesDirectionsPlusDirection) {
  for (CellKind cell : kCells) {
    manual_seed(4);
    const std::int64_t T = 6, B = 3, I = 2, H = 3, L = 2;
    RecurrentBase m(make_config(cell, I, H, L, true));
    m.to(DType::f64);
    const Tensor lengths = ragged_lengths(B, T);
    auto out = m.forward(random_f64({T, B, I}), lengths);
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t last = lengths.data<std::int64_t>()[b] - 1;
      for (std::int64_t f = 0; f < H; ++f) {
        // Last layer: forward direction ends at the item's last real step, reverse ends at step 0.
        EXPECT_EQ(at(out.h_n, (L - 1) * 2 + 0, b, f), at(out.output, last, b, f)) << cell_name(cell);
        EXPECT_EQ(at(out.h_n, (L - 1) * 2 + 1, b, f), at(out.output, 0, b, H + f)) << cell_name(cell);
      }
    }
  }
}

TEST(RnnSemantics, StepByStepEqualsWholeSequence) {
  for (CellKind cell : kCells) {
    manual_seed(5);
    const std::int64_t T = 5, B = 2, I = 3, H = 4;
    RecurrentBase m(make_config(cell, I, H, 2, false));
    m.to(DType::f64);
    const Tensor x = random_f64({T, B, I});
    auto whole = m.forward(x);
    RecurrentState st;
    for (std::int64_t t = 0; t < T; ++t) {
      Tensor y = m.step(reshape(narrow(x, 0, t, 1), {B, I}), st);
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t f = 0; f < H; ++f) ASSERT_NEAR(y.item(b * H + f), at(whole.output, t, b, f), 1e-12) << cell_name(cell);
    }
    for (std::int64_t i = 0; i < whole.h_n.numel(); ++i) ASSERT_NEAR(st.h.item(i), whole.h_n.item(i), 1e-12);
  }
  RecurrentBase bi(make_config(CellKind::lstm, 2, 2, 1, true));
  RecurrentState st;
  EXPECT_THROW(bi.step(Tensor::zeros({1, 2}), st), OptionError);
}

TEST(RnnSemantics, BatchFirstIsATranspose) {
  manual_seed(6);
  const std::int64_t T = 4, B = 3, I = 2, H = 3;
  RecurrentBase tm(make_config(CellKind::gru, I, H, 1, true));
  RecurrentBase bf(make_config(CellKind::gru, I, H, 1, true, 0, true, true));
  tm.to(DType::f64), bf.to(DType::f64);
  bf.load_state_dict(tm.state_dict());
  const Tensor x = random_f64({T, B, I});
  Tensor xb = Tensor::empty({B, T, I}, DType::f64);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t f = 0; f < I; ++f) xb.data<double>()[(b * T + t) * I + f] = at(x, t, b, f);
  const Tensor lengths = ragged_lengths(B, T);
  auto a = tm.forward(x, lengths), c = bf.forward(xb, lengths);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t f = 0; f < 2 * H; ++f) ASSERT_EQ(at(a.output, t, b, f), c.output.item((b * T + t) * 2 * H + f));
  for (std::int64_t i = 0; i < a.h_n.numel(); ++i) ASSERT_EQ(a.h_n.item(i), c.h_n.item(i));
}

TEST(RnnSemantics, DropoutBetweenLayersOnlyWhileTraining) {
  manual_seed(7);
  const Tensor x = random_f64({4, 2, 3});
  auto cfg = make_config(CellKind::lstm, 3, 8, 2, false);
  cfg.dropout = 0.5;
  RecurrentBase m(cfg);
  m.to(DType::f64);
  m.eval();
  const auto e1 = m.forward(x).output.to_double_vector(), e2 = m.forward(x).output.to_double_vector();
  EXPECT_EQ(e1, e2);
  m.train();
  EXPECT_NE(m.forward(x).output.to_double_vector(), e1);
  // Without dropout, training and inference (no-grad) compute the same values.
  RecurrentBase plain(make_config(CellKind::lstm, 3, 8, 2, false));
  plain.to(DType::f64);
  const auto t = plain.forward(x).output.to_double_vector();
  NoGradGuard ng;
  EXPECT_EQ(plain.forward(x).output.to_double_vector(), t);
}

TEST(RnnSemantics, ParameterNamesShapesAndInitAsPyTorch) {
  LSTM lstm(LSTMOptions(5, 8).num_layers(2).bidirectional(true).proj_size(3));
  const std::vector<std::string> expect{
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_hr_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse", "weight_hr_l1_reverse"};
  std::vector<std::string> names;
  for (auto& [n, p] : lstm.named_parameters()) {
    names.push_back(n);
    for (std::int64_t i = 0; i < p.numel(); ++i) ASSERT_LE(std::abs(p.item(i)), 1.0 / std::sqrt(8.0));
  }
  EXPECT_EQ(names, expect);
  const auto sd = lstm.state_dict();
  EXPECT_EQ(sd.at("weight_ih_l1").shape(), (Shape{32, 6}));  // layer 1 reads 2 directions x proj 3
  EXPECT_EQ(sd.at("weight_hh_l0").shape(), (Shape{32, 3}));
  EXPECT_EQ(sd.at("weight_hr_l0").shape(), (Shape{3, 8}));
  GRU gru(GRUOptions(4, 6).bias(false));
  EXPECT_EQ(gru.parameter_count(), 2 * 18 * 4 / 2 + 18 * 6);
}

}  // namespace
}  // namespace birnn::testing
