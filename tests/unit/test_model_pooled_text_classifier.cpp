// PooledTextClassifier: learns a token task, padding-invariance item by item, float64 gradient check of
// the whole model, save_model/load_model, options JSON and bad input.
#include <gtest/gtest.h>

#include <random>

#include "birnn/birnn.hpp"
#include "birnn/models/pooled_text_classifier.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;
using testing::rows;

// Sequences of filler tokens 4..V-1 with one to three markers (ids 1, 2, 3) at random places; the class
// is which marker comes first (0, 1, 2). Lengths vary in [4, T]; padding is id 0.
struct MarkerData {
  static constexpr std::int64_t V = 12, T = 10;
  Tensor ids, lengths, labels;
  MarkerData(std::int64_t n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    auto below = [&](std::int64_t k) { return static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(k)); };
    std::vector<std::int64_t> id(static_cast<std::size_t>(n * T), 0), len, lab;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t L = 4 + below(T - 3);
      std::int64_t* row = id.data() + i * T;
      for (std::int64_t t = 0; t < L; ++t) row[t] = 4 + below(V - 4);
      const std::int64_t markers = 1 + below(3);
      for (std::int64_t m = 0; m < markers; ++m) row[below(L)] = 1 + below(3);
      std::int64_t first = 0;
      while (row[first] > 3) ++first;
      len.push_back(L);
      lab.push_back(row[first] - 1);
    }
    ids = Tensor::from_vector(id, {n, T});
    lengths = Tensor::from_vector(len, {n});
    labels = Tensor::from_vector(lab, {n});
  }
};

// Rows [start, start + count) of a batch-first tensor.
PooledTextClassifierOptions tiny_options() {
  return PooledTextClassifierOptions(MarkerData::V, 3).embedding_dim(6).mlp_dim(5).hidden_size(4).num_layers(2).head_dim(5);
}

TEST(PooledTextClassifier, LearnsWhichMarkerComesFirst) {
  manual_seed(1);
  const MarkerData train(256, 7), test(200, 8);
  PooledTextClassifier model(PooledTextClassifierOptions(MarkerData::V, 3)
                                 .embedding_dim(16)
                                 .mlp_dim(16)
                                 .hidden_size(16)
                                 .num_layers(1)
                                 .head_dim(16)
                                 .dropout(0.0));
  const auto [initial, final_loss] = testing::train_token_classifier(model, train, /*epochs=*/6, /*batch=*/32, /*lr=*/0.01);
  model.eval();
  const double acc = model.accuracy(test.ids, test.lengths, test.labels);
  std::printf("  loss %.4f -> %.4f, held-out accuracy %.3f (chance ~0.33)\n", initial, final_loss, acc);
  EXPECT_LT(final_loss, 0.5 * initial);
  EXPECT_GT(acc, 0.8);
}

TEST(PooledTextClassifier, PaddedBatchEqualsEachItemAlone) {
  for (bool bi : {false, true}) {
    manual_seed(3);
    PooledTextClassifier model(tiny_options().bidirectional(bi));
    model.eval();
    MarkerData d(4, 11);
    // garbage (non-zero, in-range) ids after each length must not matter either
    for (std::int64_t b = 0; b < 4; ++b)
      for (std::int64_t t = d.lengths.data<std::int64_t>()[b]; t < MarkerData::T; ++t)
        d.ids.data<std::int64_t>()[b * MarkerData::T + t] = 1 + (b + t) % 11;
    const Tensor batch = model.forward(d.ids, d.lengths);
    for (std::int64_t b = 0; b < 4; ++b) {
      const std::int64_t L = d.lengths.data<std::int64_t>()[b];
      const Tensor alone = model.forward(narrow(rows(d.ids, b, 1), 1, 0, L).clone());
      for (std::int64_t c = 0; c < 3; ++c) EXPECT_NEAR(batch.item(b * 3 + c), alone.item(c), 1e-6) << "item " << b;
    }
  }
}

TEST(PooledTextClassifier, GradcheckFloat64) {
  for (bool bi : {false, true}) {
    manual_seed(5);
    // smaller than tiny_options: every parameter costs two forward passes
    PooledTextClassifier model(PooledTextClassifierOptions(MarkerData::V, 3)
                                   .embedding_dim(3)
                                   .mlp_dim(3)
                                   .hidden_size(3)
                                   .num_layers(bi ? 2 : 1)
                                   .bidirectional(bi)
                                   .head_dim(3)
                                   .dropout(0.0)
                                   .lstm_dropout(0.0));
    model.to(DType::f64);
    // real positions hold ids 1..V-1 (the padding row gets no gradient, as in torch), padding holds 0
    const Tensor ids = Tensor::from_vector(std::vector<std::int64_t>{1, 5, 7, 2, 11, 4, 3, 9, 0, 0, 0, 0, 6, 2, 8, 10, 0, 0}, {3, 6});
    const Tensor lengths = testing::lengths_of({6, 2, 4});
    EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return testing::weighted_sum(model.forward(ids, lengths)); },
                                 model.parameters()),
              "")
        << (bi ? "bidirectional" : "unidirectional");
  }
}

TEST(PooledTextClassifier, DropoutOnlyInTraining) {
  manual_seed(6);
  PooledTextClassifier model(tiny_options().dropout(0.5));
  const MarkerData d(4, 3);
  testing::expect_dropout_only_in_training(model, [&] { return model.forward(d.ids, d.lengths); });
}

TEST(PooledTextClassifier, Float32AndFloat64Agree) {
  manual_seed(8);
  PooledTextClassifier model(tiny_options());
  model.eval();
  const MarkerData d(4, 5);
  testing::expect_float64_matches_float32(model, [&](DType) { return model.forward(d.ids, d.lengths); }, 1e-5);
}

TEST(PooledTextClassifier, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(9);
  PooledTextClassifier model(tiny_options().bidirectional(false).num_layers(3));
  model.eval();
  const MarkerData d(5, 4);
  CheckpointInfo info;
  auto loaded = testing::save_and_reload(model, "ptc_roundtrip", {{"tokens", {"<pad>", "a"}}}, &info);
  loaded->eval();
  EXPECT_EQ(info.model_type, "pooled_text_classifier");
  EXPECT_EQ(loaded->options().num_layers(), 3);
  EXPECT_FALSE(loaded->options().bidirectional());
  testing::expect_bit_identical(model.forward(d.ids, d.lengths), loaded->forward(d.ids, d.lengths));
}

TEST(PooledTextClassifier, RefusesCheckpointOfAnotherModel) {
  testing::expect_refuses_other_model<PooledTextClassifier>();
}

TEST(PooledTextClassifier, OptionsJson) {
  const auto o = tiny_options().bidirectional(false).lstm_dropout(0.25).dropout(0.1);
  const auto back = testing::json_round_trip(o);
  EXPECT_EQ(back.num_layers(), 2);
  EXPECT_EQ(back.lstm_dropout(), 0.25);
  EXPECT_FALSE(back.bidirectional());
  const auto defaults = PooledTextClassifierOptions::from_json(R"({"vocab_size": 10, "num_classes": 2})");
  EXPECT_EQ(defaults.num_layers(), 3);
  EXPECT_EQ(defaults.lstm_dropout(), 0.5);
  EXPECT_THROW(PooledTextClassifierOptions::from_json("{not json"), OptionError);
  EXPECT_THROW(PooledTextClassifierOptions::from_json("[1, 2]"), OptionError);
  EXPECT_TRUE(contains(error_of([] { PooledTextClassifierOptions::from_json(R"({"num_classes": 2})"); }), "vocab_size"));
  EXPECT_TRUE(contains(error_of([] { PooledTextClassifierOptions::from_json(R"({"vocab_size": 9, "num_classes": 2, "hidden_size": "x"})"); }),
                       "hidden_size"));
  EXPECT_TRUE(contains(error_of([] { PooledTextClassifierOptions::from_json(R"({"vocab_size": 9, "num_classes": 2, "hiden_size": 4})"); }),
                       "hiden_size"));
  EXPECT_TRUE(contains(error_of([] { PooledTextClassifierOptions::from_json(R"({"vocab_size": 9, "num_classes": 2, "num_layers": 0})"); }),
                       "num_layers must be >= 1, got 0"));
}

TEST(PooledTextClassifier, BadOptions) {
  auto msg = [](const PooledTextClassifierOptions& o) { return error_of([&] { PooledTextClassifier m(o); }); };
  EXPECT_TRUE(contains(msg(tiny_options().vocab_size(1)), "vocab_size must be >= 2, got 1"));
  EXPECT_TRUE(contains(msg(tiny_options().hidden_size(0)), "hidden_size must be >= 1, got 0"));
  EXPECT_TRUE(contains(msg(tiny_options().lstm_dropout(1.0)), "lstm_dropout must be in [0, 1)"));
  EXPECT_TRUE(contains(msg(tiny_options().dropout(-0.1)), "dropout must be in [0, 1)"));
  EXPECT_TRUE(contains(msg(tiny_options().num_classes(1)), "num_classes must be >= 2, got 1"));
  EXPECT_THROW(PooledTextClassifier(tiny_options().mlp_dim(0)), OptionError);
}

TEST(PooledTextClassifier, BadInput) {
  manual_seed(2);
  PooledTextClassifier model(tiny_options());
  const MarkerData d(2, 1);
  auto msg = [&](const Tensor& ids, const Tensor& len) { return error_of([&] { model.forward(ids, len); }); };
  EXPECT_TRUE(contains(msg(reshape(d.ids, {-1}), Tensor()), "ids must be (B, T)"));
  EXPECT_TRUE(contains(msg(Tensor::zeros({2, 3}), Tensor()), "ids"));  // float ids
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({3})), "lengths must be (2)"));
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({3, 0})), "lengths[1] = 0 is outside 1..10"));
  EXPECT_TRUE(contains(msg(d.ids, testing::lengths_of({11, 3})), "lengths[0] = 11 is outside 1..10"));
  Tensor bad = d.ids.clone();
  bad.data<std::int64_t>()[3] = MarkerData::V;
  EXPECT_THROW(model.forward(bad, d.lengths), ShapeError);
  EXPECT_TRUE(contains(msg(bad, d.lengths), std::to_string(MarkerData::V))) << msg(bad, d.lengths);
  const std::string lab = error_of([&] { model.loss(d.ids, d.lengths, testing::lengths_of({0, 3})); });
  EXPECT_TRUE(contains(lab, "labels[1] = 3 is outside 0..2")) << lab;
  EXPECT_THROW(model.loss(d.ids, d.lengths, testing::lengths_of({0})), ShapeError);
}

}  // namespace
}  // namespace birnn
