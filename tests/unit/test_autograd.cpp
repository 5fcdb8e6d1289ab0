#include <gtest/gtest.h>

#include "birnn/birnn.hpp"

namespace birnn {
namespace {

TEST(Autograd, ChainRuleAndAccumulationOverSharedInputs) {
  Tensor x = Tensor::from_vector(std::vector<double>{1.5, -2.0}, {2}).set_requires_grad(true);
  // y = sum(x*x + x) -> dy/dx = 2x + 1
  Tensor y = sum(add(mul(x, x), x));
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(0), 4.0);
  EXPECT_DOUBLE_EQ(x.grad().item(1), -3.0);
  // A second backward accumulates, as in PyTorch.
  sum(x).backward();
  EXPECT_DOUBLE_EQ(x.grad().item(0), 5.0);
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2}, {2}).set_requires_grad(true);
  Tensor y;
  {
    NoGradGuard ng;
    EXPECT_FALSE(grad_mode_enabled());
    y = mul(x, x);
  }
  EXPECT_TRUE(grad_mode_enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
}

TEST(Autograd, NonScalarRootNeedsUpstreamGradient) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2}, {2}).set_requires_grad(true);
  Tensor y = mul(x, x);
  EXPECT_THROW(y.backward(), ShapeError);
  EXPECT_THROW(y.backward(Tensor::zeros({3}, DType::f64)), ShapeError);
  y.backward(Tensor::from_vector(std::vector<double>{1, 10}, {2}));
  EXPECT_DOUBLE_EQ(x.grad().item(1), 40.0);
}

TEST(Autograd, SeveralRootsAtOnce) {
  Tensor x = Tensor::from_vector(std::vector<double>{3}, {1}).set_requires_grad(true);
  Tensor a = mul(x, x), b = scale(x, 5);
  autograd::backward({a, b}, {Tensor::full({1}, 1.0, DType::f64), Tensor::full({1}, 2.0, DType::f64)});
  EXPECT_DOUBLE_EQ(x.grad().item(0), 6.0 + 10.0);
}

TEST(Autograd, LeafGradientsAreNotAliased) {
  Tensor a = Tensor::from_vector(std::vector<double>{1}, {1}).set_requires_grad(true);
  Tensor b = Tensor::from_vector(std::vector<double>{2}, {1}).set_requires_grad(true);
  sum(add(a, b)).backward();  // add hands the same gradient to both inputs
  a.grad().data<double>()[0] = 100;
  EXPECT_DOUBLE_EQ(b.grad().item(0), 1.0);
}

TEST(Autograd, OnlyLeavesCanBeMarked) {
  Tensor x = Tensor::from_vector(std::vector<double>{1}, {1}).set_requires_grad(true);
  Tensor y = mul(x, x);
  EXPECT_THROW(y.set_requires_grad(false), Error);
  EXPECT_THROW(Tensor::zeros({1}, DType::i64).set_requires_grad(true), Error);
}

}  // namespace
}  // namespace birnn
