// Forecaster: learning to beat the seasonal-naive baseline, normalisation kept in the checkpoint,
// windows / metrics / baseline helpers, float64 gradient check, options JSON and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "birnn/birnn.hpp"
#include "birnn/models/forecaster.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn {
namespace {

using testing::contains;
using testing::error_of;

Tensor f32(const std::vector<float>& v, const Shape& s) { return Tensor::from_vector(v, s); }

// Daily series: level 100, slow trend, weekly pattern, Gaussian noise; day-of-week one-hot features.
struct Daily {
  std::vector<double> y;
  std::vector<std::vector<double>> dow;
  explicit Daily(std::int64_t n, double noise) {
    const double week[7] = {-8, -4, 1, 3, 6, 9, -7};
    for (std::int64_t t = 0; t < n; ++t) {
      y.push_back(100.0 + 0.005 * static_cast<double>(t) + week[t % 7] + normal(0.0, noise));
      std::vector<double> f(7, 0.0);
      f[static_cast<std::size_t>(t % 7)] = 1.0;
      dow.push_back(f);
    }
  }
};

template <class V>
V slice(const V& v, std::size_t a, std::size_t b) { return V(v.begin() + static_cast<std::ptrdiff_t>(a), v.begin() + static_cast<std::ptrdiff_t>(b)); }

// Rows [start, start + n) of windows, as one batch.
Windows rows(const Windows& w, std::int64_t start, std::int64_t n) {
  Windows r;
  r.inputs = narrow(w.inputs, 0, start, n);
  r.targets = narrow(w.targets, 0, start, n);
  if (w.features.defined()) r.features = narrow(w.features, 0, start, n);
  return r;
}

TEST(Forecaster, BeatsSeasonalNaiveOnHeldOutWindows) {
  manual_seed(1);
  const std::int64_t W = 14, H = 7, train_days = 320;
  const Daily d(420, 3.0);
  const Windows train = make_windows(slice(d.y, 0, train_days), slice(d.dow, 0, train_days), W, H, 1);
  const Windows test = make_windows(slice(d.y, train_days - W, d.y.size()), slice(d.dow, train_days - W, d.y.size()), W, H, 1);

  Forecaster model(ForecasterOptions(H).num_features(7).hidden_size(16));
  model.fit_normalization(slice(d.y, 0, train_days), slice(d.dow, 0, train_days));  // training data only
  EXPECT_NEAR(model.options().target_mean(), 100.8, 1.5);
  const std::int64_t N = train.inputs.size(0), B = 32;
  const auto [first, last] = testing::train_steps(model, 150, 1e-2, [&] {
    const std::int64_t start = static_cast<std::int64_t>(random_below(static_cast<std::uint64_t>(N - B + 1)));
    const Windows b = rows(train, start, B);
    return model.loss(b.inputs, b.features, b.targets);
  }, /*clip_norm=*/1.0);
  const Tensor pred = model.predict(test.inputs, test.features);
  const Tensor naive = seasonal_naive(test.inputs, 7, H);
  const double m_model = mape(pred, test.targets), m_naive = mape(naive, test.targets);
  std::printf("forecaster: loss %.3f -> %.3f; held-out MAPE %.2f%% (seasonal naive %.2f%%), MAE %.2f (%.2f), RMSE %.2f (%.2f)\n",
              first, last, m_model, m_naive, mae(pred, test.targets), mae(naive, test.targets), rmse(pred, test.targets),
              rmse(naive, test.targets));
  EXPECT_LT(last, 0.5 * first);
  EXPECT_LT(m_model, 0.9 * m_naive);
}

TEST(Forecaster, SavedModelPredictsInOriginalUnitsWithNoExtraState) {
  manual_seed(2);
  const Daily d(60, 2.0);
  ForecasterOptions o = ForecasterOptions(3).num_features(7).hidden_size(5).cell("gru").num_layers(2).dropout(0.2);
  Forecaster model(o);
  model.fit_normalization(d.y, d.dow);
  const Windows w = make_windows(d.y, d.dow, 10, 3, 5);
  const Tensor before = model.predict(w.inputs, w.features);
  EXPECT_GT(before.item(0), 50.0);  // original units, not the normalised scale
  auto loaded = testing::save_and_reload(model, "test_forecaster");
  EXPECT_EQ(loaded->options().target_mean(), model.options().target_mean());
  EXPECT_EQ(loaded->options().target_std(), model.options().target_std());
  EXPECT_EQ(loaded->options().feature_std(), model.options().feature_std());
  EXPECT_EQ(loaded->predict(w.inputs, w.features).to_double_vector(), before.to_double_vector());

  testing::expect_refuses_other_model<Forecaster>("char_language_model");
}

TEST(Forecaster, NormalisationIsAppliedAndUndone) {
  manual_seed(3);
  Forecaster a(ForecasterOptions(2).hidden_size(4));
  Forecaster b(ForecasterOptions(2).hidden_size(4).target_mean(1000.0).target_std(10.0));
  b.load_state_dict(a.state_dict());
  // values shifted and scaled like b's normalisation give a's forecasts, shifted and scaled back.
  const Tensor x = f32({0.5f, -1.0f, 2.0f, 0.25f}, {1, 4});
  const Tensor xb = f32({1005.0f, 990.0f, 1020.0f, 1002.5f}, {1, 4});
  const Tensor ya = a.predict(x), yb = b.predict(xb);
  for (std::int64_t h = 0; h < 2; ++h) EXPECT_NEAR(yb.item(h), 1000.0 + 10.0 * ya.item(h), 1e-3);
  // fit_normalization: population mean/std; a constant column gets std 1
  Forecaster c(ForecasterOptions(1).num_features(2).hidden_size(3));
  c.fit_normalization({1, 2, 3, 4}, {{0, 5}, {1, 5}, {0, 5}, {1, 5}});
  EXPECT_DOUBLE_EQ(c.options().target_mean(), 2.5);
  EXPECT_DOUBLE_EQ(c.options().target_std(), std::sqrt(1.25));
  EXPECT_EQ(c.options().feature_mean(), (std::vector<double>{0.5, 5.0}));
  EXPECT_EQ(c.options().feature_std(), (std::vector<double>{0.5, 1.0}));
  EXPECT_TRUE(contains(error_of([&] { c.fit_normalization({1, 2}); }), "features must have 2 columns"));
  EXPECT_TRUE(contains(error_of([&] { c.fit_normalization({}); }), "empty"));
}

TEST(Forecaster, MakeWindows) {
  std::vector<double> s;
  std::vector<std::vector<double>> f;
  for (int t = 0; t < 10; ++t) s.push_back(t), f.push_back({double(t), -double(t)});
  const Windows w = make_windows(s, f, 4, 2, 2);  // starts 0, 2, 4: (10 - 6) / 2 + 1 = 3
  EXPECT_EQ(w.inputs.shape(), (Shape{3, 4}));
  EXPECT_EQ(w.targets.shape(), (Shape{3, 2}));
  EXPECT_EQ(w.features.shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(w.inputs.item(4), 2.0);      // window 1 starts at 2
  EXPECT_EQ(w.targets.item(2 * 2 + 1), 9.0);  // window 2: targets 8, 9
  EXPECT_EQ(w.features.item((1 * 4 + 3) * 2 + 1), -5.0);
  EXPECT_FALSE(make_windows(s, {}, 3, 1).features.defined());
  EXPECT_EQ(make_windows(s, {}, 3, 1).inputs.size(0), 7);
  EXPECT_TRUE(contains(error_of([&] { make_windows(s, {}, 8, 3); }), "fewer than window + horizon = 11"));
  EXPECT_TRUE(contains(error_of([&] { make_windows(s, {}, 0, 3); }), "window"));
  EXPECT_TRUE(contains(error_of([&] { make_windows(s, slice(f, 0, 9), 3, 1); }), "features has 9 rows"));
}

TEST(Forecaster, MetricsAndSeasonalNaive) {
  const Tensor p = f32({1, 2, 6, 4}, {2, 2}), y = f32({2, 0, 3, 4}, {2, 2});
  EXPECT_DOUBLE_EQ(mae(p, y), (1 + 2 + 3 + 0) / 4.0);
  EXPECT_DOUBLE_EQ(rmse(p, y), std::sqrt((1 + 4 + 9 + 0) / 4.0));
  EXPECT_DOUBLE_EQ(mape(p, y), 100.0 * (0.5 + 1.0 + 0.0) / 3.0);  // the zero target is skipped
  EXPECT_TRUE(std::isnan(mape(p, Tensor::zeros({2, 2}))));
  EXPECT_TRUE(contains(error_of([&] { mae(p, f32({1}, {1})); }), "one shape"));

  std::vector<float> v(10);
  for (int i = 0; i < 10; ++i) v[i] = float(i);
  const Tensor naive = seasonal_naive(f32(v, {1, 10}), 3, 5);  // last season: 7, 8, 9
  EXPECT_EQ(naive.to_double_vector(), (std::vector<double>{7, 8, 9, 7, 8}));
  EXPECT_EQ(seasonal_naive(f32(v, {1, 10, 1}), 7, 2).to_double_vector(), (std::vector<double>{3, 4}));
  EXPECT_TRUE(contains(error_of([&] { seasonal_naive(f32(v, {1, 10}), 11, 2); }), "shorter than the season"));
}

TEST(Forecaster, PaddingNeverChangesARealItem) {
  manual_seed(4);
  Forecaster m(ForecasterOptions(2).num_features(1).hidden_size(4).num_layers(2).bidirectional(true));
  const Tensor vals = f32({1, 2, 3, 4, 5, 6, 99, 99}, {2, 4});
  const Tensor feats = f32({1, 0, 1, 0, 1, 0, 7, 7}, {2, 4, 1});
  const Tensor both = m.predict(vals, feats, Tensor::from_vector(std::vector<std::int64_t>{4, 2}, {2}));
  const Tensor alone = m.predict(f32({5, 6}, {1, 2}), f32({1, 0}, {1, 2, 1}));
  for (std::int64_t h = 0; h < 2; ++h) EXPECT_NEAR(both.item(2 + h), alone.item(h), 1e-5);
}

TEST(Forecaster, Float64GradientCheck) {
  for (const char* cell : {"lstm", "gru"})
    for (bool bi : {false, true}) {
      SCOPED_TRACE(std::string(cell) + (bi ? " bidirectional" : ""));
      manual_seed(5);
      Forecaster m(ForecasterOptions(2).num_features(2).hidden_size(3).num_layers(bi ? 1 : 2).cell(cell).bidirectional(bi)
                       .target_mean(10.0).target_std(4.0).feature_mean({0.5, -1.0}).feature_std({2.0, 0.5}));
      m.to(DType::f64);
      m.eval();
      const Tensor vals = testing::random_f64({2, 4}, 5.0, 15.0), feats = testing::random_f64({2, 4, 2});
      const Tensor tgt = testing::random_f64({2, 2}, 5.0, 15.0);
      const Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{4, 3}, {2});
      EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return m.loss(vals, feats, tgt, lengths); }, m.parameters()), "");
      if (!bi && std::string(cell) == "lstm")  // forward() in original units: the de-normalisation's gradient too
        EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>&) { return testing::weighted_sum(m.forward(vals, feats)); },
                                     m.parameters(), 1e-6, 1e-5),
                  "");
    }
}

TEST(Forecaster, EvalIsDeterministicDropoutOnlyInTraining) {
  manual_seed(6);
  Forecaster m(ForecasterOptions(3).hidden_size(8).num_layers(2).dropout(0.5));
  const Tensor x = f32({1, 2, 3, 4, 5}, {1, 5});
  testing::expect_dropout_only_in_training(m, [&] { return m.forward(x); });
}

TEST(Forecaster, StateDictHasPyTorchNames) {
  Forecaster m(ForecasterOptions(3).hidden_size(4).num_features(2));
  const auto sd = m.state_dict();
  EXPECT_EQ(sd.size(), 6u);
  EXPECT_EQ(sd.at("rnn.weight_ih_l0").shape(), (Shape{16, 3}));
  EXPECT_EQ(sd.at("fc.weight").shape(), (Shape{3, 4}));
}

TEST(Forecaster, OptionsJsonRoundTripAndErrors) {
  const auto o = ForecasterOptions(5).num_features(2).cell("gru").hidden_size(7).num_layers(2).dropout(0.1).bidirectional(true)
                     .target_mean(0.1 + 0.2).target_std(1.0 / 3.0).feature_mean({1e-300, -2.5}).feature_std({0.7, 3.0});
  const auto back = testing::json_round_trip(o);
  EXPECT_EQ(back.target_mean(), 0.1 + 0.2);  // exact
  EXPECT_EQ(back.target_std(), 1.0 / 3.0);
  EXPECT_EQ(back.feature_mean(), o.feature_mean());
  EXPECT_TRUE(contains(error_of([] { ForecasterOptions::from_json("nope"); }), "not valid JSON"));
  EXPECT_TRUE(contains(error_of([] { ForecasterOptions::from_json(R"({"cell": "lstm", "hidden_size": 4})"); }), "horizon"));
  EXPECT_TRUE(contains(error_of([] { ForecasterOptions::from_json(R"({"horizon": 2, "cell": "lstm", "hidden_size": 4, "target_std": "x"})"); }),
                       "target_std"));
  EXPECT_TRUE(contains(error_of([] { ForecasterOptions::from_json(R"({"horizon": 2, "cell": "lstm", "hidden_size": 4, "target_std": 0})"); }),
                       "target_std must be > 0"));
  EXPECT_TRUE(contains(error_of([] { Forecaster(ForecasterOptions(0)); }), "horizon must be >= 1, got 0"));
  EXPECT_TRUE(contains(error_of([] { Forecaster(ForecasterOptions(2).cell("rnn")); }), "cell"));
  EXPECT_TRUE(contains(error_of([] { Forecaster(ForecasterOptions(2).num_features(2).feature_std({1.0})); }), "feature_std must hold"));
  EXPECT_TRUE(contains(error_of([] { Forecaster(ForecasterOptions(2).num_features(1).feature_std({-1.0})); }), "feature_std[0]"));
  EXPECT_THROW(Forecaster(ForecasterOptions(2).dropout(-0.1)), OptionError);
}

TEST(Forecaster, BadInputNamesTheTensor) {
  Forecaster m(ForecasterOptions(2).num_features(1).hidden_size(3));
  const Tensor x = f32({1, 2, 3}, {1, 3}), f = f32({0, 1, 0}, {1, 3, 1});
  EXPECT_TRUE(contains(error_of([&] { m.forward(f32({1, 2, 3}, {3}), f); }), "values must be (B, W) or (B, W, 1)"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(f32({1, 2, 3, 4, 5, 6}, {1, 3, 2}), f); }), "values must be"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x); }), "features must be [1, 3, 1]") ||
              contains(error_of([&] { m.forward(x); }), "features must be"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, f32({0, 1}, {1, 2, 1})); }), "features must be"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3}, {1, 3}), f); }), "int64"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, f, Tensor::from_vector(std::vector<std::int64_t>{4}, {1})); }), "lengths[0] = 4"));
  EXPECT_TRUE(contains(error_of([&] { m.loss(x, f, f32({1}, {1, 1})); }), "targets must be"));
  Forecaster plain(ForecasterOptions(2).hidden_size(3));
  EXPECT_TRUE(contains(error_of([&] { plain.forward(x, f); }), "num_features is 0"));
  EXPECT_THROW(plain.forward(x, f), ShapeError);
}

}  // namespace
}  // namespace birnn
