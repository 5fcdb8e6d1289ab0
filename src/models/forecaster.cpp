// Forecaster: normalise -> LSTM/GRU over the window -> Linear from the last state to the horizon ->
// de-normalise; plus windowing, metrics and the seasonal-naive baseline. See include/birnn/models/forecaster.hpp.
#include "birnn/models/forecaster.hpp"

#include <cmath>
#include <cstdio>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/input_checks.hpp"
#include "models/json_options.hpp"

namespace birnn {

namespace {
const char* const kWhat = "ForecasterOptions";

std::string shape_or_none(const Tensor& t) { return t.defined() ? shape_str(t.shape()) : std::string("none"); }

void check_float(const Tensor& t, const std::string& what) {
  if (t.dtype() == DType::i64) throw ShapeError("Forecaster: " + what + " must be float32 or float64, got int64");
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
}  // namespace

// ---- options ----

void ForecasterOptions::validate() const {
  auto fail = [](const std::string& m) { throw OptionError(std::string(kWhat) + ": " + m); };
  if (horizon_ < 1) fail("horizon must be >= 1, got " + std::to_string(horizon_));
  if (num_features_ < 0) fail("num_features must be >= 0, got " + std::to_string(num_features_));
  if (cell_ != "lstm" && cell_ != "gru") fail("cell must be \"lstm\" or \"gru\", got \"" + cell_ + "\"");
  if (hidden_size_ < 1) fail("hidden_size must be >= 1, got " + std::to_string(hidden_size_));
  if (num_layers_ < 1) fail("num_layers must be >= 1, got " + std::to_string(num_layers_));
  if (!(dropout_ >= 0.0 && dropout_ < 1.0)) fail("dropout must be in [0, 1), got " + num(dropout_));
  if (!std::isfinite(target_mean_)) fail("target_mean must be finite, got " + num(target_mean_));
  if (!(target_std_ > 0.0 && std::isfinite(target_std_))) fail("target_std must be > 0 and finite, got " + num(target_std_));
  const auto K = static_cast<std::size_t>(num_features_);
  if (!feature_mean_.empty() && feature_mean_.size() != K)
    fail("feature_mean must hold num_features = " + std::to_string(K) + " values, got " + std::to_string(feature_mean_.size()));
  if (!feature_std_.empty() && feature_std_.size() != K)
    fail("feature_std must hold num_features = " + std::to_string(K) + " values, got " + std::to_string(feature_std_.size()));
  for (std::size_t k = 0; k < feature_mean_.size(); ++k)
    if (!std::isfinite(feature_mean_[k])) fail("feature_mean[" + std::to_string(k) + "] must be finite, got " + num(feature_mean_[k]));
  for (std::size_t k = 0; k < feature_std_.size(); ++k)
    if (!(feature_std_[k] > 0.0 && std::isfinite(feature_std_[k])))
      fail("feature_std[" + std::to_string(k) + "] must be > 0 and finite, got " + num(feature_std_[k]));
}

std::string ForecasterOptions::to_json() const {
  nlohmann::json j;
  j["horizon"] = horizon_;
  j["num_features"] = num_features_;
  j["cell"] = cell_;
  j["hidden_size"] = hidden_size_;
  j["num_layers"] = num_layers_;
  j["dropout"] = dropout_;
  j["bidirectional"] = bidirectional_;
  j["target_mean"] = target_mean_;
  j["target_std"] = target_std_;
  j["feature_mean"] = feature_mean_;
  j["feature_std"] = feature_std_;
  return j.dump();  // nlohmann writes doubles with round-trip precision
}

ForecasterOptions ForecasterOptions::from_json(const std::string& json) {
  using namespace models_json;
  const nlohmann::json j = parse_object(json, kWhat);
  ForecasterOptions o(get_required<std::int64_t>(j, "horizon", kWhat));
  o.cell(get_required<std::string>(j, "cell", kWhat));
  o.hidden_size(get_required<std::int64_t>(j, "hidden_size", kWhat));
  o.num_features(get_or<std::int64_t>(j, "num_features", o.num_features(), kWhat));
  o.num_layers(get_or<std::int64_t>(j, "num_layers", o.num_layers(), kWhat));
  o.dropout(get_or<double>(j, "dropout", o.dropout(), kWhat));
  o.bidirectional(get_or<bool>(j, "bidirectional", o.bidirectional(), kWhat));
  o.target_mean(get_or<double>(j, "target_mean", o.target_mean(), kWhat));
  o.target_std(get_or<double>(j, "target_std", o.target_std(), kWhat));
  o.feature_mean(get_or<std::vector<double>>(j, "feature_mean", {}, kWhat));
  o.feature_std(get_or<std::vector<double>>(j, "feature_std", {}, kWhat));
  o.validate();
  return o;
}

// ---- model ----

Forecaster::Forecaster(const Options& options) : options_(options) {
  options_.validate();
  const auto& o = options_;
  const std::int64_t in = 1 + o.num_features();
  if (o.cell() == "lstm")
    rnn_ = std::make_shared<LSTM>(LSTMOptions(in, o.hidden_size()).num_layers(o.num_layers()).dropout(o.dropout())
                                      .bidirectional(o.bidirectional()).batch_first(true));
  else
    rnn_ = std::make_shared<GRU>(GRUOptions(in, o.hidden_size()).num_layers(o.num_layers()).dropout(o.dropout())
                                     .bidirectional(o.bidirectional()).batch_first(true));
  register_module("rnn", rnn_);
  fc_ = std::make_shared<Linear>(LinearOptions((o.bidirectional() ? 2 : 1) * o.hidden_size(), o.horizon()));
  register_module("fc", fc_);
}

void Forecaster::fit_normalization(const std::vector<double>& series, const std::vector<std::vector<double>>& features) {
  auto stats = [](const std::vector<double>& v, double& mean, double& std) {
    double s = 0;
    for (double x : v) s += x;
    mean = s / static_cast<double>(v.size());
    double q = 0;
    for (double x : v) q += (x - mean) * (x - mean);
    std = std::sqrt(q / static_cast<double>(v.size()));
    if (!(std > 0.0) || !std::isfinite(std)) std = 1.0;  // a constant series: just centre it
  };
  if (series.empty()) throw ShapeError("Forecaster::fit_normalization: series is empty");
  for (std::size_t i = 0; i < series.size(); ++i)
    if (!std::isfinite(series[i])) throw ShapeError("Forecaster::fit_normalization: series[" + std::to_string(i) + "] is not finite");
  const auto K = static_cast<std::size_t>(options_.num_features());
  if (features.empty() != (K == 0))
    throw ShapeError("Forecaster::fit_normalization: features must have " + std::to_string(K) + " columns (num_features), got " +
                     (features.empty() ? std::string("none") : std::to_string(features[0].size())));
  double m, s;
  stats(series, m, s);
  Options o = options_;
  o.target_mean(m).target_std(s);
  if (K > 0) {
    std::vector<double> fm(K), fs(K), col(features.size());
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t t = 0; t < features.size(); ++t) {
        if (features[t].size() != K)
          throw ShapeError("Forecaster::fit_normalization: features row " + std::to_string(t) + " has " +
                           std::to_string(features[t].size()) + " values, expected " + std::to_string(K));
        col[t] = features[t][k];
      }
      stats(col, fm[k], fs[k]);
    }
    o.feature_mean(fm).feature_std(fs);
  }
  o.validate();
  options_ = o;
}

Tensor Forecaster::normalized_inputs(const Tensor& values, const Tensor& features) const {
  const std::int64_t K = options_.num_features();
  if (!values.defined() || !(values.dim() == 2 || (values.dim() == 3 && values.size(2) == 1)))
    throw ShapeError("Forecaster: values must be (B, W) or (B, W, 1), got " + shape_or_none(values));
  check_float(values, "values");
  const std::int64_t B = values.size(0), W = values.size(1);
  if (B < 1 || W < 1) throw ShapeError("Forecaster: values must have B >= 1 and W >= 1, got " + shape_str(values.shape()));
  if (K == 0 && features.defined())
    throw ShapeError("Forecaster: features given " + shape_str(features.shape()) + " but num_features is 0");
  if (K > 0) {
    const Shape want{B, W, K};
    if (!features.defined() || features.shape() != want)
      throw ShapeError("Forecaster: features must be " + shape_str(want) + " (B, W, num_features), got " + shape_or_none(features));
    check_float(features, "features");
  }
  const auto& o = options_;
  const std::vector<double> v = values.to_double_vector();
  const std::vector<double> f = K > 0 ? features.to_double_vector() : std::vector<double>();
  std::vector<double> x(static_cast<std::size_t>(B * W * (1 + K)));
  for (std::int64_t i = 0; i < B * W; ++i) {
    double* row = &x[static_cast<std::size_t>(i * (1 + K))];
    row[0] = (v[i] - o.target_mean()) / o.target_std();
    for (std::int64_t k = 0; k < K; ++k) {
      const double m = o.feature_mean().empty() ? 0.0 : o.feature_mean()[k];
      const double s = o.feature_std().empty() ? 1.0 : o.feature_std()[k];
      row[1 + k] = (f[static_cast<std::size_t>(i * K + k)] - m) / s;
    }
  }
  return Tensor::from_vector(x, {B, W, 1 + K}).to(fc_->parameters()[0].dtype());
}

Tensor Forecaster::forward_normalized(const Tensor& values, const Tensor& features, const Tensor& lengths) {
  const Tensor x = normalized_inputs(values, features);
  const std::int64_t B = x.size(0), W = x.size(1);
  model_checks::check_lengths(lengths, B, W, "Forecaster");
  const RecurrentOutput out = rnn_->forward(x, lengths);
  const std::int64_t D = options_.bidirectional() ? 2 : 1, L = options_.num_layers(), H = options_.hidden_size();
  // h_n rows (L*D, B, H): the last layer's D rows -> (B, D*H), forward direction first (PyTorch's h_n[-D:].transpose(0, 1))
  const Tensor last = reshape(transpose(narrow(out.h_n, 0, (L - 1) * D, D), 0, 1), {B, D * H});
  return fc_->forward(dropout(last, options_.dropout(), is_training()));
}

Tensor Forecaster::forward(const Tensor& values, const Tensor& features, const Tensor& lengths) {
  const Tensor y = forward_normalized(values, features, lengths);
  return add(scale(y, options_.target_std()), Tensor::full(y.shape(), options_.target_mean(), y.dtype()));
}

Tensor Forecaster::loss(const Tensor& values, const Tensor& features, const Tensor& targets, const Tensor& lengths) {
  const Tensor y = forward_normalized(values, features, lengths);
  if (!targets.defined() || targets.shape() != y.shape())
    throw ShapeError("Forecaster::loss: targets must be " + shape_str(y.shape()) + " (B, horizon), got " + shape_or_none(targets));
  check_float(targets, "targets");
  std::vector<double> t = targets.to_double_vector();
  for (double& v : t) v = (v - options_.target_mean()) / options_.target_std();
  return mse_loss(y, Tensor::from_vector(t, y.shape()).to(y.dtype()));
}

Tensor Forecaster::predict(const Tensor& values, const Tensor& features, const Tensor& lengths) {
  const bool was_training = is_training();
  eval();
  NoGradGuard ng;
  Tensor y;
  try {
    y = forward(values, features, lengths);
  } catch (...) {
    train(was_training);
    throw;
  }
  train(was_training);
  return y;
}

// ---- helpers ----

Windows make_windows(const std::vector<double>& series, const std::vector<std::vector<double>>& features, std::int64_t window,
                     std::int64_t horizon, std::int64_t stride) {
  if (window < 1 || horizon < 1 || stride < 1)
    throw OptionError("make_windows: window, horizon and stride must be >= 1, got " + std::to_string(window) + ", " +
                      std::to_string(horizon) + ", " + std::to_string(stride));
  const auto n = static_cast<std::int64_t>(series.size());
  if (n < window + horizon)
    throw ShapeError("make_windows: the series has " + std::to_string(n) + " values, fewer than window + horizon = " +
                     std::to_string(window + horizon));
  const std::int64_t K = features.empty() ? 0 : static_cast<std::int64_t>(features[0].size());
  if (!features.empty()) {
    if (static_cast<std::int64_t>(features.size()) != n)
      throw ShapeError("make_windows: features has " + std::to_string(features.size()) + " rows, expected one per value (" +
                       std::to_string(n) + ")");
    for (std::size_t t = 0; t < features.size(); ++t)
      if (static_cast<std::int64_t>(features[t].size()) != K || K == 0)
        throw ShapeError("make_windows: features row " + std::to_string(t) + " has " + std::to_string(features[t].size()) +
                         " values, expected " + std::to_string(K) + " (and at least 1)");
  }
  const std::int64_t N = (n - window - horizon) / stride + 1;
  std::vector<float> in(static_cast<std::size_t>(N * window)), tg(static_cast<std::size_t>(N * horizon)),
      ft(static_cast<std::size_t>(N * window * K));
  for (std::int64_t w = 0; w < N; ++w) {
    const std::int64_t s = w * stride;
    for (std::int64_t i = 0; i < window; ++i) {
      in[static_cast<std::size_t>(w * window + i)] = static_cast<float>(series[static_cast<std::size_t>(s + i)]);
      for (std::int64_t k = 0; k < K; ++k)
        ft[static_cast<std::size_t>((w * window + i) * K + k)] = static_cast<float>(features[static_cast<std::size_t>(s + i)][k]);
    }
    for (std::int64_t h = 0; h < horizon; ++h)
      tg[static_cast<std::size_t>(w * horizon + h)] = static_cast<float>(series[static_cast<std::size_t>(s + window + h)]);
  }
  Windows r;
  r.inputs = Tensor::from_vector(in, {N, window});
  r.targets = Tensor::from_vector(tg, {N, horizon});
  if (K > 0) r.features = Tensor::from_vector(ft, {N, window, K});
  return r;
}

namespace {
void check_pair(const Tensor& p, const Tensor& y, const char* what) {
  if (!p.defined() || !y.defined() || p.shape() != y.shape())
    throw ShapeError(std::string(what) + ": prediction " + shape_or_none(p) + " and target " + shape_or_none(y) + " must have one shape");
  if (p.numel() == 0) throw ShapeError(std::string(what) + ": no elements");
}
}  // namespace

double mae(const Tensor& prediction, const Tensor& target) {
  check_pair(prediction, target, "mae");
  double s = 0;
  for (std::int64_t i = 0; i < target.numel(); ++i) s += std::abs(prediction.item(i) - target.item(i));
  return s / static_cast<double>(target.numel());
}

double rmse(const Tensor& prediction, const Tensor& target) {
  check_pair(prediction, target, "rmse");
  double s = 0;
  for (std::int64_t i = 0; i < target.numel(); ++i) s += std::pow(prediction.item(i) - target.item(i), 2);
  return std::sqrt(s / static_cast<double>(target.numel()));
}

double mape(const Tensor& prediction, const Tensor& target) {
  check_pair(prediction, target, "mape");
  double s = 0;
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < target.numel(); ++i) {
    const double y = target.item(i);
    if (y == 0.0) continue;
    s += std::abs(prediction.item(i) - y) / std::abs(y);
    ++n;
  }
  return n > 0 ? 100.0 * s / static_cast<double>(n) : NAN;
}

Tensor seasonal_naive(const Tensor& inputs, std::int64_t season, std::int64_t horizon) {
  if (season < 1 || horizon < 1)
    throw OptionError("seasonal_naive: season and horizon must be >= 1, got " + std::to_string(season) + ", " + std::to_string(horizon));
  if (!inputs.defined() || !(inputs.dim() == 2 || (inputs.dim() == 3 && inputs.size(2) == 1)))
    throw ShapeError("seasonal_naive: inputs must be (B, W) or (B, W, 1), got " + shape_or_none(inputs));
  const std::int64_t B = inputs.size(0), W = inputs.size(1);
  if (W < season)
    throw ShapeError("seasonal_naive: windows of " + std::to_string(W) + " values are shorter than the season " + std::to_string(season));
  std::vector<float> out(static_cast<std::size_t>(B * horizon));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < horizon; ++h)
      out[static_cast<std::size_t>(b * horizon + h)] = static_cast<float>(inputs.item(b * W + W - season + h % season));
  return Tensor::from_vector(out, {B, horizon});
}

}  // namespace birnn
