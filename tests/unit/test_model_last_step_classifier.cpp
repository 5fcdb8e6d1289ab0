// LastStepClassifier: learning, h_n vs output slices, padding invariance, float64 gradient check, JSON
// options, save/load round trip and bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "birnn/birnn.hpp"
#include "birnn/models/last_step_classifier.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;
using Opts = LastStepClassifierOptions;

// N sequences of 1 feature, lengths in [2, T], values U(-1, 1) at real steps, 0 at padding.
// label = first element > 0: the final state must carry step 0 across the whole sequence.
struct FirstSignData {
  Tensor x, lengths, labels;
  FirstSignData(std::int64_t N, std::int64_t T) {
    x = Tensor::zeros({N, T, 1});
    std::vector<std::int64_t> len, y;
    for (std::int64_t n = 0; n < N; ++n) {
      const std::int64_t L = 2 + static_cast<std::int64_t>(uniform(0, 1) * static_cast<double>(T - 1)) % (T - 1);
      len.push_back(L);
      for (std::int64_t t = 0; t < L; ++t) x.data<float>()[n * T + t] = static_cast<float>(uniform(-1, 1));
      y.push_back(x.data<float>()[n * T] > 0 ? 1 : 0);
    }
    lengths = Tensor::from_vector(len, {N});
    labels = Tensor::from_vector(y, {N});
  }
};

Tensor rand_x(const Shape& s, DType dt = DType::f32) {
  Tensor x = Tensor::empty(s, DType::f64);
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = uniform(-1, 1);
  return x.to(dt);
}

void train_and_check(const Opts& o, int steps, double lr) {
  manual_seed(7);
  FirstSignData train(64, 8), test(200, 8);
  LastStepClassifier model(o);
  const auto [first, last] = testing::train_steps(model, steps, lr, [&] { return model.loss(train.x, train.labels, train.lengths); });
  model.eval();
  const double acc = model.accuracy(test.x, test.labels, test.lengths);
  std::printf("[ learning ] %s: loss %.4f -> %.4f, held-out accuracy %.3f\n", o.to_json().c_str(), first, last, acc);
  EXPECT_LT(last, 0.5 * first);
  EXPECT_GT(acc, 0.85);  // chance is ~0.5
}

TEST(LastStepClassifier, LearnsFirstSignWithLstm) {
  train_and_check(Opts(1, 12, 2).cell(CellKind::lstm), 120, 0.03);
}

TEST(LastStepClassifier, LearnsFirstSignWithStackedBiGruAndDropout) {
  train_and_check(Opts(1, 8, 2).cell(CellKind::gru).bidirectional(true).num_layers(2).dropout(0.1), 80, 0.03);
}

// The features are h_n of the last layer; for variable lengths that is output[b, len-1, :H] (forward)
// and output[b, 0, H:] (backward), for every cell and with a projection.
TEST(LastStepClassifier, FeaturesAreLastLayerHnAndMatchOutputSlices) {
  for (CellKind cell : {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm, CellKind::gru, CellKind::gru_reset_before}) {
    for (bool proj : {false, true}) {
      if (proj && cell != CellKind::lstm) continue;
      manual_seed(3);
      Opts o = Opts(3, 5, 4).cell(cell).bidirectional(true).num_layers(2);
      if (proj) o.proj_size(2);
      LastStepClassifier model(o);
      model.eval();
      const std::int64_t B = 4, T = 6, H = proj ? 2 : 5;
      const Tensor x = rand_x({B, T, 3});
      const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{6, 2, 4, 1}, {B});
      NoGradGuard ng;
      const Tensor f = model.features(x, lengths);
      ASSERT_EQ(f.shape(), (Shape{B, 2 * H}));
      const Tensor out = model.rnn().forward(x, lengths).output;  // (B, T, 2H)
      for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t len = lengths.data<std::int64_t>()[b];
        for (std::int64_t k = 0; k < H; ++k) {
          EXPECT_EQ(f.item(b * 2 * H + k), out.item((b * T + len - 1) * 2 * H + k)) << cell_name(cell);
          EXPECT_EQ(f.item(b * 2 * H + H + k), out.item((b * T + 0) * 2 * H + H + k)) << cell_name(cell);
        }
      }
    }
  }
}

// Padding (whatever it holds) never changes a real item's logits: each item alone gives the same.
TEST(LastStepClassifier, PaddedBatchEqualsItemsAlone) {
  for (CellKind cell : {CellKind::lstm, CellKind::gru_reset_before, CellKind::rnn_tanh}) {
    manual_seed(5);
    LastStepClassifier model(Opts(2, 4, 3).cell(cell).bidirectional(true));
    model.eval();
    const std::int64_t B = 3, T = 5;
    const Tensor x = rand_x({B, T, 2});  // padding holds random values too
    const std::vector<std::int64_t> len{5, 3, 1};
    NoGradGuard ng;
    const Tensor batch = model.forward(x, Tensor::from_vector(len, {B}));
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t L = len[static_cast<std::size_t>(b)];
      Tensor xb = Tensor::empty({1, L, 2});
      for (std::int64_t i = 0; i < L * 2; ++i) xb.data<float>()[i] = x.data<float>()[b * T * 2 + i];
      const Tensor alone = model.forward(xb);
      for (std::int64_t c = 0; c < 3; ++c) EXPECT_NEAR(batch.item(b * 3 + c), alone.item(c), 1e-6) << cell_name(cell);
    }
  }
}

TEST(LastStepClassifier, GradcheckFloat64) {
  for (CellKind cell : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh}) {
    manual_seed(11);
    Opts o = Opts(2, 3, 3).cell(cell).bidirectional(true);
    if (cell == CellKind::lstm) o.proj_size(2).num_layers(2);  // the stacked, projected case
    LastStepClassifier model(o);
    model.to(DType::f64);
    model.eval();
    Tensor x = testing::random_f64({2, 4, 2});
    x.set_requires_grad(true);
    const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{4, 2}, {2});
    const Tensor labels = Tensor::from_vector(std::vector<std::int64_t>{2, 0}, {2});
    std::vector<Tensor> inputs = model.parameters();
    inputs.push_back(x);
    EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return model.loss(x, labels, lengths); }, inputs), "")
        << cell_name(cell);
  }
}

TEST(LastStepClassifier, Float64ForwardMatchesFloat32) {
  manual_seed(2);
  LastStepClassifier model(Opts(3, 6, 4).cell(CellKind::gru).bidirectional(true));
  model.eval();
  const Tensor x = rand_x({2, 5, 3});
  const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{3, 5}, {2});
  testing::expect_float64_matches_float32(model, [&](DType dt) { return model.forward(x.to(dt), lengths); }, 1e-5);
  EXPECT_EQ(model.predict(x.to(DType::f64), lengths).dtype(), DType::i64);
}

TEST(LastStepClassifier, StateDictHasPyTorchNames) {
  LastStepClassifier model(Opts(3, 4, 2).cell(CellKind::lstm).bidirectional(true).proj_size(2));
  const auto sd = model.state_dict();
  for (const char* k : {"rnn.weight_ih_l0", "rnn.weight_hh_l0_reverse", "rnn.weight_hr_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"})
    EXPECT_TRUE(sd.count(k)) << k;
  EXPECT_EQ(sd.at("fc.weight").shape(), (Shape{2, 4}));  // 2 directions x proj_size 2
}

TEST(LastStepClassifier, DropoutOnlyInTraining) {
  manual_seed(4);
  LastStepClassifier model(Opts(2, 8, 2).num_layers(2).dropout(0.5));
  const Tensor x = rand_x({3, 4, 2});
  testing::expect_dropout_only_in_training(model, [&] { return model.forward(x); });
}

TEST(LastStepClassifier, OptionsJsonRoundTrip) {
  const Opts o = Opts(3, 7, 5).cell(CellKind::gru_reset_before).num_layers(3).bidirectional(true).dropout(0.25);
  const Opts back = testing::json_round_trip(o);
  EXPECT_EQ(back.cell(), CellKind::gru_reset_before);
  EXPECT_EQ(back.num_layers(), 3);
  EXPECT_TRUE(back.bidirectional());
  EXPECT_EQ(back.dropout(), 0.25);
  EXPECT_TRUE(contains(o.to_json(), "\"cell\":\"gru_reset_before\""));
  const Opts defaults = Opts::from_json(R"({"cell":"rnn_relu","input_size":2,"hidden_size":3,"num_classes":4})");
  EXPECT_EQ(defaults.cell(), CellKind::rnn_relu);
  EXPECT_EQ(defaults.num_layers(), 1);
  EXPECT_FALSE(defaults.bidirectional());
}

TEST(LastStepClassifier, BadJsonAndOptions) {
  EXPECT_TRUE(contains(error_of([] { Opts::from_json("{nope"); }), "not valid JSON"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json("[1]"); }), "JSON object"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"cell":"lstm","input_size":2,"num_classes":2})"); }), "'hidden_size'"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"input_size":2,"hidden_size":2,"num_classes":2})"); }), "'cell'"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"cell":"lstm","input_size":"2","hidden_size":2,"num_classes":2})"); }),
                       "'input_size' has the wrong type"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"cell":"gru3","input_size":2,"hidden_size":2,"num_classes":2})"); }), "\"gru3\""));
  EXPECT_THROW(Opts::from_json(R"({"cell":"lstm","input_size":2,"hidden_size":2,"num_classes":1})"), OptionError);
  EXPECT_TRUE(contains(error_of([] { LastStepClassifier m(Opts(2, 4, 2).num_classes(1)); }), "num_classes must be >= 2, got 1"));
  EXPECT_TRUE(contains(error_of([] { LastStepClassifier m(Opts(0, 4, 2)); }), "input_size must be >= 1, got 0"));
  EXPECT_TRUE(contains(error_of([] { LastStepClassifier m(Opts(2, 4, 2).dropout(1.0)); }), "dropout"));
  EXPECT_TRUE(contains(error_of([] { LastStepClassifier m(Opts(2, 4, 2).cell(CellKind::gru).proj_size(2)); }), "proj_size"));
  EXPECT_TRUE(contains(error_of([] { LastStepClassifier m(Opts(2, 4, 2).proj_size(4)); }), "smaller than hidden_size"));
}

TEST(LastStepClassifier, SaveLoadRoundTripIsBitIdentical) {
  manual_seed(9);
  LastStepClassifier model(Opts(3, 5, 3).cell(CellKind::gru).bidirectional(true).num_layers(2));
  model.eval();
  const Tensor x = rand_x({3, 4, 3});
  const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{4, 1, 2}, {3});
  auto loaded = testing::save_and_reload(model, "lsc");
  loaded->eval();
  EXPECT_EQ(loaded->options().to_json(), model.options().to_json());
  testing::expect_bit_identical(model.forward(x, lengths), loaded->forward(x, lengths));

  // A checkpoint of another model type is refused, naming both types.
  testing::expect_refuses_other_model<LastStepClassifier>();
}

TEST(LastStepClassifier, BadInput) {
  manual_seed(1);
  LastStepClassifier model(Opts(3, 4, 3));
  const Tensor x = rand_x({2, 5, 3});
  EXPECT_TRUE(contains(error_of([&] { model.forward(rand_x({2, 5})); }), "x must be (B, T, 3), got (2, 5)"))
      << error_of([&] { model.forward(rand_x({2, 5})); });
  EXPECT_TRUE(contains(error_of([&] { model.forward(rand_x({2, 5, 4})); }), "4 features per step, input_size is 3"));
  EXPECT_TRUE(contains(error_of([&] { model.forward(Tensor::zeros({2, 5, 3}, DType::i64)); }), "int64"));
  EXPECT_THROW(model.forward(rand_x({2, 5, 3}, DType::f64)), ShapeError);  // model is float32
  const auto len = [](std::vector<std::int64_t> v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); };
  EXPECT_TRUE(contains(error_of([&] { model.forward(x, len({0, 3})); }), "lengths[0] = 0"));
  EXPECT_TRUE(contains(error_of([&] { model.forward(x, len({6, 3})); }), "lengths[0] = 6"));
  EXPECT_TRUE(contains(error_of([&] { model.forward(x, len({5, 3, 2})); }), "lengths"));
  EXPECT_TRUE(contains(error_of([&] { model.loss(x, len({1, 3})); }), "labels[1] = 3 is not a class id in 0..2"));
  EXPECT_TRUE(contains(error_of([&] { model.loss(x, len({-1, 0})); }), "labels[0] = -1"));
  EXPECT_TRUE(contains(error_of([&] { model.loss(x, len({1})); }), "labels"));
  EXPECT_TRUE(contains(error_of([&] { model.accuracy(x, Tensor::zeros({2})); }), "labels"));
}

}  // namespace
}  // namespace birnn
