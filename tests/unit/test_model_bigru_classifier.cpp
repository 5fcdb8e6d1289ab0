// BiGRUClassifier: learning (per-step and pooled tasks), padding invariance, masked loss, float64 gradient
// check, JSON options, save/load round trip and bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "birnn/models/bigru_classifier.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;
using Opts = BiGRUClassifierOptions;
using Head = Opts::Head;
using Pooling = Opts::Pooling;

Tensor rand_x(const Shape& s, DType dt = DType::f32) {
  Tensor x = Tensor::empty(s, DType::f64);
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = uniform(-1, 1);
  return x.to(dt);
}

Tensor lens(const std::vector<std::int64_t>& v) { return testing::lengths_of(v); }

std::int64_t random_length(std::int64_t lo, std::int64_t T) {
  return std::min(T, lo + static_cast<std::int64_t>(uniform(0, static_cast<double>(T - lo + 1))));
}

// Per step: y[t] = x[t-1] + x[t+1] > 0 (missing neighbours count 0): needs both directions.
struct NeighbourData {
  Tensor x, lengths, y;
  NeighbourData(std::int64_t N, std::int64_t T) {
    x = Tensor::zeros({N, T, 1});
    Tensor yy = Tensor::zeros({N, T});
    std::vector<std::int64_t> len;
    for (std::int64_t n = 0; n < N; ++n) {
      len.push_back(random_length(3, T));
      float* xs = x.data<float>() + n * T;
      for (std::int64_t t = 0; t < len.back(); ++t) xs[t] = static_cast<float>(uniform(-1, 1));
      for (std::int64_t t = 0; t < len.back(); ++t)
        yy.data<float>()[n * T + t] = ((t > 0 ? xs[t - 1] : 0.f) + (t + 1 < len.back() ? xs[t + 1] : 0.f)) > 0 ? 1.f : 0.f;
    }
    lengths = lens(len);
    y = yy;
  }
};

// Pooled, token ids 1..5 (0 = padding): y = 1 if token 3 occurs in the sequence.
struct ContainsData {
  Tensor ids, lengths, y;
  ContainsData(std::int64_t N, std::int64_t T) {
    ids = Tensor::zeros({N, T}, DType::i64);
    std::vector<float> yy;
    std::vector<std::int64_t> len;
    for (std::int64_t n = 0; n < N; ++n) {
      len.push_back(random_length(2, T));
      const bool put = uniform(0, 1) < 0.5;
      for (std::int64_t t = 0; t < len.back(); ++t) {
        std::int64_t id = 1 + static_cast<std::int64_t>(uniform(0, 4));  // 1, 2, 4, 5
        ids.data<std::int64_t>()[n * T + t] = id >= 3 ? id + 1 : id;
      }
      if (put) ids.data<std::int64_t>()[n * T + static_cast<std::int64_t>(uniform(0, static_cast<double>(len.back())))] = 3;
      yy.push_back(put ? 1.f : 0.f);
    }
    lengths = lens(len);
    y = Tensor::from_vector(yy, {N});
  }
};

template <class Data>
void train_and_check(BiGRUClassifier& model, const Data& train, const Data& test, const Tensor& train_x, const Tensor& test_x,
                     int steps, double lr, double min_acc) {
  const auto [first, last] = testing::train_steps(model, steps, lr, [&] { return model.loss(train_x, train.y, train.lengths); });
  model.eval();
  const double acc = model.accuracy(test_x, test.y, test.lengths);
  std::printf("[ learning ] %s: loss %.4f -> %.4f, held-out accuracy %.3f\n", model.options().to_json().c_str(), first, last, acc);
  EXPECT_LT(last, 0.5 * first);
  EXPECT_GT(acc, min_acc);
}

TEST(BiGRUClassifier, LearnsPerStepNeighbourTask) {
  manual_seed(21);
  NeighbourData train(64, 8), test(100, 8);
  BiGRUClassifier model(Opts().input_size(1).hidden_size(8).head(Head::per_step));
  train_and_check(model, train, test, train.x, test.x, 100, 0.03, 0.85);  // chance ~0.5
}

TEST(BiGRUClassifier, LearnsPooledContainsTaskFromTokenIds) {
  manual_seed(22);
  ContainsData train(64, 8), test(200, 8);
  BiGRUClassifier model(Opts().vocab_size(6).embedding_dim(4).hidden_size(8).head(Head::pooled).pooling(Pooling::max).dropout(0.1));
  train_and_check(model, train, test, train.ids, test.ids, 60, 0.03, 0.9);  // chance ~0.5
}

TEST(BiGRUClassifier, LearnsPooledLastWithOriginalGruAndSumMerge) {
  manual_seed(23);
  ContainsData train(64, 8), test(200, 8);
  BiGRUClassifier model(Opts().vocab_size(6).embedding_dim(4).hidden_size(8).reset_after(false).merge_mode(BiMerge::sum)
                            .pooling(Pooling::last));
  train_and_check(model, train, test, train.ids, test.ids, 60, 0.03, 0.85);
}

// Padding never changes a real item's output: each item alone gives the same logits.
TEST(BiGRUClassifier, PaddedBatchEqualsItemsAlone) {
  struct Case { Head head; Pooling pool; BiMerge merge; bool reset_after; };
  for (const Case& c : {Case{Head::per_step, Pooling::max, BiMerge::concat, true}, Case{Head::pooled, Pooling::max, BiMerge::mul, true},
                        Case{Head::pooled, Pooling::mean, BiMerge::ave, false}, Case{Head::pooled, Pooling::last, BiMerge::sum, true}}) {
    manual_seed(5);
    BiGRUClassifier model(Opts().input_size(2).hidden_size(4).head(c.head).pooling(c.pool).merge_mode(c.merge).reset_after(c.reset_after).num_layers(2));
    model.eval();
    const std::int64_t B = 3, T = 5;
    const Tensor x = rand_x({B, T, 2});  // padding holds random values
    const std::vector<std::int64_t> len{5, 3, 1};
    NoGradGuard ng;
    const Tensor batch = model.forward(x, lens(len));
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t L = len[static_cast<std::size_t>(b)];
      Tensor xb = Tensor::empty({1, L, 2});
      for (std::int64_t i = 0; i < L * 2; ++i) xb.data<float>()[i] = x.data<float>()[b * T * 2 + i];
      const Tensor alone = model.forward(xb);
      if (c.head == Head::per_step) {
        for (std::int64_t t = 0; t < L; ++t) EXPECT_NEAR(batch.item(b * T + t), alone.item(t), 1e-6);
      } else {
        EXPECT_NEAR(batch.item(b), alone.item(0), 1e-6) << Opts::pooling_name(c.pool);
      }
    }
  }
}

TEST(BiGRUClassifier, PerStepLossIgnoresPaddedTargets) {
  manual_seed(6);
  BiGRUClassifier model(Opts().input_size(2).hidden_size(3).head(Head::per_step));
  model.eval();
  const Tensor x = rand_x({2, 4, 2});
  Tensor y = Tensor::from_vector(std::vector<float>{1, 0, 1, 1, 0, 1, 0, 0}, {2, 4});
  const Tensor l = lens({4, 2});
  const double a = model.loss(x, y, l).item();
  y.data<float>()[6] = 1;  // padded steps of item 1
  y.data<float>()[7] = -3;  // even out of range: padding is not checked
  EXPECT_EQ(model.loss(x, y, l).item(), a);
  EXPECT_NE(model.loss(x, y.to(DType::f32), lens({4, 3})).item(), a);
  // The loss equals the mean over the 6 real steps of the elementwise BCE.
  const Tensor logits = model.forward(x, l);
  double sum = 0;
  for (std::int64_t i : {0, 1, 2, 3, 4, 5}) {
    const double z = logits.item(i), t = y.item(i);
    sum += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
  }
  EXPECT_NEAR(a, sum / 6, 1e-6);
  // accuracy counts real steps only.
  const Tensor p = model.predict(x, l);
  double right = 0;
  for (std::int64_t i : {0, 1, 2, 3, 4, 5}) right += p.item(i) == y.item(i);
  EXPECT_DOUBLE_EQ(model.accuracy(x, y, l), right / 6);
}

TEST(BiGRUClassifier, GradcheckFloat64) {
  struct Case { Head head; Pooling pool; BiMerge merge; bool reset_after; bool ids; };
  for (const Case& c : {Case{Head::per_step, Pooling::max, BiMerge::ave, true, false}, Case{Head::pooled, Pooling::last, BiMerge::mul, true, true},
                        Case{Head::pooled, Pooling::mean, BiMerge::sum, false, false}, Case{Head::pooled, Pooling::max, BiMerge::concat, false, true}}) {
    manual_seed(12);
    // Small sizes keep this well under a minute with sanitizers; one case stacks two layers.
    Opts o = Opts().hidden_size(2).head(c.head).pooling(c.pool).merge_mode(c.merge).reset_after(c.reset_after)
                 .num_layers(c.pool == Pooling::last ? 2 : 1);
    if (c.ids) o.vocab_size(5).embedding_dim(2); else o.input_size(2);
    BiGRUClassifier model(o);
    model.to(DType::f64);
    model.eval();
    Tensor x = c.ids ? Tensor::from_vector(std::vector<std::int64_t>{1, 4, 2, 3, 2, 1, 0, 0}, {2, 4}) : testing::random_f64({2, 4, 2});
    std::vector<Tensor> inputs = model.parameters();
    if (!c.ids) inputs.push_back(x.set_requires_grad(true));
    const Tensor l = lens({4, 2});
    const Tensor y = c.head == Head::per_step ? Tensor::from_vector(std::vector<double>{1, 0, 0.3, 1, 0, 1, 0, 0}, {2, 4})
                                              : Tensor::from_vector(std::vector<double>{1, 0.2}, {2});
    EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return model.loss(x, y, l); }, inputs), "")
        << o.to_json();
  }
}

TEST(BiGRUClassifier, ShapesNamesAndDtypes) {
  manual_seed(1);
  BiGRUClassifier ids_model(Opts().vocab_size(7).embedding_dim(3).hidden_size(4).head(Head::per_step).merge_mode(BiMerge::sum));
  const auto sd = ids_model.state_dict();
  for (const char* k : {"embedding.weight", "gru.weight_ih_l0", "gru.weight_hh_l0_reverse", "gru.bias_hh_l0", "fc.weight", "fc.bias"})
    EXPECT_TRUE(sd.count(k)) << k;
  EXPECT_EQ(sd.at("fc.weight").shape(), (Shape{1, 4}));  // sum merge: hidden_size features
  for (std::int64_t k = 0; k < 3; ++k) EXPECT_EQ(sd.at("embedding.weight").item(k), 0.0);  // padding row 0
  const Tensor ids = Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3, 6, 5, 0}, {2, 3});
  EXPECT_EQ(ids_model.forward(ids, lens({3, 2})).shape(), (Shape{2, 3}));
  const Tensor p = ids_model.predict_proba(ids, lens({3, 2}));
  for (std::int64_t i = 0; i < p.numel(); ++i) EXPECT_TRUE(p.item(i) > 0 && p.item(i) < 1);
  EXPECT_EQ(ids_model.predict(ids).dtype(), DType::i64);

  BiGRUClassifier f_model(Opts().input_size(2).hidden_size(4));
  EXPECT_EQ(f_model.state_dict().count("embedding.weight"), 0u);
  EXPECT_EQ(f_model.state_dict().at("fc.weight").shape(), (Shape{1, 8}));  // concat
  const Tensor x = rand_x({3, 4, 2});
  const Tensor y32 = f_model.forward(x);
  EXPECT_EQ(y32.shape(), (Shape{3}));
  f_model.to(DType::f64);
  const Tensor y64 = f_model.forward(x.to(DType::f64));
  EXPECT_EQ(y64.dtype(), DType::f64);
  for (std::int64_t i = 0; i < 3; ++i) EXPECT_NEAR(y32.item(i), y64.item(i), 1e-5);
  EXPECT_GT(f_model.loss(x.to(DType::f64), Tensor::from_vector(std::vector<std::int64_t>{1, 0, 1}, {3})).item(), 0.0);  // int64 targets
}

TEST(BiGRUClassifier, DropoutOnlyInTraining) {
  manual_seed(4);
  BiGRUClassifier model(Opts().input_size(2).hidden_size(8).dropout(0.5).head(Head::per_step));
  const Tensor x = rand_x({3, 4, 2});
  testing::expect_dropout_only_in_training(model, [&] { return model.forward(x); });
}

TEST(BiGRUClassifier, OptionsJsonRoundTrip) {
  const Opts o = Opts().vocab_size(100).embedding_dim(8).hidden_size(5).num_layers(2).reset_after(false).merge_mode(BiMerge::ave)
                     .head(Head::per_step).pooling(Pooling::mean).dropout(0.2);
  const Opts back = testing::json_round_trip(o);
  EXPECT_EQ(back.merge_mode(), BiMerge::ave);
  EXPECT_EQ(back.head(), Head::per_step);
  EXPECT_EQ(back.pooling(), Pooling::mean);
  EXPECT_FALSE(back.reset_after());
  EXPECT_TRUE(contains(o.to_json(), "\"merge_mode\":\"ave\""));
  const Opts d = Opts::from_json(R"({"input_size":3,"hidden_size":64})");
  EXPECT_EQ(d.head(), Head::pooled);
  EXPECT_EQ(d.pooling(), Pooling::max);
  EXPECT_EQ(d.merge_mode(), BiMerge::concat);
  EXPECT_TRUE(d.reset_after());
  EXPECT_EQ(Opts().hidden_size(), 64);
}

TEST(BiGRUClassifier, BadJsonAndOptions) {
  EXPECT_TRUE(contains(error_of([] { Opts::from_json("{"); }), "not valid JSON"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":3})"); }), "'hidden_size'"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"hidden_size":3})"); }), "'input_size'"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":3,"hidden_size":2,"head":"both"})"); }), "\"both\""));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":3,"hidden_size":2,"pooling":"min"})"); }), "\"min\""));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":3,"hidden_size":2,"merge_mode":"max"})"); }), "merge_mode"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":3,"hidden_size":2,"reset_after":"yes"})"); }), "'reset_after' has the wrong type"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m{Opts()}; }), "input_size must be >= 1"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m(Opts().vocab_size(10)); }), "embedding_dim must be >= 1"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m(Opts().vocab_size(10).embedding_dim(2).input_size(3)); }), "input_size must be 0"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m(Opts().input_size(2).hidden_size(0)); }), "hidden_size must be >= 1, got 0"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m(Opts().input_size(2).num_layers(0)); }), "num_layers"));
  EXPECT_TRUE(contains(error_of([] { BiGRUClassifier m(Opts().input_size(2).dropout(-0.1)); }), "dropout"));
}

TEST(BiGRUClassifier, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(9);
  BiGRUClassifier model(Opts().vocab_size(9).embedding_dim(3).hidden_size(4).head(Head::per_step).merge_mode(BiMerge::mul).num_layers(2));
  model.eval();
  const Tensor ids = Tensor::from_vector(std::vector<std::int64_t>{1, 2, 8, 4, 5, 0}, {2, 3});
  auto loaded = testing::save_and_reload(model, "bigru");
  loaded->eval();
  EXPECT_EQ(loaded->options().to_json(), model.options().to_json());
  testing::expect_bit_identical(model.forward(ids, lens({3, 2})), loaded->forward(ids, lens({3, 2})));

  testing::expect_refuses_other_model<BiGRUClassifier>("last_step_classifier");
}

TEST(BiGRUClassifier, BadInput) {
  manual_seed(1);
  BiGRUClassifier fm(Opts().input_size(3).hidden_size(4));
  BiGRUClassifier im(Opts().vocab_size(5).embedding_dim(2).hidden_size(4).head(Head::per_step));
  const Tensor x = rand_x({2, 4, 3});
  const Tensor ids = Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3, 4, 4, 3, 0, 0}, {2, 4});
  EXPECT_TRUE(contains(error_of([&] { fm.forward(rand_x({2, 4})); }), "must be float (B, T, 3), got float32 (2, 4)"))
      << error_of([&] { fm.forward(rand_x({2, 4})); });
  EXPECT_TRUE(contains(error_of([&] { fm.forward(ids); }), "must be float"));
  EXPECT_TRUE(contains(error_of([&] { fm.forward(rand_x({2, 4, 5})); }), "5 features per step, input_size is 3"));
  EXPECT_TRUE(contains(error_of([&] { im.forward(x); }), "token ids int64 (B, T)"));
  EXPECT_THROW(im.forward(Tensor::from_vector(std::vector<std::int64_t>{1, 5}, {1, 2})), ShapeError);  // id 5 >= vocab 5
  EXPECT_THROW(im.forward(Tensor::from_vector(std::vector<std::int64_t>{1, -1}, {1, 2})), ShapeError);
  EXPECT_TRUE(contains(error_of([&] { fm.forward(x, lens({0, 4})); }), "lengths[0] = 0"));
  EXPECT_TRUE(contains(error_of([&] { im.forward(ids, lens({4, 5})); }), "lengths[1] = 5"));
  EXPECT_TRUE(contains(error_of([&] { im.loss(ids, Tensor::zeros({2, 4}), lens({4, 9})); }), "lengths[1] = 9"));
  EXPECT_TRUE(contains(error_of([&] { fm.loss(x, Tensor::zeros({2, 4})); }), "targets y (B)"));
  EXPECT_TRUE(contains(error_of([&] { im.loss(ids, Tensor::zeros({2})); }), "targets y (B, T)"));
  EXPECT_TRUE(contains(error_of([&] { fm.loss(x, Tensor::from_vector(std::vector<float>{0, 2}, {2})); }), "y[1] = 2"));
  EXPECT_TRUE(contains(error_of([&] { im.accuracy(ids, Tensor::from_vector(std::vector<float>{0, 1, 1, 0, 1, -1, 0, 0}, {2, 4}), lens({4, 2})); }),
                       "y[1, 1] = -1"));
  EXPECT_THROW(fm.loss(x, Tensor()), ShapeError);
}

}  // namespace
}  // namespace birnn
