// Float64 gradient check of every op in layers_functional.hpp (and of the modules' parameters), through
// the shared helper.
#include <gtest/gtest.h>

#include "unit/gradcheck.hpp"

namespace birnn::testing {
namespace {

Tensor leaf(const Shape& s, double lo = -1, double hi = 1) { return random_f64(s, lo, hi).set_requires_grad(true); }
Tensor ids_of(std::vector<std::int64_t> v, const Shape& s) { return Tensor::from_vector(v, s); }

TEST(LayersGradcheck, PermuteAndTranspose) {
  manual_seed(21);
  const std::vector<Tensor> in{leaf({2, 3, 4})};
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(permute(v[0], {2, 0, 1})); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(permute(v[0], {1, -1, 0})); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(transpose(v[0], 1, 2)); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(transpose(v[0], 0, -1)); }, in), "");
}

TEST(LayersGradcheck, EmbeddingWithRepeatedIds) {
  manual_seed(22);
  const Tensor ids = ids_of({3, 0, 3, 1, 4, 3}, {2, 3});
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(embedding(ids, v[0])); }, {leaf({5, 4})}), "");
}

TEST(LayersGradcheck, EmbeddingPaddingRowGetsZeroGradient) {
  manual_seed(23);
  const Tensor ids = ids_of({2, 0, 2, 1, 4, 2, 2}, {7});  // padding id 2 appears often
  // The other rows, checked numerically with the padding row held constant (its output does depend on it;
  // it is by design that it gets no gradient).
  const Tensor pad_row = random_f64({1, 3});
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(embedding(ids, cat({v[0], pad_row, v[1]}, 0), 2)); },
                      {leaf({2, 3}), leaf({2, 3})}),
            "");
  // The table as one leaf: the padding row's gradient is exactly zero, an unused row's too, a used row's not.
  Tensor w = leaf({5, 3});
  weighted_sum(embedding(ids, w, 2)).backward();
  for (std::int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(w.grad().item(2 * 3 + j), 0.0);
    EXPECT_EQ(w.grad().item(3 * 3 + j), 0.0);  // id 3 is not used
    EXPECT_NE(w.grad().item(0 * 3 + j), 0.0);
  }
}

TEST(LayersGradcheck, Conv1dOverStridePaddingDilation) {
  struct Case {
    std::int64_t stride, padding, dilation;
    bool bias;
    std::int64_t L, K;
  };
  const std::vector<Case> cases{{1, 0, 1, true, 7, 3},  {2, 1, 1, true, 7, 3},  {1, 2, 2, false, 6, 3}, {3, 0, 2, true, 9, 2},
                                {2, 3, 1, true, 4, 3},  {1, 0, 1, true, 3, 3},  {1, 1, 3, false, 5, 2}, {4, 2, 1, true, 8, 1}};
  manual_seed(24);
  for (const auto& c : cases) {
    SCOPED_TRACE("stride " + std::to_string(c.stride) + " padding " + std::to_string(c.padding) + " dilation " +
                 std::to_string(c.dilation) + " L " + std::to_string(c.L) + " K " + std::to_string(c.K));
    std::vector<Tensor> in{leaf({2, 3, c.L}), leaf({4, 3, c.K})};
    if (c.bias) in.push_back(leaf({4}));
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(conv1d(v[0], v[1], c.bias ? v[2] : Tensor(), c.stride, c.padding, c.dilation)); },
                        in),
              "");
  }
}

// Padded steps hold large values: they would win the max (and move the mean) if they were not masked.
Tensor with_loud_padding(const Shape& s, const Tensor& lengths, bool batch_first) {
  Tensor x = random_f64(s);
  const std::int64_t T = s[batch_first ? 1 : 0], B = s[batch_first ? 0 : 1], F = s[2];
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = lengths.data<std::int64_t>()[b]; t < T; ++t)
      for (std::int64_t f = 0; f < F; ++f) x.data<double>()[(batch_first ? b * T + t : t * B + b) * F + f] = 10.0 + static_cast<double>(f);
  return x.set_requires_grad(true);
}

TEST(LayersGradcheck, MaskedPoolingOverTimeWithRaggedLengths) {
  manual_seed(25);
  const Tensor lengths = ids_of({3, 5, 1, 4}, {4});
  for (bool bf : {false, true}) {
    SCOPED_TRACE(bf ? "batch_first" : "time-major");
    const Tensor x = with_loud_padding(bf ? Shape{4, 5, 3} : Shape{5, 4, 3}, lengths, bf);
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(max_over_time(v[0], lengths, bf)); }, {x}), "");
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(mean_over_time(v[0], lengths, bf)); }, {x}), "");
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(mean_over_time(v[0], Tensor(), bf)); }, {x}), "");
    // Padded steps receive exactly zero gradient.
    for (auto pool : {max_over_time, mean_over_time}) {
      Tensor y = x.detach().clone().set_requires_grad(true);
      weighted_sum(pool(y, lengths, bf)).backward();
      for (std::int64_t f = 0; f < 3; ++f) EXPECT_EQ(y.grad().item((bf ? 2 * 5 + 3 : 3 * 4 + 2) * 3 + f), 0.0);  // item 2, step 3
    }
  }
}

TEST(LayersGradcheck, AdaptivePoolingWithOverlappingBins) {
  manual_seed(26);
  const std::vector<std::pair<Shape, std::int64_t>> cases{{{2, 3, 7}, 3}, {{2, 2, 5}, 5}, {{1, 2, 3}, 5}, {{3, 8}, 3}, {{2, 1, 6}, 1}};
  for (const auto& [shape, out] : cases) {
    SCOPED_TRACE(shape_str(shape) + " -> " + std::to_string(out));
    const std::vector<Tensor> in{leaf(shape)};
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(adaptive_avg_pool1d(v[0], out)); }, in), "");
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(adaptive_max_pool1d(v[0], out)); }, in), "");
  }
}

TEST(LayersGradcheck, LayerNorm) {
  manual_seed(27);
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(layer_norm(v[0], v[1], v[2])); }, {leaf({2, 3, 5}), leaf({5}), leaf({5})}), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(layer_norm(v[0], Tensor(), Tensor(), 1e-3)); }, {leaf({4, 6})}), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(layer_norm(v[0], v[1], Tensor())); }, {leaf({3, 4}), leaf({4})}), "");
}

TEST(LayersGradcheck, ActivationsAndSoftmax) {
  manual_seed(28);
  const std::vector<Tensor> in{leaf({2, 3, 4}, -3, 3)};
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(gelu(v[0])); }, in), "");
  EXPECT_EQ(gradcheck([](auto& v) { return weighted_sum(gelu(v[0], "tanh")); }, in), "");
  for (std::int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(softmax(v[0], dim)); }, in), "");
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(log_softmax(v[0], dim)); }, in), "");
  }
}

TEST(LayersGradcheck, BidirectionalMerges) {
  manual_seed(29);
  const std::vector<Tensor> in{leaf({3, 2, 8})};
  for (auto mode : {BiMerge::concat, BiMerge::sum, BiMerge::mul, BiMerge::ave}) {
    SCOPED_TRACE(bi_merge_name(mode));
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(merge_directions(v[0], mode)); }, in), "");
  }
}

// The modules' parameters, through their forward().
TEST(LayersGradcheck, ModuleParameters) {
  manual_seed(30);
  Embedding emb(EmbeddingOptions(6, 3).padding_idx(-1));
  emb.to(DType::f64);
  const Tensor ids = ids_of({1, 4, 0, 4}, {2, 2});
  EXPECT_EQ(gradcheck([&](auto&) { return weighted_sum(emb.forward(ids)); }, emb.parameters()), "");

  Conv1d conv(Conv1dOptions(3, 2, 3).stride(2).padding(1).dilation(2));
  conv.to(DType::f64);
  std::vector<Tensor> in = conv.parameters();
  in.push_back(leaf({2, 3, 9}));
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(conv.forward(v[2])); }, in), "");

  LayerNorm ln(LayerNormOptions(4));
  ln.to(DType::f64);
  in = ln.parameters();
  in.push_back(leaf({3, 4}));
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(ln.forward(v[2])); }, in), "");
}

}  // namespace
}  // namespace birnn::testing
