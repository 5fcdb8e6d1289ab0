// Forecaster: an LSTM/GRU that reads a window of W past values (plus optional calendar / exogenous
// features) and predicts the next H values, in the series' own units.
//
//   values (B, W) or (B, W, 1), features (B, W, K) optional
//     z = (values - target_mean) / target_std;   f_k = (features_k - feature_mean[k]) / feature_std[k]
//     -> rnn: LSTM or GRU over [z, f] (B, W, 1 + K), batch_first, dropout between layers (training only)
//     -> s = h_n of the last layer at each item's last step (B, D*H)  (both directions' if bidirectional)
//     -> dropout (training only) -> fc: Linear(D*H, horizon) -> y_norm (B, H)
//     -> forecast = y_norm * target_std + target_mean   (B, horizon)
//
//   ForecasterOptions o = ForecasterOptions(/*horizon=*/7).num_features(7).hidden_size(32);
//   Forecaster model(o);
//   model.fit_normalization(train_series, train_features);   // from training data only
//   Windows w = make_windows(series, features, /*window=*/28, /*horizon=*/7, /*stride=*/1);
//   Tensor l = model.loss(w.inputs, w.features, w.targets);  // MSE on the normalised scale
//   Tensor yhat = model.forward(w.inputs, w.features);       // original units
//   save_model("fc", model);  load_model<Forecaster>("fc");  // normalisation travels in the options JSON
//
// The loss is the mean squared error of y_norm against (targets - target_mean) / target_std: it is the
// MSE in original units divided by target_std^2, so it has the same minimiser, but its size (~1 for a
// constant-mean forecast) and the gradients do not depend on the series' units, so one learning rate
// works for births per day and for temperatures alike.
//
// PyTorch counterpart (tests/reference/make_model_forecaster.py): attributes `rnn` (nn.LSTM/nn.GRU,
// batch_first=True) and `fc`; the normalisation constants are constructor arguments there, not state.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class ForecasterOptions {
 public:
  explicit ForecasterOptions(std::int64_t horizon) : horizon_(horizon) {}
  /// Steps H predicted at once, >= 1.
  ForecasterOptions& horizon(std::int64_t v) { horizon_ = v; return *this; }
  /// Extra input features K per step (calendar, exogenous), >= 0.
  ForecasterOptions& num_features(std::int64_t v) { num_features_ = v; return *this; }
  /// Recurrent cell: "lstm" or "gru".
  ForecasterOptions& cell(const std::string& v) { cell_ = v; return *this; }
  /// Hidden size of each recurrent layer (per direction).
  ForecasterOptions& hidden_size(std::int64_t v) { hidden_size_ = v; return *this; }
  /// Stacked recurrent layers.
  ForecasterOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// Dropout in [0, 1) between recurrent layers and before fc, training mode only.
  ForecasterOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Read the window in both directions (the whole window is the past, so this is legitimate).
  ForecasterOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }
  /// Mean subtracted from the values (and added back to the forecasts).
  ForecasterOptions& target_mean(double v) { target_mean_ = v; return *this; }
  /// Scale the values are divided by (and the forecasts multiplied by), > 0.
  ForecasterOptions& target_std(double v) { target_std_ = v; return *this; }
  /// Per-feature means (K values, or empty = all 0).
  ForecasterOptions& feature_mean(std::vector<double> v) { feature_mean_ = std::move(v); return *this; }
  /// Per-feature scales (K values > 0, or empty = all 1).
  ForecasterOptions& feature_std(std::vector<double> v) { feature_std_ = std::move(v); return *this; }

  std::int64_t horizon() const { return horizon_; }
  std::int64_t num_features() const { return num_features_; }
  const std::string& cell() const { return cell_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  double dropout() const { return dropout_; }
  bool bidirectional() const { return bidirectional_; }
  double target_mean() const { return target_mean_; }
  double target_std() const { return target_std_; }
  const std::vector<double>& feature_mean() const { return feature_mean_; }
  const std::vector<double>& feature_std() const { return feature_std_; }

  /// Throws OptionError naming the field and its value.
  void validate() const;
  /// Every field, the normalisation constants included (doubles round-trip exactly).
  std::string to_json() const;
  /// Bad JSON, a missing horizon / cell / hidden_size or a field of the wrong type: OptionError.
  static ForecasterOptions from_json(const std::string& json);

 private:
  std::int64_t horizon_;
  std::int64_t num_features_ = 0;
  std::string cell_ = "lstm";
  std::int64_t hidden_size_ = 64;
  std::int64_t num_layers_ = 1;
  double dropout_ = 0.0;
  bool bidirectional_ = false;
  double target_mean_ = 0.0, target_std_ = 1.0;
  std::vector<double> feature_mean_, feature_std_;
};

class Forecaster : public Model {
 public:
  using Options = ForecasterOptions;
  static constexpr const char* kModelType = "forecaster";

  explicit Forecaster(const Options& options);
  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }

  /// Sets the normalisation in options() from training data only: target mean and (population) std of
  /// `series`, and per column of `features` (rows = time steps, K columns) if K > 0. A constant column
  /// gets std 1. Call it before training; it changes what forward() computes.
  void fit_normalization(const std::vector<double>& series, const std::vector<std::vector<double>>& features = {});

  /// values (B, W) or (B, W, 1); features (B, W, K) (undefined iff K == 0); lengths int64 (B) in 1..W
  /// or undefined (all W; with lengths the last real step of item b is lengths[b] - 1) -> forecasts
  /// (B, horizon) in the values' units. dtype of the parameters (float32, or float64 after to()).
  Tensor forward(const Tensor& values, const Tensor& features = Tensor(), const Tensor& lengths = Tensor());
  /// The same before de-normalisation: (B, horizon) on the normalised scale.
  Tensor forward_normalized(const Tensor& values, const Tensor& features = Tensor(), const Tensor& lengths = Tensor());
  /// MSE between forward_normalized() and the normalised targets (B, horizon) (see the header comment).
  Tensor loss(const Tensor& values, const Tensor& features, const Tensor& targets, const Tensor& lengths = Tensor());
  /// forward() without recording gradients, in eval mode (the mode is restored).
  Tensor predict(const Tensor& values, const Tensor& features = Tensor(), const Tensor& lengths = Tensor());

 private:
  Tensor normalized_inputs(const Tensor& values, const Tensor& features) const;  // (B, W, 1 + K)
  Options options_;
  std::shared_ptr<RecurrentBase> rnn_;
  std::shared_ptr<Linear> fc_;
};

// ---- helpers ----

/// Supervised windows cut from a series: window w starts at s = w * stride;
///   inputs[w]   = series[s, s + window)               (N, window)
///   features[w] = features[s, s + window)             (N, window, K), undefined when K == 0
///   targets[w]  = series[s + window, s + window + horizon)   (N, horizon)
/// N = (len - window - horizon) / stride + 1 (a series too short for one window: ShapeError).
/// features: one row of K values per time step (same length as series) or empty. float32 tensors.
struct Windows {
  Tensor inputs, features, targets;
};
Windows make_windows(const std::vector<double>& series, const std::vector<std::vector<double>>& features,
                     std::int64_t window, std::int64_t horizon, std::int64_t stride = 1);

/// Mean absolute error over all elements of same-shaped tensors.
double mae(const Tensor& prediction, const Tensor& target);
/// Root mean squared error.
double rmse(const Tensor& prediction, const Tensor& target);
/// Mean absolute percentage error in percent, 100 * mean |p - y| / |y|, over the elements whose target
/// y is not zero (a zero target has no percentage error; they are skipped, not counted). NaN if all are zero.
double mape(const Tensor& prediction, const Tensor& target);

/// The seasonal-naive baseline: each forecast repeats the value one season earlier,
///   forecast[b, h] = inputs[b, W - season + (h mod season)]   for h = 0..horizon-1,
/// from windows inputs (B, W) or (B, W, 1) with W >= season. float32 (B, horizon).
Tensor seasonal_naive(const Tensor& inputs, std::int64_t season = 7, std::int64_t horizon = 7);

}  // namespace birnn
