// Behaviour of the layer modules and functions (values, shapes, init, modes) and their bad-input errors:
// typed exceptions whose messages name what was wrong.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "unit/gradcheck.hpp"
#include "unit/test_util.hpp"

namespace birnn::testing {
namespace {

#define EXPECT_ERROR(expr, Type, part)                               \
  do {                                                               \
    EXPECT_THROW(expr, Type);                                        \
    EXPECT_PRED2(contains, error_of([&] { expr; }), std::string(part)); \
  } while (0)

Tensor i64(std::vector<std::int64_t> v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor f64(std::vector<double> v, const Shape& s) { return Tensor::from_vector(v, s); }
double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double d = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::abs(a.item(i) - b.item(i)));
  return d;
}

// ---------------------------------------------------------------------------------------------- random

TEST(Random, NormalHasMeanZeroAndUnitVarianceAndIsSeeded) {
  manual_seed(5);
  double s = 0, s2 = 0;
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    const double v = normal();
    s += v, s2 += v * v;
  }
  EXPECT_NEAR(s / n, 0.0, 0.02);
  EXPECT_NEAR(s2 / n, 1.0, 0.03);
  manual_seed(5);
  const double a = normal(2.0, 3.0);
  manual_seed(5);
  EXPECT_DOUBLE_EQ(a, 2.0 + 3.0 * normal());
}

// ---------------------------------------------------------------------------------------------- embedding

TEST(Embedding, InitIsStandardNormalWithAZeroPaddingRow) {
  manual_seed(1);
  Embedding e(EmbeddingOptions(400, 50).padding_idx(-2));
  ASSERT_EQ(e.options().padding_idx(), 398);  // negative counts from the end
  const auto sd = e.state_dict();
  ASSERT_EQ(sd.size(), 1u);
  const Tensor w = sd.at("weight");
  EXPECT_EQ(w.shape(), (Shape{400, 50}));
  EXPECT_EQ(w.dtype(), DType::f32);
  double s = 0, s2 = 0;
  for (std::int64_t i = 0; i < w.numel(); ++i) s += w.item(i), s2 += w.item(i) * w.item(i);
  EXPECT_NEAR(s / w.numel(), 0.0, 0.02);
  EXPECT_NEAR(s2 / w.numel(), 1.0, 0.03);
  for (std::int64_t j = 0; j < 50; ++j) EXPECT_EQ(w.item(398 * 50 + j), 0.0);
}

TEST(Embedding, LooksUpRowsForIdsOfAnyShape) {
  const Tensor table = f64({0, 1, 10, 11, 20, 21}, {3, 2});
  Embedding e = Embedding::from_pretrained(table, /*freeze=*/false);
  const Tensor y = e.forward(i64({2, 0, 1, 2, 2, 1, 0, 0}, {2, 2, 2}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2, 2}));
  EXPECT_EQ(y.to_double_vector(), (std::vector<double>{20, 21, 0, 1, 10, 11, 20, 21, 20, 21, 10, 11, 0, 1, 0, 1}));
  EXPECT_EQ(e.forward(i64({1}, {})).shape(), (Shape{2}));  // a 0-d id gives one vector
  EXPECT_EQ(y.dtype(), DType::f64);                         // from_pretrained keeps the dtype
}

TEST(Embedding, FromPretrainedCopiesAndFreezes) {
  Tensor table = f64({1, 2, 3, 4, 5, 6}, {3, 2});
  Embedding e = Embedding::from_pretrained(table, true, 1);
  table.data<double>()[0] = 99;  // a copy was taken
  EXPECT_EQ(e.state_dict().at("weight").item(0), 1.0);
  EXPECT_EQ(e.state_dict().at("weight").item(2), 3.0);  // the padding row keeps its pretrained values (as torch)
  EXPECT_TRUE(e.frozen());
  EXPECT_FALSE(e.parameters()[0].requires_grad());
  EXPECT_FALSE(e.forward(i64({0, 2}, {2})).requires_grad());

  e.to(DType::f32);  // still frozen after a dtype change
  EXPECT_FALSE(e.forward(i64({0, 2}, {2})).requires_grad());

  e.freeze(false);
  Tensor y = e.forward(i64({0, 1, 0}, {3}));
  sum(y).backward();
  const Tensor g = e.parameters()[0].grad();
  EXPECT_EQ(g.to_double_vector(), (std::vector<double>{2, 2, 0, 0, 0, 0}));  // row 1 is padding
}

TEST(Embedding, BadIdsAndOptions) {
  Embedding e(EmbeddingOptions(5, 3));
  EXPECT_ERROR(e.forward(i64({1, 2, 3, 0, 7, 1}, {2, 3})), ShapeError, "id 7 at position (1, 1)");
  EXPECT_ERROR(e.forward(i64({-1}, {1})), ShapeError, "id -1 at position (0)");
  EXPECT_ERROR(e.forward(i64({5}, {1})), ShapeError, "num_embeddings = 5");
  EXPECT_ERROR(e.forward(Tensor::zeros({2})), ShapeError, "int64");
  EXPECT_ERROR(Embedding(EmbeddingOptions(5, 3).padding_idx(5)), OptionError, "padding_idx 5");
  EXPECT_ERROR(Embedding(EmbeddingOptions(5, 3).padding_idx(-6)), OptionError, "padding_idx -6");
  EXPECT_ERROR(Embedding(EmbeddingOptions(0, 3)), OptionError, "num_embeddings");
  EXPECT_ERROR(Embedding::from_pretrained(Tensor::zeros({3})), ShapeError, "2-D");
  EXPECT_ERROR(embedding(i64({0}, {1}), Tensor::zeros({2, 2}), 2), ShapeError, "padding_idx 2");
}

// ---------------------------------------------------------------------------------------------- conv1d

// Plain loops with the definition of torch.nn.functional.conv1d, for comparison.
Tensor conv1d_naive(const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t s, std::int64_t p, std::int64_t d) {
  const std::int64_t B = x.size(0), C = x.size(1), L = x.size(2), O = w.size(0), K = w.size(2);
  const std::int64_t Lo = (L + 2 * p - d * (K - 1) - 1) / s + 1;
  std::vector<double> out(static_cast<std::size_t>(B * O * Lo));
  for (std::int64_t bb = 0; bb < B; ++bb)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t l = 0; l < Lo; ++l) {
        double acc = b.defined() ? b.item(o) : 0.0;
        for (std::int64_t c = 0; c < C; ++c)
          for (std::int64_t k = 0; k < K; ++k) {
            const std::int64_t pos = l * s + k * d - p;
            if (pos >= 0 && pos < L) acc += w.item((o * C + c) * K + k) * x.item((bb * C + c) * L + pos);
          }
        out[static_cast<std::size_t>((bb * O + o) * Lo + l)] = acc;
      }
  return Tensor::from_vector(out, {B, O, Lo});
}

TEST(Conv1d, MatchesTheDefinitionInBothPrecisions) {
  manual_seed(3);
  for (auto [s, p, d] : std::vector<std::array<std::int64_t, 3>>{{1, 0, 1}, {2, 1, 1}, {1, 3, 2}, {3, 2, 3}}) {
    Conv1d conv(Conv1dOptions(5, 7, 3).stride(s).padding(p).dilation(d));
    const Tensor x = random_f64({3, 5, 20}).to(DType::f32);
    const auto sd = conv.state_dict();
    const Tensor ref = conv1d_naive(x, sd.at("weight"), sd.at("bias"), s, p, d);
    EXPECT_LT(max_abs_diff(conv.forward(x), ref), 1e-5);
    conv.to(DType::f64);
    EXPECT_LT(max_abs_diff(conv.forward(x.to(DType::f64)), ref), 1e-12);
  }
}

TEST(Conv1d, ShapesNamesAndInit) {
  manual_seed(4);
  Conv1d conv(Conv1dOptions(4, 6, 5).padding(2));
  auto np = conv.named_parameters();
  ASSERT_EQ(np.size(), 2u);
  EXPECT_EQ(np[0].first, "weight");
  EXPECT_EQ(np[0].second.shape(), (Shape{6, 4, 5}));
  EXPECT_EQ(np[1].first, "bias");
  const double bound = 1.0 / std::sqrt(20.0);
  double mx = 0;
  for (auto& [n, t] : np)
    for (std::int64_t i = 0; i < t.numel(); ++i) mx = std::max(mx, std::abs(t.item(i)));
  EXPECT_LE(mx, bound);
  EXPECT_GT(mx, 0.8 * bound);
  EXPECT_EQ(conv.forward(Tensor::zeros({2, 4, 9})).shape(), (Shape{2, 6, 9}));  // "same" length for odd K
  EXPECT_EQ(Conv1d(Conv1dOptions(4, 6, 3).stride(2).bias(false)).forward(Tensor::zeros({1, 4, 8})).shape(), (Shape{1, 6, 3}));
  EXPECT_EQ(Conv1d(Conv1dOptions(4, 6, 3).bias(false)).parameters().size(), 1u);
}

TEST(Conv1d, WorksOnTheTransposeOfAnEmbedding) {
  manual_seed(5);
  Embedding emb(EmbeddingOptions(10, 4));
  Conv1d conv(Conv1dOptions(4, 3, 2));
  const Tensor ids = i64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  const Tensor y = conv.forward(transpose(emb.forward(ids), 1, 2));  // (2, 4, 4) -> (2, 4 channels, 4) -> (2, 3, 3)
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3}));
  sum(y).backward();
  EXPECT_TRUE(emb.parameters()[0].grad().defined());
}

TEST(Conv1d, BadInputAndOptions) {
  Conv1d conv(Conv1dOptions(3, 2, 4).dilation(2));
  EXPECT_ERROR(conv.forward(Tensor::zeros({2, 5, 10})), ShapeError, "in_channels = 3");
  EXPECT_ERROR(conv.forward(Tensor::zeros({3, 10})), ShapeError, "(batch, in_channels");
  EXPECT_ERROR(conv.forward(Tensor::zeros({1, 3, 6})), ShapeError, "shorter than the kernel's span 7");
  EXPECT_ERROR(conv.forward(Tensor::zeros({1, 3, 10}, DType::f64)), ShapeError, "float32");
  EXPECT_ERROR(Conv1d(Conv1dOptions(3, 2, 0)), OptionError, "kernel_size");
  EXPECT_ERROR(Conv1d(Conv1dOptions(3, 2, 2).stride(0)), OptionError, "stride");
  EXPECT_ERROR(Conv1d(Conv1dOptions(3, 2, 2).padding(-1)), OptionError, "padding");
  EXPECT_ERROR(Conv1d(Conv1dOptions(3, 2, 2).dilation(0)), OptionError, "dilation");
  EXPECT_ERROR(conv1d(Tensor::zeros({1, 3, 10}), Tensor::zeros({2, 3}), Tensor()), ShapeError, "weight");
  EXPECT_ERROR(conv.forward(Tensor::zeros({1, 3, 10}, DType::i64)), ShapeError, "float32 or float64 input, got int64");
  EXPECT_ERROR(conv1d(Tensor::zeros({1, 3, 10}), Tensor::zeros({2, 3, 2}), Tensor::zeros({3})), ShapeError, "bias");
}

// ---------------------------------------------------------------------------------------------- pooling

TEST(PoolingOverTime, PaddedStepsNeverWinNorCount) {
  // x: (T=3, B=2, F=1); item 0 has length 2, item 1 length 3. The padded step of item 0 holds 100.
  const Tensor x = f64({1, -5, 4, -3, 100, -4}, {3, 2, 1});
  const Tensor len = i64({2, 3}, {2});
  EXPECT_EQ(max_over_time(x, len).to_double_vector(), (std::vector<double>{4, -3}));
  EXPECT_EQ(mean_over_time(x, len).to_double_vector(), (std::vector<double>{2.5, -4}));
  EXPECT_EQ(max_over_time(x).to_double_vector(), (std::vector<double>{100, -3}));  // no lengths: all T
  // batch_first gives the same for the transposed input.
  const Tensor xb = transpose(x, 0, 1);
  EXPECT_EQ(max_over_time(xb, len, true).to_double_vector(), (std::vector<double>{4, -3}));
  EXPECT_EQ(mean_over_time(xb, len, true).to_double_vector(), (std::vector<double>{2.5, -4}));
  // All values negative and padding zero: a max that looked at padding would return 0.
  const Tensor neg = f64({-2, -1, 0, -7}, {2, 2, 1});
  EXPECT_EQ(max_over_time(neg, i64({1, 2}, {2})).to_double_vector(), (std::vector<double>{-2, -1}));
}

TEST(PoolingOverTime, BadLengthsAndShapes) {
  const Tensor x = Tensor::zeros({4, 2, 3});
  EXPECT_ERROR(max_over_time(x, i64({0, 2}, {2})), ShapeError, "lengths[0] = 0 is outside 1..4");
  EXPECT_ERROR(mean_over_time(x, i64({2, 5}, {2})), ShapeError, "lengths[1] = 5");
  EXPECT_ERROR(mean_over_time(x, i64({2, 2, 2}, {3})), ShapeError, "one length per batch item (2)");
  EXPECT_ERROR(max_over_time(x, Tensor::zeros({2})), ShapeError, "int64");
  EXPECT_ERROR(max_over_time(Tensor::zeros({4, 3})), ShapeError, "3-D (T, B, F)");
  EXPECT_ERROR(max_over_time(Tensor::zeros({2, 4, 3}), i64({5, 1}, {2}), true), ShapeError, "outside 1..4");
}

TEST(AdaptivePooling, TorchBinBoundaries) {
  // L = 5, out = 3: bins [0, 2), [1, 4), [3, 5).
  const Tensor x = f64({0, 1, 2, 3, 4, 10, 14, 12, 10, 13}, {1, 2, 5});
  EXPECT_EQ(adaptive_avg_pool1d(x, 3).to_double_vector(), (std::vector<double>{0.5, 2, 3.5, 12, 12, 11.5}));
  EXPECT_EQ(adaptive_max_pool1d(x, 3).to_double_vector(), (std::vector<double>{1, 3, 4, 14, 14, 13}));
  EXPECT_EQ(AdaptiveMaxPool1d(1).forward(x).to_double_vector(), (std::vector<double>{4, 14}));
  EXPECT_EQ(AdaptiveAvgPool1d(1).forward(x).to_double_vector(), (std::vector<double>{2, 11.8}));
  // out > L repeats elements: L = 2, out = 3 -> bins [0, 1), [0, 2), [1, 2).
  EXPECT_EQ(adaptive_avg_pool1d(f64({2, 4}, {1, 2}), 3).to_double_vector(), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(adaptive_max_pool1d(f64({2, 4}, {1, 2}), 3).shape(), (Shape{1, 3}));
  EXPECT_ERROR(AdaptiveAvgPool1d(0), OptionError, "output_size");
  EXPECT_ERROR(adaptive_max_pool1d(Tensor::zeros({2, 3, 4, 5}), 2), ShapeError, "(B, C, L) or (C, L)");
  EXPECT_ERROR(adaptive_avg_pool1d(Tensor::zeros({2, 3, 0}), 2), ShapeError, "L >= 1");
}

// ---------------------------------------------------------------------------------------------- layer norm

TEST(LayerNorm, NormalisesEachRowAndHasTorchParameters) {
  LayerNorm ln(LayerNormOptions(4));
  auto np = ln.named_parameters();
  ASSERT_EQ(np.size(), 2u);
  EXPECT_EQ(np[0].first, "weight");
  EXPECT_EQ(np[0].second.to_double_vector(), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(np[1].first, "bias");
  EXPECT_EQ(np[1].second.to_double_vector(), (std::vector<double>{0, 0, 0, 0}));
  const Tensor y = ln.forward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 10, 10, 10, 10}, {2, 4}));
  // Row 0: mean 2.5, biased variance 1.25.
  EXPECT_NEAR(y.item(0), -1.5 / std::sqrt(1.25 + 1e-5), 1e-6);
  EXPECT_NEAR(y.item(3), 1.5 / std::sqrt(1.25 + 1e-5), 1e-6);
  EXPECT_EQ(y.item(4), 0.0);  // a constant row becomes 0, not NaN
  EXPECT_TRUE(LayerNorm(LayerNormOptions(4).elementwise_affine(false)).parameters().empty());
  EXPECT_ERROR(ln.forward(Tensor::zeros({2, 5})), ShapeError, "normalized_shape = 4");
  EXPECT_ERROR(LayerNorm(LayerNormOptions(0)), OptionError, "normalized_shape");
  EXPECT_ERROR(LayerNorm(LayerNormOptions(3).eps(0)), OptionError, "eps");
  EXPECT_ERROR(layer_norm(Tensor::zeros({2, 3}), Tensor::zeros({4}), Tensor()), ShapeError, "weight");
  EXPECT_ERROR(ln.forward(Tensor::zeros({2, 4}, DType::i64)), ShapeError, "got int64");
}

// ---------------------------------------------------------------------------------------------- activations

TEST(Activations, KnownValues) {
  const Tensor x = f64({-1, 0, 1, 3}, {4});
  const auto g = GELU().forward(x).to_double_vector();
  EXPECT_NEAR(g[0], -0.15865525393145707, 1e-15);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_NEAR(g[2], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(GELU(GELUOptions().approximate("tanh")).forward(x).item(2), 0.8411919906082768, 1e-15);
  EXPECT_EQ(ReLU().forward(x).to_double_vector(), relu(x).to_double_vector());
  EXPECT_EQ(Tanh().forward(x).to_double_vector(), tanh(x).to_double_vector());
  EXPECT_EQ(Sigmoid().forward(x).to_double_vector(), sigmoid(x).to_double_vector());
  EXPECT_ERROR(GELU(GELUOptions().approximate("fast")), OptionError, "approximate");
  EXPECT_ERROR(gelu(x, "erf"), OptionError, "\"erf\"");
}

TEST(Activations, SoftmaxIsStableAndSumsToOne) {
  const Tensor x = f64({1000, 1001, 1002, -1000, 0, 1000}, {2, 3});
  const Tensor p = Softmax(1).forward(x);
  const Tensor lp = LogSoftmax(-1).forward(x);
  for (std::int64_t r = 0; r < 2; ++r) {
    double s = 0;
    for (std::int64_t c = 0; c < 3; ++c) {
      s += p.item(r * 3 + c);
      EXPECT_TRUE(std::isfinite(lp.item(r * 3 + c)));
      EXPECT_NEAR(std::exp(lp.item(r * 3 + c)), p.item(r * 3 + c), 1e-15);
    }
    EXPECT_NEAR(s, 1.0, 1e-15);
  }
  EXPECT_NEAR(lp.item(3), -2000.0, 1e-9);  // no log(0)
  // Along dim 0 each column sums to one.
  const Tensor q = softmax(x, 0);
  for (std::int64_t c = 0; c < 3; ++c) EXPECT_NEAR(q.item(c) + q.item(3 + c), 1.0, 1e-15);
  EXPECT_ERROR(softmax(x, 2), ShapeError, "dimension 2 is out of range");
  EXPECT_ERROR(log_softmax(x, -3), ShapeError, "dimension -3");
}

TEST(Dropout, TrainingZeroesAndScalesEvalIsIdentity) {
  manual_seed(9);
  Dropout d(0.3);
  const Tensor x = Tensor::full({2000}, 1.0, DType::f64);
  const Tensor y = d.forward(x);
  int zeros = 0;
  for (std::int64_t i = 0; i < 2000; ++i) {
    if (y.item(i) == 0) ++zeros;
    else EXPECT_NEAR(y.item(i), 1 / 0.7, 1e-15);
  }
  EXPECT_NEAR(zeros, 600, 90);
  d.eval();
  EXPECT_EQ(d.forward(x).to_double_vector(), x.to_double_vector());
  EXPECT_EQ(Dropout().forward(x).shape(), x.shape());  // p = 0.5 by default
  EXPECT_ERROR(Dropout(1.0), OptionError, "p must be in [0, 1)");
  EXPECT_ERROR(Dropout(DropoutOptions().p(-0.1)), OptionError, "Dropout");
}

// Each generator draw decides two elements (its two 32-bit halves): both halves must drop at rate p and
// independently of each other, and an odd count must fill the last element too.
TEST(Dropout, BothHalvesOfADrawDropAtRatePIndependently) {
  for (double p : {0.1, 0.5, 0.9}) {
    manual_seed(11);
    const std::int64_t n = 200001;  // odd
    const Tensor y = dropout(Tensor::full({n}, 1.0, DType::f64), p, true);
    double even = 0, odd = 0, both = 0;
    for (std::int64_t i = 0; i + 1 < n; i += 2) {
      const bool a = y.item(i) == 0, b = y.item(i + 1) == 0;
      even += a, odd += b, both += a && b;
    }
    const double pairs = (n - 1) / 2.0, sd = std::sqrt(p * (1 - p) / pairs);
    EXPECT_NEAR(even / pairs, p, 5 * sd) << p;
    EXPECT_NEAR(odd / pairs, p, 5 * sd) << p;
    EXPECT_NEAR(both / pairs, p * p, 5 * std::sqrt(p * p * (1 - p * p) / pairs)) << p;
    EXPECT_TRUE(y.item(n - 1) == 0 || y.item(n - 1) == 1 / (1 - p));
  }
}

// dropout_rows is the fused form of gather -> dropout -> gather back (the tagger's dropout on real words):
// same values, same gradient, same draws from the generator (an odd row width splits draws across rows).
Tensor random_matrix(std::int64_t R, std::int64_t F) {
  std::vector<float> v(static_cast<std::size_t>(R * F));
  for (auto& e : v) e = static_cast<float>(normal());
  return Tensor::from_vector(v, {R, F});
}

TEST(Dropout, RowsMatchGatherDropoutGatherBack) {
  for (std::int64_t F : {4, 5}) {
    const std::int64_t R = 7;
    const std::vector<std::int64_t> rows{0, 1, 2, 4, 5};  // rows 3 and 6 are padding
    manual_seed(21);
    Tensor x1 = random_matrix(R, F);
    x1.set_requires_grad(true);
    Tensor x2 = x1.detach().clone();
    x2.set_requires_grad(true);
    const Tensor w = random_matrix(R, F);  // weights the rows of the output for a non-trivial gradient

    manual_seed(22);
    const Tensor y1 = dropout_rows(x1, rows, 0.4, true);
    const double after1 = uniform(0, 1);  // the generator must stand at the same place after both
    manual_seed(22);
    auto gather = std::make_shared<std::vector<std::int64_t>>(rows);
    auto back = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(R), -1);
    for (std::size_t k = 0; k < rows.size(); ++k) (*back)[static_cast<std::size_t>(rows[k])] = static_cast<std::int64_t>(k);
    const Tensor y2 = gather_rows(dropout(gather_rows(x2, gather), 0.4, true), back);
    const double after2 = uniform(0, 1);

    EXPECT_EQ(y1.to_double_vector(), y2.to_double_vector()) << F;
    EXPECT_EQ(after1, after2) << F;
    int zeros = 0;
    for (std::int64_t r : rows)
      for (std::int64_t f = 0; f < F; ++f) zeros += y1.item(r * F + f) == 0;
    EXPECT_GT(zeros, 0) << "nothing was dropped";
    sum(mul(y1, w)).backward();
    sum(mul(y2, w)).backward();
    EXPECT_EQ(x1.grad().to_double_vector(), x2.grad().to_double_vector()) << F;
    for (std::int64_t f = 0; f < F; ++f) EXPECT_EQ(x1.grad().item(3 * F + f), 0.0);  // padding gets no gradient
  }
  const Tensor x = random_matrix(3, 2);
  EXPECT_EQ(dropout_rows(x, {0, 2}, 0.5, false).item(0), x.item(0));  // eval: listed rows kept as they are
  EXPECT_ERROR(dropout_rows(x, {0, 0}, 0.5, true), ShapeError, "listed twice");
  EXPECT_ERROR(dropout_rows(x, {3}, 0.5, true), ShapeError, "outside 0..2");
  EXPECT_ERROR(dropout_rows(x, {0}, 1.0, true), OptionError, "p must be in [0, 1)");
}

// ---------------------------------------------------------------------------------------------- shape + merges

TEST(Permute, ValuesAndErrors) {
  const Tensor x = f64({0, 1, 2, 3, 4, 5}, {1, 2, 3});
  EXPECT_EQ(transpose(x, 1, 2).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(transpose(x, 1, 2).to_double_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(permute(x, {2, 0, 1}).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(permute(x, {2, 0, 1}).to_double_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(transpose(transpose(x, 0, 2), 2, 0).to_double_vector(), x.to_double_vector());
  EXPECT_EQ(transpose(i64({1, 2, 3, 4}, {2, 2}), 0, 1).to_double_vector(), (std::vector<double>{1, 3, 2, 4}));  // any dtype
  EXPECT_ERROR(permute(x, {0, 1}), ShapeError, "2 dimensions given");
  EXPECT_ERROR(permute(x, {0, 1, 1}), ShapeError, "appears twice");
  EXPECT_ERROR(transpose(x, 0, 3), ShapeError, "dimension 3 is out of range for shape");
}

TEST(BidirectionalMerge, ModesOverTheTwoHalves) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});  // H = 2: forward half first
  EXPECT_EQ(merge_directions(x, BiMerge::concat).to_double_vector(), x.to_double_vector());
  EXPECT_EQ(merge_directions(x, BiMerge::sum).to_double_vector(), (std::vector<double>{4, 6, 12, 14}));
  EXPECT_EQ(merge_directions(x, BiMerge::mul).to_double_vector(), (std::vector<double>{3, 8, 35, 48}));
  EXPECT_EQ(merge_directions(x, BiMerge::ave).to_double_vector(), (std::vector<double>{2, 3, 6, 7}));
  EXPECT_EQ(merge_directions(x, BiMerge::ave).shape(), (Shape{2, 2}));
  for (const char* m : {"concat", "sum", "mul", "ave"}) EXPECT_STREQ(bi_merge_name(bi_merge_from_string(m)), m);
  EXPECT_ERROR(bi_merge_from_string("avg"), OptionError, "concat, sum, mul, ave; got \"avg\"");
  EXPECT_ERROR(merge_directions(Tensor::zeros({2, 5}), BiMerge::sum), ShapeError, "2 * hidden");
}

// The float32 and float64 paths of every op agree (the float64 ones are gradient-checked).
TEST(Layers, Float32AgreesWithFloat64) {
  manual_seed(12);
  const Tensor x64 = random_f64({3, 2, 6}), x32 = x64.to(DType::f32);
  const Tensor len = i64({2, 3}, {2});
  auto check = [&](const std::function<Tensor(const Tensor&)>& f, const char* what) {
    EXPECT_LT(max_abs_diff(f(x32), f(x64)), 1e-5) << what;
  };
  check([](const Tensor& t) { return transpose(t, 0, 2); }, "transpose");
  check([&](const Tensor& t) { return max_over_time(t, len); }, "max_over_time");
  check([&](const Tensor& t) { return mean_over_time(t, len); }, "mean_over_time");
  check([](const Tensor& t) { return adaptive_avg_pool1d(t, 4); }, "adaptive_avg_pool1d");
  check([](const Tensor& t) { return adaptive_max_pool1d(t, 4); }, "adaptive_max_pool1d");
  check([](const Tensor& t) { return layer_norm(t, Tensor(), Tensor()); }, "layer_norm");
  check([](const Tensor& t) { return gelu(t); }, "gelu");
  check([](const Tensor& t) { return gelu(t, "tanh"); }, "gelu tanh");
  check([](const Tensor& t) { return softmax(t, 1); }, "softmax");
  check([](const Tensor& t) { return log_softmax(t, 0); }, "log_softmax");
  check([](const Tensor& t) { return merge_directions(t, BiMerge::mul); }, "merge_directions");
  check([](const Tensor& t) { return embedding(Tensor::from_vector(std::vector<std::int64_t>{1, 0, 2}, {3}), reshape(t, {6, 6})); },
        "embedding");
}

}  // namespace
}  // namespace birnn::testing
