// PooledTextClassifier: learns a token task, padding-invariance item by item, float64 gradient check of
// the whole model, save_model/load_model, options JSON and bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <unistd.h>

#include "birnn/birnn.hpp"
#include "birnn/models/pooled_text_classifier.hpp"
#include "unit/gradcheck.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;

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
Tensor rows(const Tensor& t, std::int64_t start, std::int64_t count) { return narrow(t, 0, start, count).clone(); }

PooledTextClassifierOptions tiny_options() {
  return PooledTextClassifierOptions(MarkerData::V, 3).embedding_dim(6).mlp_dim(5).hidden_size(4).num_layers(2).head_dim(5);
}

std::string temp_stem(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("birnn_ptc_" + std::to_string(::getpid()) + "_" + name)).string();
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
  Adam opt(model.parameters(), 0.01);
  const std::int64_t B = 32;
  auto epoch_loss = [&] {
    NoGradGuard ng;
    model.eval();
    const double l = model.loss(train.ids, train.lengths, train.labels).item();
    model.train();
    return l;
  };
  const double initial = epoch_loss();
  for (int epoch = 0; epoch < 6; ++epoch)
    for (std::int64_t s = 0; s < 256; s += B) {
      Tensor loss = model.loss(rows(train.ids, s, B), rows(train.lengths, s, B), rows(train.labels, s, B));
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  const double final_loss = epoch_loss();
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
    const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{6, 2, 4}, {3});
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
  model.eval();
  const auto a = model.forward(d.ids, d.lengths).to_double_vector();
  EXPECT_EQ(a, model.forward(d.ids, d.lengths).to_double_vector());
  model.train();
  EXPECT_NE(a, model.forward(d.ids, d.lengths).to_double_vector());
}

TEST(PooledTextClassifier, Float32AndFloat64Agree) {
  manual_seed(8);
  PooledTextClassifier model(tiny_options());
  model.eval();
  const MarkerData d(4, 5);
  const Tensor y32 = model.forward(d.ids, d.lengths);
  model.to(DType::f64);
  const Tensor y64 = model.forward(d.ids, d.lengths);
  ASSERT_EQ(y64.dtype(), DType::f64);
  for (std::int64_t i = 0; i < y32.numel(); ++i) EXPECT_NEAR(y32.item(i), y64.item(i), 1e-5);
}

TEST(PooledTextClassifier, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(9);
  PooledTextClassifier model(tiny_options().bidirectional(false).num_layers(3));
  model.eval();
  const MarkerData d(5, 4);
  const std::string stem = temp_stem("roundtrip");
  save_model(stem, model, {{"tokens", {"<pad>", "a"}}});
  CheckpointInfo info;
  auto loaded = load_model<PooledTextClassifier>(stem, &info);
  loaded->eval();
  EXPECT_EQ(info.model_type, "pooled_text_classifier");
  EXPECT_EQ(loaded->options().num_layers(), 3);
  EXPECT_FALSE(loaded->options().bidirectional());
  EXPECT_EQ(model.forward(d.ids, d.lengths).to_double_vector(), loaded->forward(d.ids, d.lengths).to_double_vector());
  for (const char* ext : {".safetensors", ".json"}) std::filesystem::remove(stem + ext);
}

// Another model type, to check that load_model refuses it.
struct OtherModel : Model {
  OtherModel() { register_parameter("w", Tensor::zeros({2})); }
  std::string model_type() const override { return "other_model"; }
  std::string config_json() const override { return "{}"; }
};

TEST(PooledTextClassifier, RefusesCheckpointOfAnotherModel) {
  const std::string stem = temp_stem("other");
  save_model(stem, OtherModel());
  const std::string msg = error_of([&] { load_model<PooledTextClassifier>(stem); });
  EXPECT_TRUE(contains(msg, "'other_model'") && contains(msg, "'pooled_text_classifier'")) << msg;
  EXPECT_THROW(load_model<PooledTextClassifier>(stem), StateDictError);
  for (const char* ext : {".safetensors", ".json"}) std::filesystem::remove(stem + ext);
}

TEST(PooledTextClassifier, OptionsJson) {
  const auto o = tiny_options().bidirectional(false).lstm_dropout(0.25).dropout(0.1);
  const auto back = PooledTextClassifierOptions::from_json(o.to_json());
  EXPECT_EQ(back.to_json(), o.to_json());
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
  EXPECT_TRUE(contains(msg(d.ids, Tensor::from_vector(std::vector<std::int64_t>{3}, {1})), "lengths must be (2)"));
  EXPECT_TRUE(contains(msg(d.ids, Tensor::from_vector(std::vector<std::int64_t>{3, 0}, {2})), "lengths[1] = 0 is outside 1..10"));
  EXPECT_TRUE(contains(msg(d.ids, Tensor::from_vector(std::vector<std::int64_t>{11, 3}, {2})), "lengths[0] = 11 is outside 1..10"));
  Tensor bad = d.ids.clone();
  bad.data<std::int64_t>()[3] = MarkerData::V;
  EXPECT_THROW(model.forward(bad, d.lengths), ShapeError);
  EXPECT_TRUE(contains(msg(bad, d.lengths), std::to_string(MarkerData::V))) << msg(bad, d.lengths);
  const std::string lab = error_of([&] { model.loss(d.ids, d.lengths, Tensor::from_vector(std::vector<std::int64_t>{0, 3}, {2})); });
  EXPECT_TRUE(contains(lab, "labels[1] = 3 is outside 0..2")) << lab;
  EXPECT_THROW(model.loss(d.ids, d.lengths, Tensor::from_vector(std::vector<std::int64_t>{0}, {1})), ShapeError);
}

}  // namespace
}  // namespace birnn
