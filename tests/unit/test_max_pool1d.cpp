// max_pool1d / MaxPool1d: hand-computed windows, shapes, ties and NaN, overlapping windows, a float64
// gradient check, and bad arguments.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "unit/gradcheck.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;

TEST(MaxPool1d, WindowsByHand) {
  // (1, 2, 7): floor mode drops the incomplete last window
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 5, 2, 2, 7, 0, 9, 4, 3, -1, -2, 8, 6, 6}, {1, 2, 7});
  const Tensor y = max_pool1d(x, 2);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(y.to_double_vector(), (std::vector<double>{5, 2, 7, 4, -1, 8}));
  const Tensor z = MaxPool1d(MaxPool1dOptions(3).stride(2)).forward(x);  // windows [0,3) [2,5) [4,7)
  EXPECT_EQ(z.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(z.to_double_vector(), (std::vector<double>{5, 7, 9, 4, 8, 8}));
  EXPECT_EQ(max_pool1d(Tensor::from_vector(std::vector<double>{3, 1, 2}, {1, 3}), 3).to_double_vector(), (std::vector<double>{3}));
  EXPECT_EQ(max_pool1d(Tensor::zeros({2, 4}, DType::f64), 1, 2).shape(), (Shape{2, 2}));
  EXPECT_EQ(MaxPool1dOptions(4).stride(), 4);
}

TEST(MaxPool1d, GradientGoesToTheFirstWinnerAndAccumulates) {
  Tensor x = Tensor::from_vector(std::vector<double>{2, 2, 1, 9, 0}, {1, 5});
  x.set_requires_grad(true);
  const Tensor y = max_pool1d(x, 3, 1);  // windows [0,3) [1,4) [2,5): winners 0, 3, 3
  EXPECT_EQ(y.to_double_vector(), (std::vector<double>{2, 9, 9}));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_double_vector(), (std::vector<double>{1, 0, 0, 2, 0}));
}

TEST(MaxPool1d, NaNWins) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1, NAN, 3, 4}, {1, 4});
  const Tensor y = max_pool1d(x, 2);
  EXPECT_TRUE(std::isnan(y.item(0)));
  EXPECT_EQ(y.item(1), 4);
}

TEST(MaxPool1d, GradcheckFloat64) {
  manual_seed(4);
  for (auto [k, s] : {std::pair<int, int>{2, 0}, {3, 2}, {3, 1}, {2, 3}}) {
    Tensor x = testing::random_f64({2, 3, 9});
    x.set_requires_grad(true);
    EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>& v) { return testing::weighted_sum(max_pool1d(v[0], k, s)); }, {x}), "")
        << "kernel " << k << " stride " << s;
  }
}

TEST(MaxPool1d, BadArguments) {
  EXPECT_TRUE(contains(error_of([] { max_pool1d(Tensor::zeros({2, 3, 4, 5}), 2); }), "(B, C, L) or (C, L)"));
  EXPECT_TRUE(contains(error_of([] { max_pool1d(Tensor::zeros({2, 3, 2}), 3); }), "input length 2 is shorter than kernel_size 3"));
  EXPECT_THROW(max_pool1d(Tensor::zeros({2, 3, 2}), 3), ShapeError);
  EXPECT_THROW(max_pool1d(Tensor::zeros({2, 3, 4}, DType::i64), 2), ShapeError);
  EXPECT_TRUE(contains(error_of([] { max_pool1d(Tensor::zeros({2, 4}), 0); }), "kernel_size must be >= 1, got 0"));
  EXPECT_THROW(max_pool1d(Tensor::zeros({2, 4}), 2, -1), OptionError);
  EXPECT_TRUE(contains(error_of([] { MaxPool1d(MaxPool1dOptions(0)); }), "MaxPool1d: kernel_size must be >= 1, got 0"));
  EXPECT_THROW(MaxPool1d(MaxPool1dOptions(2).stride(-2)), OptionError);
}

}  // namespace
}  // namespace birnn
