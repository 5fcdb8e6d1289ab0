// CNNLSTMBiGRUClassifier: learns a token task, padding-invariance item by item (the conv and the pooling
// must not see padding as data), float64 gradient check of the whole model, save_model/load_model,
// options JSON and bad input.
#include <gtest/gtest.h>

#include <random>

#include "birnn/birnn.hpp"
#include "birnn/models/cnn_lstm_bigru_classifier.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;
using testing::rows;

// Random tokens 1..V-1 except 5; class 1 sequences get token 5 at one to two random places. Lengths vary
// in [3, T]; padding is id 0.
struct TokenData {
  static constexpr std::int64_t V = 12, T = 12;
  Tensor ids, lengths, labels;
  TokenData(std::int64_t n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    auto below = [&](std::int64_t k) { return static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(k)); };
    std::vector<std::int64_t> id(static_cast<std::size_t>(n * T), 0), len, lab;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t L = 3 + below(T - 2), y = below(2);
      std::int64_t* row = id.data() + i * T;
      for (std::int64_t t = 0; t < L; ++t) {
        row[t] = 1 + below(V - 2);
        if (row[t] >= 5) ++row[t];  // skip 5
      }
      if (y == 1)
        for (std::int64_t m = 0, k = 1 + below(2); m < k; ++m) row[below(L)] = 5;
      len.push_back(L);
      lab.push_back(y);
    }
    ids = Tensor::from_vector(id, {n, T});
    lengths = Tensor::from_vector(len, {n});
    labels = Tensor::from_vector(lab, {n});
  }
};

CNNLSTMBiGRUClassifierOptions tiny_options() {
  return CNNLSTMBiGRUClassifierOptions(TokenData::V, 2).embedding_dim(4).filters(5).kernel_size(3).pool_size(2).lstm_hidden(4).gru_hidden(3);
}

TEST(CNNLSTMBiGRUClassifier, LearnsWhetherToken5Occurs) {
  manual_seed(1);
  const TokenData train(256, 7), test(200, 8);
  CNNLSTMBiGRUClassifier model(CNNLSTMBiGRUClassifierOptions(TokenData::V, 2)
                                   .embedding_dim(12)
                                   .filters(16)
                                   .kernel_size(3)
                                   .lstm_hidden(12)
                                   .gru_hidden(12)
                                   .dropout(0.0));
  const auto [initial, final_loss] = testing::train_token_classifier(model, train, /*epochs=*/6, /*batch=*/32, /*lr=*/0.01);
  model.eval();
  const double acc = model.accuracy(test.ids, test.lengths, test.labels);
  std::printf("  loss %.4f -> %.4f, held-out accuracy %.3f (chance ~0.5)\n", initial, final_loss, acc);
  EXPECT_LT(final_loss, 0.5 * initial);
  EXPECT_GT(acc, 0.85);
}

TEST(CNNLSTMBiGRUClassifier, PaddedBatchEqualsEachItemAlone) {
  // every graph-changing option: kernel 1/3/5, pool 1/2/3, max/mean
  struct Case { std::int64_t k, p; const char* pooling; };
  for (const Case c : {Case{3, 2, "max"}, Case{5, 3, "mean"}, Case{1, 1, "max"}, Case{3, 3, "max"}}) {
    manual_seed(3);
    CNNLSTMBiGRUClassifier model(tiny_options().kernel_size(c.k).pool_size(c.p).pooling(c.pooling));
    model.eval();
    TokenData d(5, 11);
    d.lengths.data<std::int64_t>()[4] = 1;  // a one-token text still keeps one pooled step
    // garbage (non-zero, in-range) ids after each length must not leak into the conv
    for (std::int64_t b = 0; b < 5; ++b)
      for (std::int64_t t = d.lengths.data<std::int64_t>()[b]; t < TokenData::T; ++t)
        d.ids.data<std::int64_t>()[b * TokenData::T + t] = 1 + (b + t) % 11;
    const Tensor batch = model.forward(d.ids, d.lengths);
    for (std::int64_t b = 0; b < 5; ++b) {
      const std::int64_t L = d.lengths.data<std::int64_t>()[b];
      const Tensor alone = model.forward(narrow(rows(d.ids, b, 1), 1, 0, L).clone());
      for (std::int64_t k = 0; k < 2; ++k)
        EXPECT_NEAR(batch.item(b * 2 + k), alone.item(k), 1e-6) << "item " << b << " kernel " << c.k << " pool " << c.p;
    }
  }
}

TEST(CNNLSTMBiGRUClassifier, PooledLengthsAreCeil) {
  CNNLSTMBiGRUClassifier model(tiny_options().pool_size(3));
  const Tensor l = model.pooled_lengths(testing::lengths_of({1, 3, 4, 7}), 4, 7);
  EXPECT_EQ(l.to_double_vector(), (std::vector<double>{1, 1, 2, 3}));
  EXPECT_EQ(model.pooled_lengths(Tensor(), 2, 7).to_double_vector(), (std::vector<double>{3, 3}));
}

TEST(CNNLSTMBiGRUClassifier, GradcheckFloat64) {
  for (const char* pooling : {"max", "mean"}) {
    manual_seed(5);
    CNNLSTMBiGRUClassifier model(tiny_options().embedding_dim(3).filters(3).lstm_hidden(3).gru_hidden(2).pooling(pooling).dropout(0.0));
    model.to(DType::f64);
    const Tensor ids = Tensor::from_vector(std::vector<std::int64_t>{1, 5, 7, 2, 11, 4, 3, 9, 10, 0, 0, 0, 6, 2, 8, 10, 5, 0}, {3, 6});
    const Tensor lengths = testing::lengths_of({6, 3, 5});
    EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return testing::weighted_sum(model.forward(ids, lengths)); },
                                 model.parameters()),
              "")
        << pooling;
  }
}

TEST(CNNLSTMBiGRUClassifier, DropoutOnlyInTraining) {
  manual_seed(6);
  CNNLSTMBiGRUClassifier model(tiny_options().dropout(0.5));
  const TokenData d(4, 3);
  testing::expect_dropout_only_in_training(model, [&] { return model.forward(d.ids, d.lengths); });
}

TEST(CNNLSTMBiGRUClassifier, Float32AndFloat64Agree) {
  manual_seed(8);
  CNNLSTMBiGRUClassifier model(tiny_options());
  model.eval();
  const TokenData d(4, 5);
  testing::expect_float64_matches_float32(model, [&](DType) { return model.forward(d.ids, d.lengths); }, 1e-5);
}

TEST(CNNLSTMBiGRUClassifier, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(9);
  CNNLSTMBiGRUClassifier model(tiny_options().kernel_size(5).pool_size(3).pooling("mean"));
  model.eval();
  const TokenData d(5, 4);
  auto loaded = testing::save_and_reload(model, "clbg_roundtrip");
  loaded->eval();
  EXPECT_EQ(loaded->options().pooling(), "mean");
  EXPECT_EQ(loaded->options().pool_size(), 3);
  testing::expect_bit_identical(model.forward(d.ids, d.lengths), loaded->forward(d.ids, d.lengths));
}

TEST(CNNLSTMBiGRUClassifier, RefusesCheckpointOfAnotherModel) {
  testing::expect_refuses_other_model<CNNLSTMBiGRUClassifier>();
}

TEST(CNNLSTMBiGRUClassifier, OptionsJson) {
  const auto o = tiny_options().kernel_size(5).pool_size(3).pooling("mean").dropout(0.1);
  const auto back = testing::json_round_trip(o);
  EXPECT_EQ(back.kernel_size(), 5);
  EXPECT_EQ(back.pooling(), "mean");
  const auto defaults = CNNLSTMBiGRUClassifierOptions::from_json(R"({"vocab_size": 10, "num_classes": 2})");
  EXPECT_EQ(defaults.pool_size(), 2);
  EXPECT_EQ(defaults.pooling(), "max");
  EXPECT_THROW(CNNLSTMBiGRUClassifierOptions::from_json("{\"vocab_size\": 3,"), OptionError);
  EXPECT_TRUE(contains(error_of([] { CNNLSTMBiGRUClassifierOptions::from_json(R"({"vocab_size": 10})"); }), "num_classes"));
  EXPECT_TRUE(contains(error_of([] { CNNLSTMBiGRUClassifierOptions::from_json(R"({"vocab_size": 9, "num_classes": 2, "pooling": 3})"); }),
                       "pooling"));
  EXPECT_TRUE(contains(error_of([] { CNNLSTMBiGRUClassifierOptions::from_json(R"({"vocab_size": 9, "num_classes": 2, "filter": 4})"); }),
                       "unknown field 'filter'"));
}

TEST(CNNLSTMBiGRUClassifier, BadOptions) {
  auto msg = [](const CNNLSTMBiGRUClassifierOptions& o) { return error_of([&] { CNNLSTMBiGRUClassifier m(o); }); };
  EXPECT_TRUE(contains(msg(tiny_options().kernel_size(4)), "kernel_size must be odd"));
  EXPECT_TRUE(contains(msg(tiny_options().pool_size(0)), "pool_size must be >= 1, got 0"));
  EXPECT_TRUE(contains(msg(tiny_options().pooling("sum")), "pooling must be \"max\" or \"mean\", got \"sum\""));
  EXPECT_TRUE(contains(msg(tiny_options().filters(0)), "filters must be >= 1, got 0"));
  EXPECT_TRUE(contains(msg(tiny_options().dropout(1.0)), "dropout must be in [0, 1)"));
  EXPECT_TRUE(contains(msg(tiny_options().num_classes(1)), "num_classes must be >= 2, got 1"));
  EXPECT_THROW(CNNLSTMBiGRUClassifier(tiny_options().gru_hidden(0)), OptionError);
}

TEST(CNNLSTMBiGRUClassifier, BadInput) {
  manual_seed(2);
  CNNLSTMBiGRUClassifier model(tiny_options());
  const TokenData d(2, 1);
  auto msg = [&](const Tensor& ids, const Tensor& len) { return error_of([&] { model.forward(ids, len); }); };
  EXPECT_TRUE(contains(msg(reshape(d.ids, {1, 2, -1}), Tensor()), "ids must be (B, T)"));
  EXPECT_TRUE(contains(msg(Tensor::zeros({2, 3}), Tensor()), "ids"));
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({3, 4, 5})), "lengths must be (2)"));
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({0, 3})), "lengths[0] = 0 is outside 1..12"));
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({3, 13})), "lengths[1] = 13 is outside 1..12"));
  Tensor bad = d.ids.clone();
  bad.data<std::int64_t>()[1] = -1;
  EXPECT_THROW(model.forward(bad, d.lengths), ShapeError);
  const std::string lab = error_of([&] { model.loss(d.ids, d.lengths, testing::lengths_of({2, 0})); });
  EXPECT_TRUE(contains(lab, "labels[0] = 2 is outside 0..1")) << lab;
}

}  // namespace
}  // namespace birnn
