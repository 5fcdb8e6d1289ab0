// CharLanguageModel: learning, the bidirectional cheat measured, streaming generation against forward(),
// truncated BPTT state, padding, float64 gradient check, save/load, options JSON and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "birnn/birnn.hpp"
#include "birnn/models/char_language_model.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;

Tensor ids_of(const std::vector<std::int64_t>& v, const Shape& s) { return testing::i64(v, s); }

// B sequences of T chars: a random 3-char "word" over ids 1..4, repeated. After the first three chars
// each next char is the one three steps back, so the model must remember; the first three are chance.
Tensor repeated_words(std::int64_t B, std::int64_t T) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(B * T));
  for (std::int64_t b = 0; b < B; ++b) {
    std::int64_t w[3];
    for (auto& c : w) c = 1 + static_cast<std::int64_t>(random_below(4));
    for (std::int64_t t = 0; t < T; ++t) v[static_cast<std::size_t>(b * T + t)] = w[t % 3];
  }
  return ids_of(v, {B, T});
}

// Fraction of positions t >= 3 whose argmax prediction (from logits at t - 1) is the right char.
double memory_accuracy(CharLanguageModel& m, const Tensor& ids) {
  NoGradGuard ng;
  m.eval();
  const Tensor logits = m.forward(ids);
  const std::int64_t B = ids.size(0), T = ids.size(1), V = logits.size(2);
  std::int64_t right = 0, n = 0;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 3; t < T; ++t) {
      std::int64_t best = 0;
      for (std::int64_t v = 1; v < V; ++v)
        if (logits.item((b * T + t - 1) * V + v) > logits.item((b * T + t - 1) * V + best)) best = v;
      right += best == ids.item(b * T + t);
      ++n;
    }
  m.train();
  return static_cast<double>(right) / static_cast<double>(n);
}

TEST(CharLanguageModel, LearnsToRepeatAWordFromMemory) {
  manual_seed(1);
  CharLanguageModel m(CharLanguageModelOptions(5).embedding_dim(8).hidden_size(24));
  const Tensor held_out = repeated_words(64, 10);
  const double chance = memory_accuracy(m, held_out);
  const auto [first, last] = testing::train_steps(m, 150, 2e-2, [&] { return m.loss(repeated_words(16, 10)); }, /*clip_norm=*/5.0);
  const double acc = memory_accuracy(m, held_out);
  std::printf("char LM memory task: loss %.3f -> %.3f, held-out accuracy %.3f (untrained %.3f, chance 0.25)\n", first, last, acc, chance);
  EXPECT_LT(last, 0.5 * first);
  EXPECT_GT(acc, 0.9);
  EXPECT_NEAR(m.bits_per_char(held_out), m.loss(held_out).item() / std::log(2.0), 1e-6);
}

// The bidirectional "language model" cheats: its backward direction has read the char it predicts. Both
// models train the same steps on the same tiny i.i.d. text (the honest floor is ln 4 nats per char) and
// are scored on fresh text of the same kind: the unidirectional one cannot beat ln 4, the other one can.
TEST(CharLanguageModel, BidirectionalLossFallsFarBelowUnidirectionalBecauseItCheats) {
  manual_seed(2);
  auto iid = [](std::int64_t B, std::int64_t T) {
    std::vector<std::int64_t> text(static_cast<std::size_t>(B * T));
    for (auto& c : text) c = 1 + static_cast<std::int64_t>(random_below(4));
    return ids_of(text, {B, T});
  };
  const Tensor ids = iid(8, 12), fresh = iid(32, 12);
  double train_loss[2] = {0, 0}, fresh_loss[2] = {0, 0};
  for (int bi = 0; bi < 2; ++bi) {
    manual_seed(3);
    CharLanguageModel m(CharLanguageModelOptions(5).embedding_dim(8).hidden_size(16).bidirectional(bi == 1));
    EXPECT_EQ(m.warnings().empty(), bi == 0);
    testing::train_steps(m, 80, 2e-2, [&] { return m.loss(ids); });
    m.eval();
    train_loss[bi] = m.loss(ids).item();
    fresh_loss[bi] = m.loss(fresh).item();
  }
  std::printf("80 steps on i.i.d. text (honest floor ln 4 = %.3f): unidirectional %.3f (fresh text %.3f), "
              "bidirectional %.3f (fresh text %.3f)\n",
              std::log(4.0), train_loss[0], fresh_loss[0], train_loss[1], fresh_loss[1]);
  EXPECT_LT(train_loss[1], 0.5 * train_loss[0]);
  EXPECT_GT(fresh_loss[0], 1.3);  // no honest model predicts i.i.d. chars
  EXPECT_LT(fresh_loss[1], 0.5 * fresh_loss[0]);
}

TEST(CharLanguageModel, BidirectionalWarnsAndRefusesToGenerate) {
  CharLanguageModel m(CharLanguageModelOptions(6).hidden_size(4).bidirectional(true));
  ASSERT_EQ(m.warnings().size(), 1u);
  EXPECT_TRUE(contains(m.warnings()[0], "not a language model"));
  EXPECT_TRUE(contains(m.warnings()[0], "backward direction"));
  const std::string e = error_of([&] { m.generate({1, 2}, 3); });
  EXPECT_TRUE(contains(e, "bidirectional")) << e;
  EXPECT_THROW(m.generate({1, 2}, 3), OptionError);
  EXPECT_TRUE(CharLanguageModel(CharLanguageModelOptions(6).hidden_size(4)).warnings().empty());
}

std::vector<double> softmax_row(const Tensor& logits, std::int64_t row, double temperature) {
  const std::int64_t V = logits.size(-1);
  std::vector<double> p(static_cast<std::size_t>(V));
  double mx = -INFINITY, z = 0;
  for (std::int64_t v = 0; v < V; ++v) mx = std::max(mx, logits.item(row * V + v) / temperature);
  for (std::int64_t v = 0; v < V; ++v) z += (p[v] = std::exp(logits.item(row * V + v) / temperature - mx));
  for (auto& q : p) q /= z;
  return p;
}

TEST(CharLanguageModel, GenerateStreamsTheSameDistributionsAsForwardOverTheWholeText) {
  for (const char* cell : {"lstm", "gru"})
    for (bool one_hot : {false, true}) {
      SCOPED_TRACE(std::string(cell) + (one_hot ? " one_hot" : " embedding"));
      manual_seed(4);
      CharLanguageModel m(CharLanguageModelOptions(7).embedding_dim(5).hidden_size(6).num_layers(2).dropout(0.3).cell(cell).one_hot(one_hot));
      const std::vector<std::int64_t> prompt{3, 1, 4};
      const double T = 0.7;
      const GenerateResult g = m.generate(prompt, 12, GenerateOptions().temperature(T).seed(9).keep_probabilities(true));
      ASSERT_EQ(g.ids.size(), 12u);
      ASSERT_EQ(g.probabilities.size(), 12u);
      EXPECT_TRUE(m.is_training());  // restored
      std::vector<std::int64_t> text = prompt;
      text.insert(text.end(), g.ids.begin(), g.ids.end() - 1);
      m.eval();
      NoGradGuard ng;
      const Tensor logits = m.forward(ids_of(text, {1, static_cast<std::int64_t>(text.size())}));
      double worst = 0;
      for (std::size_t k = 0; k < g.ids.size(); ++k) {
        const auto p = softmax_row(logits, static_cast<std::int64_t>(prompt.size() + k - 1), T);
        for (std::size_t v = 0; v < p.size(); ++v) worst = std::max(worst, std::abs(p[v] - g.probabilities[k][v]));
      }
      EXPECT_LT(worst, 1e-5);
      m.train();
      // Same seed, same text; the library generator is used when no seed is given.
      EXPECT_EQ(m.generate(prompt, 12, GenerateOptions().temperature(T).seed(9)).ids, g.ids);
      manual_seed(5);
      const auto a = m.generate(prompt, 12).ids;
      manual_seed(5);
      EXPECT_EQ(m.generate(prompt, 12).ids, a);
    }
}

TEST(CharLanguageModel, GreedyAndLowTemperature) {
  manual_seed(6);
  CharLanguageModel m(CharLanguageModelOptions(9).embedding_dim(4).hidden_size(8));
  const std::vector<std::int64_t> prompt{2, 5};
  const GenerateResult greedy = m.generate(prompt, 10, GenerateOptions().greedy(true).temperature(0.0).keep_probabilities(true));
  // Each greedy pick is the argmax of forward over the text so far.
  std::vector<std::int64_t> text = prompt;
  text.insert(text.end(), greedy.ids.begin(), greedy.ids.end() - 1);
  {
    NoGradGuard ng;
    m.eval();
    const Tensor logits = m.forward(ids_of(text, {1, static_cast<std::int64_t>(text.size())}));
    for (std::size_t k = 0; k < greedy.ids.size(); ++k) {
      const auto p = softmax_row(logits, static_cast<std::int64_t>(prompt.size() + k - 1), 1.0);
      EXPECT_EQ(std::max_element(p.begin(), p.end()) - p.begin(), greedy.ids[k]) << k;
    }
    m.train();
  }
  EXPECT_EQ(m.generate(prompt, 10, GenerateOptions().temperature(1e-4).seed(3)).ids, greedy.ids);  // T -> 0 approaches greedy
  for (double t : {0.0, -1.0, double(NAN)}) {
    const std::string e = error_of([&] { m.generate(prompt, 3, GenerateOptions().temperature(t)); });
    EXPECT_TRUE(contains(e, "temperature")) << e;
  }
  EXPECT_THROW(m.generate(prompt, 3, GenerateOptions().temperature(0.0)), OptionError);
  EXPECT_TRUE(contains(error_of([&] { m.generate({}, 3); }), "prompt"));
  EXPECT_TRUE(contains(error_of([&] { m.generate({2, 9}, 3); }), "prompt[1] = 9"));
  EXPECT_TRUE(m.generate(prompt, 0).ids.empty());
}

TEST(CharLanguageModel, CarriedStateEqualsOnePassAndIsDetached) {
  for (const char* cell : {"lstm", "gru"}) {
    SCOPED_TRACE(cell);
    manual_seed(7);
    CharLanguageModel m(CharLanguageModelOptions(6).embedding_dim(3).hidden_size(5).num_layers(2).cell(cell));
    m.to(DType::f64);
    const Tensor a = ids_of({1, 2, 3, 4, 5, 1, 2, 3}, {2, 4}), b = ids_of({5, 4, 3, 2, 1, 1}, {2, 3});
    RecurrentState s;
    m.forward(a, Tensor(), &s);
    EXPECT_FALSE(s.h.requires_grad());
    const Tensor second = m.forward(b, Tensor(), &s);
    const Tensor whole = m.forward(cat({a, b}, 1));
    const Tensor tail = narrow(whole, 1, 4, 3);
    for (std::int64_t i = 0; i < tail.numel(); ++i) EXPECT_NEAR(second.item(i), tail.item(i), 1e-12);
    // loss with explicit targets carries the state the same way, and backward stops at the chunk boundary
    RecurrentState s2;
    m.loss(a, ids_of({2, 3, 4, 5, 1, 2, 3, 4}, {2, 4}), Tensor(), &s2).backward();
    m.zero_grad();
    m.loss(b, ids_of({4, 3, 2, 1, 1, 2}, {2, 3}), Tensor(), &s2).backward();
    EXPECT_EQ(s2.h.shape(), (Shape{2, 2, 5}));
    EXPECT_TRUE(contains(error_of([&] { RecurrentState bad; bad.h = Tensor::zeros({1, 2, 5}, DType::f64); m.forward(a, Tensor(), &bad); }),
                         "state.h"));
  }
}

TEST(CharLanguageModel, PaddingNeverChangesARealItem) {
  manual_seed(8);
  CharLanguageModel m(CharLanguageModelOptions(7).embedding_dim(4).hidden_size(5).num_layers(2));
  m.eval();
  NoGradGuard ng;
  const Tensor batch = ids_of({1, 2, 3, 4, 5, 6, 4, 2, 0, 0, 0, 0}, {2, 6});
  const Tensor lengths = ids_of({6, 2}, {2});
  const Tensor both = m.forward(batch, lengths), alone = m.forward(ids_of({4, 2}, {1, 2}));
  for (std::int64_t t = 0; t < 2; ++t)
    for (std::int64_t v = 0; v < 7; ++v) EXPECT_NEAR(both.item((6 + t) * 7 + v), alone.item(t * 7 + v), 1e-6);
  // the loss of the padded item counts only its real next-char predictions
  const double l_alone = m.loss(ids_of({4, 2}, {1, 2})).item();
  const double l_first = m.loss(ids_of({1, 2, 3, 4, 5, 6}, {1, 6})).item();
  EXPECT_NEAR(m.loss(batch, lengths).item(), (5 * l_first + l_alone) / 6, 1e-5);
}

TEST(CharLanguageModel, EvalIsDeterministicDropoutOnlyInTraining) {
  manual_seed(9);
  CharLanguageModel m(CharLanguageModelOptions(6).embedding_dim(4).hidden_size(8).num_layers(2).dropout(0.5));
  const Tensor ids = ids_of({1, 2, 3, 4, 5, 1}, {1, 6});
  testing::expect_dropout_only_in_training(m, [&] { return m.forward(ids); });
}

TEST(CharLanguageModel, Float64GradientCheck) {
  for (bool one_hot : {false, true})
    for (const char* cell : {"lstm", "gru"}) {
      SCOPED_TRACE(std::string(cell) + (one_hot ? " one_hot" : ""));
      manual_seed(10);
      CharLanguageModel m(CharLanguageModelOptions(5).embedding_dim(3).hidden_size(3).num_layers(2).cell(cell).one_hot(one_hot));
      m.to(DType::f64);
      m.eval();
      const Tensor ids = ids_of({1, 2, 3, 4, 2, 4, 1, 0}, {2, 4}), lengths = ids_of({4, 3}, {2});
      EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return m.loss(ids, lengths); }, m.parameters()), "");
    }
}

TEST(CharLanguageModel, StateDictHasPyTorchNames) {
  CharLanguageModel a(CharLanguageModelOptions(5).hidden_size(3));
  const auto sd = a.state_dict();
  for (const char* k : {"embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"})
    EXPECT_TRUE(sd.count(k)) << k;
  EXPECT_EQ(sd.size(), 7u);
  CharLanguageModel b(CharLanguageModelOptions(5).hidden_size(3).one_hot(true));
  EXPECT_EQ(b.state_dict().count("embedding.weight"), 0u);
  EXPECT_EQ(b.state_dict().at("rnn.weight_ih_l0").shape(), (Shape{12, 5}));
}

TEST(CharLanguageModel, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(11);
  const auto o = CharLanguageModelOptions(8).embedding_dim(4).hidden_size(6).num_layers(2).cell("gru").dropout(0.1);
  CharLanguageModel m(o);
  m.eval();
  CheckpointInfo info;
  auto loaded = testing::save_and_reload(m, "test_charlm", {{"chars", {"<pad>", "a", "b", "c", "d", "e", "f", "g"}}}, &info);
  loaded->eval();
  EXPECT_EQ(info.vocabularies.at("chars").size(), 8u);
  EXPECT_EQ(loaded->config_json(), m.config_json());
  const Tensor ids = ids_of({1, 7, 3, 2, 6, 5}, {2, 3});
  testing::expect_bit_identical(loaded->forward(ids), m.forward(ids));
  EXPECT_EQ(loaded->generate({1, 2}, 8, GenerateOptions().seed(4)).ids, m.generate({1, 2}, 8, GenerateOptions().seed(4)).ids);

  // A checkpoint of another model type is refused, naming both types.
  testing::expect_refuses_other_model<CharLanguageModel>();
}

TEST(CharLanguageModel, OptionsJsonRoundTripAndErrors) {
  const auto o = CharLanguageModelOptions(30).embedding_dim(7).one_hot(true).cell("gru").hidden_size(9).num_layers(3).dropout(0.25).bidirectional(true);
  const auto back = testing::json_round_trip(o);
  EXPECT_EQ(back.vocab_size(), 30);
  EXPECT_TRUE(back.one_hot());
  EXPECT_EQ(back.dropout(), 0.25);
  EXPECT_TRUE(contains(error_of([] { CharLanguageModelOptions::from_json("{not json"); }), "not valid JSON"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModelOptions::from_json(R"({"cell": "lstm", "hidden_size": 4})"); }), "vocab_size"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModelOptions::from_json(R"({"vocab_size": "x", "cell": "lstm", "hidden_size": 4})"); }),
                       "vocab_size"));
  EXPECT_THROW(CharLanguageModelOptions::from_json("[]"), OptionError);
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(1)); }), "vocab_size must be >= 2, got 1") ||
              contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(1)); }), "vocab_size"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(5).cell("rnn")); }), "cell"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(5).hidden_size(0)); }), "hidden_size"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(5).num_layers(0)); }), "num_layers"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(5).dropout(1.0)); }), "dropout"));
  EXPECT_TRUE(contains(error_of([] { CharLanguageModel(CharLanguageModelOptions(5).embedding_dim(0)); }), "embedding_dim"));
}

TEST(CharLanguageModel, BadInputNamesTheTensor) {
  CharLanguageModel m(CharLanguageModelOptions(5).hidden_size(3));
  auto err = [&](auto f) { return error_of(f); };
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, 2, 3}, {3})); }), "ids must be (B, T)"));
  EXPECT_TRUE(contains(err([&] { m.forward(Tensor::zeros({1, 3})); }), "int64"));
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, 5, 3}, {1, 3})); }), "ids[0, 1] = 5 is outside [0, 5)"));
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, -1, 3}, {1, 3})); }), "= -1"));
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, 2, 3}, {1, 3}), ids_of({4}, {1})); }), "lengths[0] = 4"));
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, 2, 3}, {1, 3}), ids_of({0}, {1})); }), "lengths[0] = 0"));
  EXPECT_TRUE(contains(err([&] { m.forward(ids_of({1, 2, 3}, {1, 3}), ids_of({1, 1}, {2})); }), "lengths must be (1)"));
  EXPECT_TRUE(contains(err([&] { m.loss(ids_of({1}, {1, 1})); }), "T >= 2"));
  EXPECT_TRUE(contains(err([&] { m.loss(ids_of({1, 2, 3}, {1, 3}), ids_of({1}, {1})); }), "at least 2 characters"));
  EXPECT_TRUE(contains(err([&] { m.loss(ids_of({1, 2}, {1, 2}), ids_of({1, 2, 3}, {1, 3}), Tensor()); }), "targets must have the shape"));
  EXPECT_TRUE(contains(err([&] { m.loss(ids_of({1, 2}, {1, 2}), ids_of({1, 7}, {1, 2}), Tensor()); }), "targets[0, 1] = 7"));
  EXPECT_THROW(m.forward(ids_of({1, 9}, {1, 2})), ShapeError);
}

}  // namespace
}  // namespace birnn
