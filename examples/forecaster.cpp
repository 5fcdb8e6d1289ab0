// Forecasting a generated daily series (trend + weekly seasonality + noise) one week ahead from the past
// four weeks and day-of-week features; compared with the seasonal-naive baseline (same weekday last week).
// The normalisation is fitted on the training part only and saved with the model.
//
//   example_forecaster           # a few epochs
//   example_forecaster --quick   # a few steps (the smoke test)
#include <birnn/birnn.hpp>
#include <birnn/models/forecaster.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

using namespace birnn;

int main(int argc, char** argv) try {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(7);

  // The series and its calendar features (day-of-week one-hot).
  const std::int64_t days = 730, train_days = 600, W = 28, H = 7;
  const double week[7] = {-12, -5, 2, 4, 7, 10, -6};
  std::vector<double> y;
  std::vector<std::vector<double>> dow;
  for (std::int64_t t = 0; t < days; ++t) {
    y.push_back(200.0 + 0.01 * static_cast<double>(t) + week[t % 7] + normal(0.0, 4.0));
    std::vector<double> f(7, 0.0);
    f[static_cast<std::size_t>(t % 7)] = 1.0;
    dow.push_back(f);
  }
  auto part = [](const auto& v, std::int64_t a, std::int64_t b) { return std::decay_t<decltype(v)>(v.begin() + a, v.begin() + b); };
  const Windows train = make_windows(part(y, 0, train_days), part(dow, 0, train_days), W, H, 1);
  const Windows test = make_windows(part(y, train_days - W, days), part(dow, train_days - W, days), W, H, 1);
  std::printf("%lld training windows, %lld held-out windows (window %lld days, horizon %lld)\n",
              static_cast<long long>(train.inputs.size(0)), static_cast<long long>(test.inputs.size(0)), static_cast<long long>(W),
              static_cast<long long>(H));

  Forecaster model(ForecasterOptions(H).num_features(7).hidden_size(32).dropout(0.1));
  model.fit_normalization(part(y, 0, train_days), part(dow, 0, train_days));  // training data only
  std::printf("normalisation: mean %.2f, std %.2f\n", model.options().target_mean(), model.options().target_std());

  const Tensor naive = seasonal_naive(test.inputs, 7, H);
  std::printf("seasonal naive on held-out: MAE %.2f  RMSE %.2f  MAPE %.2f%%\n", mae(naive, test.targets), rmse(naive, test.targets),
              mape(naive, test.targets));

  Adam opt(model.parameters(), AdamOptions(1e-2));
  const std::int64_t N = train.inputs.size(0), B = 32, epochs = quick ? 1 : 15;
  const std::int64_t steps_per_epoch = quick ? 5 : N / B;
  for (std::int64_t e = 1; e <= epochs; ++e) {
    double sum = 0;
    for (std::int64_t s = 0; s < steps_per_epoch; ++s) {
      const auto start = static_cast<std::int64_t>(random_below(static_cast<std::uint64_t>(N - B + 1)));
      Tensor l = model.loss(narrow(train.inputs, 0, start, B), narrow(train.features, 0, start, B), narrow(train.targets, 0, start, B));
      opt.zero_grad();
      l.backward();
      clip_grad_norm(model.parameters(), 1.0);
      opt.step();
      sum += l.item();
    }
    const Tensor pred = model.predict(test.inputs, test.features);
    std::printf("epoch %lld  train loss (normalised MSE) %.4f  held-out MAE %.2f  RMSE %.2f  MAPE %.2f%%\n", static_cast<long long>(e),
                sum / static_cast<double>(steps_per_epoch), mae(pred, test.targets), rmse(pred, test.targets), mape(pred, test.targets));
  }

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_forecaster").string();
  save_model(path, model);
  auto loaded = load_model<Forecaster>(path);  // the normalisation comes back with the options
  const Tensor a = model.predict(test.inputs, test.features), b = loaded->predict(test.inputs, test.features);
  if (a.to_double_vector() != b.to_double_vector()) throw Error("the loaded model predicts differently");
  std::printf("saved and loaded back: identical forecasts. First held-out week:\n  day   truth  forecast  naive\n");
  for (std::int64_t h = 0; h < H; ++h)
    std::printf("  %lld  %7.1f  %8.1f  %5.1f\n", static_cast<long long>(h + 1), test.targets.item(h), b.item(h), naive.item(h));
  for (const auto& f : {checkpoint_files(path).weights, checkpoint_files(path).sidecar}) std::filesystem::remove(f);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
