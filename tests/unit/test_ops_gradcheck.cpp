// Float64 gradient check of every op in ops.hpp, through the shared helper.
#include <gtest/gtest.h>

#include "unit/gradcheck.hpp"

namespace birnn::testing {
namespace {

Tensor leaf(const Shape& s, double lo = -1, double hi = 1) { return random_f64(s, lo, hi).set_requires_grad(true); }

TEST(OpsGradcheck, Elementwise) {
  manual_seed(1);
  const std::vector<Tensor> in{leaf({2, 3}), leaf({2, 3})};
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(add(v[0], v[1])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(sub(v[0], v[1])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(mul(v[0], v[1])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(scale(v[0], -2.5)); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(tanh(v[0])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(sigmoid(v[0])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return sum(v[0]); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return mean(v[0]); }, in), "");
}

TEST(OpsGradcheck, ReluAwayFromTheKink) {
  manual_seed(2);
  Tensor x = random_f64({8}, 0.1, 1.0);
  for (std::int64_t i = 0; i < 8; i += 2) x.data<double>()[i] *= -1;  // both sides, none near 0
  x.set_requires_grad(true);
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(relu(v[0])); }, {x}), "");
}

TEST(OpsGradcheck, ShapeOps) {
  manual_seed(3);
  const std::vector<Tensor> in{leaf({2, 3, 4}), leaf({2, 2, 4})};
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(reshape(v[0], {6, -1})); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(cat({v[0], v[1]}, 1)); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(narrow(v[0], 1, 1, 2)); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(narrow(v[0], 2, 3, 1)); }, in), "");
}

TEST(OpsGradcheck, GatherRowsWithRepeatsAndZeroRows) {
  manual_seed(4);
  auto rows = std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t>{2, -1, 0, 2, 1});
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(gather_rows(v[0], rows)); }, {leaf({3, 4})}), "");
  Tensor y = gather_rows(Tensor::full({3, 2}, 1.0, DType::f64), rows);
  EXPECT_EQ(y.item(2), 0.0);  // row 1 of the output is a padding row
  EXPECT_EQ(y.item(3), 0.0);
  EXPECT_THROW(gather_rows(Tensor::zeros({3, 2}), std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t>{3})), ShapeError);
}

TEST(OpsGradcheck, Linear) {
  manual_seed(5);
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(linear(v[0], v[1], v[2])); }, {leaf({2, 3, 4}), leaf({5, 4}), leaf({5})}), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(linear(v[0], v[1], Tensor())); }, {leaf({3, 4}), leaf({2, 4})}), "");
}

TEST(OpsGradcheck, DropoutWithAFixedMask) {
  // Reseeding inside the loss makes every evaluation draw the same mask.
  auto f = [](auto& v) {
    manual_seed(11);
    return weighted_sum(dropout(v[0], 0.4, true));
  };
  manual_seed(6);
  EXPECT_EQ(gradcheck(f, {leaf({4, 5})}), "");
  Tensor x = Tensor::full({1000}, 1.0, DType::f64);
  Tensor y = dropout(x, 0.25, true);
  int zeros = 0;
  for (int i = 0; i < 1000; ++i) {
    if (y.item(i) == 0) ++zeros;
    else EXPECT_DOUBLE_EQ(y.item(i), 1.0 / 0.75);
  }
  EXPECT_NEAR(zeros, 250, 60);
  EXPECT_EQ(dropout(x, 0.25, false).item(0), 1.0);  // eval mode: identity
  EXPECT_THROW(dropout(x, 1.0, true), OptionError);
}

TEST(OpsGradcheck, Losses) {
  manual_seed(7);
  const Tensor targets = Tensor::from_vector(std::vector<std::int64_t>{2, 0, 1}, {3});
  EXPECT_EQ(gradcheck([&](auto& v) { return cross_entropy(v[0], targets); }, {leaf({3, 4}, -2, 2)}), "");
  EXPECT_EQ(gradcheck([](auto& v) { return mse_loss(v[0], v[1]); }, {leaf({3, 2}), leaf({3, 2})}), "");
  // Uniform logits: loss = log(C).
  EXPECT_NEAR(cross_entropy(Tensor::zeros({2, 4}, DType::f64), Tensor::from_vector(std::vector<std::int64_t>{0, 3}, {2})).item(),
              std::log(4.0), 1e-12);
  EXPECT_THROW(cross_entropy(Tensor::zeros({2, 4}, DType::f64), Tensor::from_vector(std::vector<std::int64_t>{0, 4}, {2})), ShapeError);
}

}  // namespace
}  // namespace birnn::testing
