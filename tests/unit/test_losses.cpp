// Losses (loss.hpp): float64 gradient checks through the shared helper, masking semantics (masked elements
// are neither in the loss nor in the mean's denominator), reductions, and bad input.
// Agreement with PyTorch itself is tested in tests/reference/test_loss_parity.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "unit/gradcheck.hpp"
#include "unit/test_util.hpp"

namespace birnn::testing {
namespace {

using I64 = std::vector<std::int64_t>;

Tensor leaf(const Shape& s, double lo = -2, double hi = 2) { return random_f64(s, lo, hi).set_requires_grad(true); }
Tensor ids(const I64& v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor f64(const std::vector<double>& v, const Shape& s) { return Tensor::from_vector(v, s); }

// Rows of a (rows, C) float64 tensor, as a new (k, C) tensor.
Tensor pick_rows(const Tensor& x, const I64& rows) {
  const std::int64_t C = x.size(-1);
  std::vector<double> v;
  for (auto r : rows)
    for (std::int64_t c = 0; c < C; ++c) v.push_back(x.item(r * C + c));
  return f64(v, {static_cast<std::int64_t>(rows.size()), C});
}
Tensor pick_ids(const Tensor& y, const I64& rows) {
  I64 v;
  for (auto r : rows) v.push_back(static_cast<std::int64_t>(y.item(r)));
  return ids(v, {static_cast<std::int64_t>(rows.size())});
}

// ---------------------------------------------------------------- gradient checks

TEST(LossGradcheck, CrossEntropyEveryOptionAndReduction) {
  manual_seed(21);
  const Tensor y = ids({2, 0, -100, 1, 3}, {5});
  const Tensor w = f64({0.5, 2.0, 1.0, 1.5}, {4});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none})
    for (double eps : {0.0, 0.2})
      for (bool weighted : {false, true}) {
        auto o = CrossEntropyOptions().reduction(r).label_smoothing(eps);
        if (weighted) o.weight(w);
        EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(cross_entropy(v[0], y, o)); }, {leaf({5, 4})}), "")
            << reduction_name(r) << " eps " << eps << " weighted " << weighted;
      }
}

TEST(LossGradcheck, CrossEntropyHigherDimsUnbatchedAndMasked) {
  manual_seed(22);
  // (N, C, d1, d2) with targets (N, d1, d2)
  const Tensor y = ids({0, 1, 2, 0, 2, 2, 1, -100, 0, 1, 1, 0}, {2, 3, 2});
  EXPECT_EQ(gradcheck([&](auto& v) { return cross_entropy(v[0], y, CrossEntropyOptions().label_smoothing(0.1)); }, {leaf({2, 3, 3, 2})}), "");
  // (C) with a scalar target
  EXPECT_EQ(gradcheck([&](auto& v) { return cross_entropy(v[0], ids({2}, {})); }, {leaf({4})}), "");
  // (N, C, T) with lengths over targets (B = N, T) and a mask
  const Tensor yt = ids({0, 1, 2, 1, 0, 2, 2, 2}, {2, 4});
  const auto o = CrossEntropyOptions().lengths(ids({4, 2}, {2})).batch_first(true).mask(ids({1, 1}, {2}));
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(cross_entropy(v[0], yt, CrossEntropyOptions(o).reduction(Reduction::none))); },
                      {leaf({2, 3, 4})}),
            "");
  EXPECT_EQ(gradcheck([&](auto& v) { return cross_entropy(v[0], yt, o); }, {leaf({2, 3, 4})}), "");
}

TEST(LossGradcheck, SequenceCrossEntropyBothLayouts) {
  manual_seed(23);
  const Tensor lengths = ids({3, 1, 2}, {3});
  const Tensor y_tb = ids({0, 1, 2, 1, 9, 0, 2, 9, 9}, {3, 3});  // 9 only at padded steps
  const auto o = CrossEntropyOptions().weight(f64({1.0, 0.3, 2.0}, {3})).label_smoothing(0.15);
  EXPECT_EQ(gradcheck([&](auto& v) { return sequence_cross_entropy(v[0], y_tb, lengths, o); }, {leaf({3, 3, 3})}), "");
  const Tensor y_bt = ids({0, 1, 2, 1, 9, 9, 2, 0, 9}, {3, 3});
  EXPECT_EQ(gradcheck([&](auto& v) { return sequence_cross_entropy(v[0], y_bt, lengths, CrossEntropyOptions(o).batch_first(true)); },
                      {leaf({3, 3, 3})}),
            "");
}

TEST(LossGradcheck, BinaryCrossEntropyWithLogitsInputAndTarget) {
  manual_seed(24);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    auto o = BCEWithLogitsOptions().reduction(r).pos_weight(f64({0.5, 3.0, 1.0}, {3})).weight(f64({2.0, 1.0, 0.5}, {3}));
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(binary_cross_entropy_with_logits(v[0], v[1], o)); },
                        {leaf({4, 3}, -4, 4), leaf({4, 3}, 0, 1)}),
              "")
        << reduction_name(r);
  }
  auto masked = BCEWithLogitsOptions().lengths(ids({2, 1}, {2}));  // (T, B, F) = (2, 2, 3)
  EXPECT_EQ(gradcheck([&](auto& v) { return binary_cross_entropy_with_logits(v[0], v[1], masked); }, {leaf({2, 2, 3}), leaf({2, 2, 3}, 0, 1)}), "");
}

TEST(LossGradcheck, MseLossInputTargetAndMask) {
  manual_seed(25);
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none})
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(mse_loss(v[0], v[1], MSELossOptions().reduction(r))); }, {leaf({3, 2}), leaf({3, 2})}), "");
  auto o = MSELossOptions().lengths(ids({1, 3}, {2})).batch_first(true);  // (B, T, F) = (2, 3, 2)
  EXPECT_EQ(gradcheck([&](auto& v) { return mse_loss(v[0], v[1], o); }, {leaf({2, 3, 2}), leaf({2, 3, 2})}), "");
}

// ---------------------------------------------------------------- values and masking

TEST(Losses, CrossEntropyKnownValues) {
  // Uniform logits: log C for any target, with or without smoothing.
  const Tensor z = Tensor::zeros({2, 4}, DType::f64);
  EXPECT_NEAR(cross_entropy(z, ids({0, 3}, {2})).item(), std::log(4.0), 1e-12);
  EXPECT_NEAR(cross_entropy(z, ids({0, 3}, {2}), CrossEntropyOptions().label_smoothing(0.3)).item(), std::log(4.0), 1e-12);
  // One row by hand: logits (1, 2, 3), target 2, eps 0.1, weights (1, 2, 3).
  const Tensor x = f64({1, 2, 3}, {1, 3});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const double lp[3] = {1 - lse, 2 - lse, 3 - lse};
  const double nll = -3 * lp[2], smooth = -(1 * lp[0] + 2 * lp[1] + 3 * lp[2]);
  const auto o = CrossEntropyOptions().weight(f64({1, 2, 3}, {3})).label_smoothing(0.1);
  EXPECT_NEAR(cross_entropy(x, ids({2}, {1}), CrossEntropyOptions(o).reduction(Reduction::sum)).item(), 0.9 * nll + 0.1 / 3 * smooth, 1e-12);
  // The weighted mean divides by the target's weight (3).
  EXPECT_NEAR(cross_entropy(x, ids({2}, {1}), o).item(), (0.9 * nll + 0.1 / 3 * smooth) / 3, 1e-12);
}

TEST(Losses, WeightedMeanDividesByTheCountedTargetsWeights) {
  manual_seed(26);
  const Tensor x = random_f64({4, 3});
  const Tensor y = ids({0, 2, -100, 2}, {4});
  const Tensor w = f64({0.5, 1.0, 4.0}, {3});
  const double sum = cross_entropy(x, y, CrossEntropyOptions().weight(w).reduction(Reduction::sum)).item();
  EXPECT_NEAR(cross_entropy(x, y, CrossEntropyOptions().weight(w)).item(), sum / (0.5 + 4.0 + 4.0), 1e-12);
  // Without weights: the number of non-ignored targets.
  const double s1 = cross_entropy(x, y, CrossEntropyOptions().reduction(Reduction::sum).label_smoothing(0.2)).item();
  EXPECT_NEAR(cross_entropy(x, y, CrossEntropyOptions().label_smoothing(0.2)).item(), s1 / 3, 1e-12);
}

TEST(Losses, IgnoredAndMaskedElementsAreZeroAndGetNoGradient) {
  manual_seed(27);
  Tensor x = leaf({4, 3});
  Tensor l = cross_entropy(x, ids({1, -100, 0, 7}, {4}), CrossEntropyOptions().reduction(Reduction::none).mask(ids({1, 1, 1, 0}, {4})));
  EXPECT_EQ(l.shape(), (Shape{4}));
  EXPECT_EQ(l.item(1), 0.0);
  EXPECT_EQ(l.item(3), 0.0);  // masked: its id 7 is out of range but not checked
  EXPECT_GT(l.item(0), 0.0);
  sum(l).backward();
  for (std::int64_t c = 0; c < 3; ++c) {
    EXPECT_EQ(x.grad().item(1 * 3 + c), 0.0);
    EXPECT_EQ(x.grad().item(3 * 3 + c), 0.0);
  }
}

TEST(Losses, EverythingIgnoredGivesNanMeanAndZeroGradientAsTorch) {
  Tensor x = leaf({2, 3});
  Tensor l = cross_entropy(x, ids({-100, -100}, {2}));
  EXPECT_TRUE(std::isnan(l.item()));
  l.backward();
  for (std::int64_t i = 0; i < 6; ++i) EXPECT_EQ(x.grad().item(i), 0.0);
  EXPECT_EQ(cross_entropy(x, ids({-100, -100}, {2}), CrossEntropyOptions().reduction(Reduction::sum)).item(), 0.0);
}

TEST(Losses, SequenceCrossEntropyEqualsCrossEntropyOnTheRealSteps) {
  manual_seed(28);
  const std::int64_t T = 4, B = 3, C = 5;
  const Tensor lengths = ids({2, 4, 1}, {3});
  const Tensor x = random_f64({T, B, C});
  I64 yv(T * B);
  for (std::int64_t i = 0; i < T * B; ++i) yv[i] = (i * 7) % C;
  const Tensor y = ids(yv, {T, B});
  I64 real;  // row t * B + b for t < lengths[b]
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      if (t < static_cast<std::int64_t>(lengths.item(b))) real.push_back(t * B + b);
  const auto o = CrossEntropyOptions().weight(f64({1, 2, 0.5, 1, 3}, {5})).label_smoothing(0.1);
  for (Reduction r : {Reduction::mean, Reduction::sum}) {
    auto ro = CrossEntropyOptions(o).reduction(r);
    EXPECT_NEAR(sequence_cross_entropy(x, y, lengths, ro).item(), cross_entropy(pick_rows(reshape(x, {T * B, C}), real), pick_ids(y, real), ro).item(),
                1e-12);
  }
  // Batch-first layout of the same data gives the same loss; none gives (B, T) with zeros at padding.
  std::vector<double> xb(T * B * C);
  I64 yb(T * B);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b) {
      yb[b * T + t] = yv[t * B + b];
      for (std::int64_t c = 0; c < C; ++c) xb[(b * T + t) * C + c] = x.item((t * B + b) * C + c);
    }
  const auto bf = CrossEntropyOptions(o).batch_first(true);
  EXPECT_NEAR(sequence_cross_entropy(f64(xb, {B, T, C}), ids(yb, {B, T}), lengths, bf).item(), sequence_cross_entropy(x, y, lengths, o).item(), 1e-12);
  Tensor none = sequence_cross_entropy(f64(xb, {B, T, C}), ids(yb, {B, T}), lengths, CrossEntropyOptions(bf).reduction(Reduction::none));
  EXPECT_EQ(none.shape(), (Shape{B, T}));
  EXPECT_EQ(none.item(0 * T + 2), 0.0);  // item 0 has length 2
  EXPECT_EQ(none.item(2 * T + 1), 0.0);
  EXPECT_GT(none.item(1 * T + 3), 0.0);
}

TEST(Losses, MseAndBceWithLengthsEqualTheLossOnTheRealSteps) {
  manual_seed(29);
  const Tensor x = random_f64({3, 2, 2}), y = random_f64({3, 2, 2}, 0, 1);
  const Tensor lengths = ids({3, 1}, {2});
  // Real steps (t, b): (0,0) (1,0) (2,0) (0,1) -> rows of the (6, 2) view: 0, 2, 4, 1
  const I64 real{0, 2, 4, 1};
  const Tensor xr = pick_rows(reshape(x, {6, 2}), real), yr = pick_rows(reshape(y, {6, 2}), real);
  EXPECT_NEAR(mse_loss(x, y, MSELossOptions().lengths(lengths)).item(), mse_loss(xr, yr).item(), 1e-12);
  EXPECT_NEAR(mse_loss(x, y, MSELossOptions().lengths(lengths).reduction(Reduction::sum)).item(),
              mse_loss(xr, yr, MSELossOptions().reduction(Reduction::sum)).item(), 1e-12);
  const auto pw = f64({2.0, 0.5}, {2});
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, y, BCEWithLogitsOptions().lengths(lengths).pos_weight(pw)).item(),
              binary_cross_entropy_with_logits(xr, yr, BCEWithLogitsOptions().pos_weight(pw)).item(), 1e-12);
  // A (T, B) mask means the same thing as those lengths.
  EXPECT_NEAR(mse_loss(x, y, MSELossOptions().mask(ids({1, 1, 1, 0, 1, 0}, {3, 2}))).item(), mse_loss(xr, yr).item(), 1e-12);
}

TEST(Losses, BceWithLogitsIsStableAndMatchesTheNaiveFormula) {
  const Tensor x = f64({-3.0, 0.0, 0.7, 2.5}, {4}), y = f64({0.0, 1.0, 0.3, 1.0}, {4});
  double naive = 0;
  for (int i = 0; i < 4; ++i) {
    const double p = 1 / (1 + std::exp(-x.item(i)));
    naive -= y.item(i) * std::log(p) + (1 - y.item(i)) * std::log(1 - p);
  }
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, y).item(), naive / 4, 1e-12);
  // Huge logits: finite loss and gradient.
  Tensor big = f64({1000.0, -1000.0}, {2}).set_requires_grad(true);
  Tensor l = binary_cross_entropy_with_logits(big, f64({0.0, 1.0}, {2}), BCEWithLogitsOptions().reduction(Reduction::sum));
  EXPECT_NEAR(l.item(), 2000.0, 1e-9);
  l.backward();
  EXPECT_NEAR(big.grad().item(0), 1.0, 1e-12);
  EXPECT_NEAR(big.grad().item(1), -1.0, 1e-12);
}

TEST(Losses, Float32MatchesFloat64) {
  manual_seed(30);
  const Tensor x = random_f64({5, 4}), y = ids({0, 3, 1, -100, 2}, {5});
  const auto o = CrossEntropyOptions().label_smoothing(0.1).weight(f64({1, 2, 3, 4}, {4}));
  EXPECT_NEAR(cross_entropy(x.to(DType::f32), y, CrossEntropyOptions(o).weight(o.weight().to(DType::f32))).item(), cross_entropy(x, y, o).item(), 1e-6);
  const Tensor t = random_f64({5, 4}, 0, 1);
  EXPECT_NEAR(binary_cross_entropy_with_logits(x.to(DType::f32), t.to(DType::f32)).item(), binary_cross_entropy_with_logits(x, t).item(), 1e-6);
  EXPECT_NEAR(mse_loss(x.to(DType::f32), t.to(DType::f32)).item(), mse_loss(x, t).item(), 1e-6);
  EXPECT_EQ(cross_entropy(x.to(DType::f32), y).dtype(), DType::f32);
}

TEST(Losses, ReductionNames) {
  EXPECT_EQ(reduction_from_string("none"), Reduction::none);
  EXPECT_EQ(reduction_from_string("sum"), Reduction::sum);
  EXPECT_STREQ(reduction_name(reduction_from_string("mean")), "mean");
  EXPECT_THROW(reduction_from_string("avg"), OptionError);
}

// ---------------------------------------------------------------- bad input


TEST(LossesBadInput, OutOfRangeTargetNamesThePositionAndTheId) {
  const Tensor z = Tensor::zeros({2, 3, 2}, DType::f64);
  EXPECT_THROW(cross_entropy(z, ids({0, 1, 2, 3}, {2, 2})), ShapeError);
  const std::string m = error_of([&] { cross_entropy(z, ids({0, 1, 2, 3}, {2, 2})); });
  EXPECT_NE(m.find("targets[1, 1] = 3"), std::string::npos) << m;
  EXPECT_NE(m.find("0..2"), std::string::npos) << m;
  const std::string neg = error_of([&] { cross_entropy(Tensor::zeros({2, 3}), ids({-1, 0}, {2})); });
  EXPECT_NE(neg.find("targets[0] = -1"), std::string::npos) << neg;
  // The seq form names (t, b).
  const std::string s = error_of([&] { sequence_cross_entropy(Tensor::zeros({2, 2, 3}), ids({0, 1, 5, 0}, {2, 2})); });
  EXPECT_NE(s.find("targets[1, 0] = 5"), std::string::npos) << s;
}

TEST(LossesBadInput, ShapesDtypesAndOptions) {
  const Tensor z = Tensor::zeros({2, 3});
  EXPECT_THROW(cross_entropy(z, ids({0, 1, 2}, {3})), ShapeError);                            // wrong N
  EXPECT_THROW(cross_entropy(z, Tensor::zeros({2})), ShapeError);                             // float targets
  EXPECT_THROW(cross_entropy(Tensor::zeros({}), ids({0}, {})), ShapeError);                   // scalar logits
  EXPECT_THROW(cross_entropy(Tensor::zeros({2, 3}, DType::i64), ids({0, 1}, {2})), ShapeError);
  EXPECT_THROW(cross_entropy(z, ids({0, 1}, {2}), CrossEntropyOptions().weight(Tensor::zeros({2}))), ShapeError);
  EXPECT_THROW(cross_entropy(z, ids({0, 1}, {2}), CrossEntropyOptions().label_smoothing(1.5)), OptionError);
  EXPECT_THROW(cross_entropy(z, ids({0, 1}, {2}), CrossEntropyOptions().label_smoothing(-0.1)), OptionError);
  EXPECT_THROW(cross_entropy(z, ids({0, 1}, {2}), CrossEntropyOptions().mask(ids({1, 1, 1}, {3}))), ShapeError);
  EXPECT_THROW(cross_entropy(z, ids({0, 1}, {2}), CrossEntropyOptions().lengths(ids({1, 1}, {2}))), ShapeError);  // elements are 1-D
  EXPECT_THROW(sequence_cross_entropy(z, ids({0, 1}, {2})), ShapeError);                                            // not 3-D
  EXPECT_THROW(sequence_cross_entropy(Tensor::zeros({2, 2, 3}), ids({0, 1, 0, 1}, {2, 2}), ids({1, 1}, {2}),
                                      CrossEntropyOptions().lengths(ids({1, 1}, {2}))),
               OptionError);  // lengths twice
  EXPECT_THROW(mse_loss(z, Tensor::zeros({3, 2})), ShapeError);
  EXPECT_THROW(mse_loss(z, Tensor::zeros({2, 3}, DType::f64)), ShapeError);
  EXPECT_THROW(binary_cross_entropy_with_logits(z, z, BCEWithLogitsOptions().pos_weight(Tensor::zeros({2}))), ShapeError);
  EXPECT_THROW(binary_cross_entropy_with_logits(z, z, BCEWithLogitsOptions().weight(ids({1, 1, 1}, {3}))), ShapeError);
}

TEST(LossesBadInput, LengthsOutOfRangeAreNamed) {
  const Tensor x = Tensor::zeros({3, 2, 4});  // (T, B, C)
  const Tensor y = ids({0, 0, 0, 0, 0, 0}, {3, 2});
  for (const I64& bad : {I64{0, 1}, I64{1, 4}}) {
    const std::string m = error_of([&] { sequence_cross_entropy(x, y, ids(bad, {2})); });
    EXPECT_NE(m.find("lengths["), std::string::npos) << m;
    EXPECT_NE(m.find("1..3"), std::string::npos) << m;
  }
  EXPECT_THROW(sequence_cross_entropy(x, y, ids({1, 1, 1}, {3})), ShapeError);  // one per item
  EXPECT_THROW(sequence_cross_entropy(x, y, Tensor::zeros({2})), ShapeError);   // float lengths
  EXPECT_THROW(mse_loss(x, x, MSELossOptions().lengths(ids({4, 1}, {2}))), ShapeError);
}

}  // namespace
}  // namespace birnn::testing
