// LastStepClassifier: a sequence classifier that reads each sequence with a recurrent layer (RNN tanh|relu,
// LSTM, GRU in either form; one or two directions; stacked) and classifies its final state with a Linear.
//
//   LastStepClassifier model(LastStepClassifierOptions(/*input_size=*/3, /*hidden_size=*/32, /*num_classes=*/2)
//                                .cell(CellKind::gru).bidirectional(true).num_layers(2).dropout(0.1));
//   Tensor logits = model.forward(x, lengths);     // x: (B, T, F) float; lengths: int64 (B), 1..T, or undefined
//   Tensor loss = model.loss(x, labels, lengths);  // cross-entropy; labels: int64 (B) in 0..C-1
//   Tensor classes = model.predict(x, lengths);    // int64 (B)
//
// Shapes and equations (L = num_layers, D = 1 or 2 directions, H = hidden_size or proj_size):
//   out, h_n = rnn(x, lengths)                    // h_n: (L*D, B, H), row layer*D + direction
//   feats    = h_n[(L-1)*D] ++ h_n[(L-1)*D + 1]   // (B, D*H): the last layer's final states
//   logits   = fc(feats)                          // (B, C)
// With variable lengths the forward state is taken at each item's last real step (out[b, len_b-1, :H]) and
// the backward one after it has read the whole sequence, i.e. at step 0 (out[b, 0, H:]); padding never
// changes a real item's logits. The PyTorch counterpart (attribute names `rnn`, `fc`, so state_dict keys
// match) is in tests/reference/make_model_last_step_classifier.py: pack_padded_sequence + h_n.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class LastStepClassifierOptions {
 public:
  LastStepClassifierOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_classes)
      : input_size_(input_size), hidden_size_(hidden_size), num_classes_(num_classes) {}
  /// The recurrent cell: rnn_tanh, rnn_relu, lstm (default), gru, gru_reset_before.
  LastStepClassifierOptions& cell(CellKind v) { cell_ = v; return *this; }
  /// Features per input step.
  LastStepClassifierOptions& input_size(std::int64_t v) { input_size_ = v; return *this; }
  /// Hidden state size per direction.
  LastStepClassifierOptions& hidden_size(std::int64_t v) { hidden_size_ = v; return *this; }
  /// Stacked recurrent layers.
  LastStepClassifierOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// Read each sequence in both directions (the classifier then sees 2 * hidden features).
  LastStepClassifierOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }
  /// Dropout between stacked layers, training mode only, in [0, 1).
  LastStepClassifierOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Number of classes (logits per sequence), >= 2.
  LastStepClassifierOptions& num_classes(std::int64_t v) { num_classes_ = v; return *this; }
  /// LSTM only: project h to this size (0 = no projection, else < hidden_size).
  LastStepClassifierOptions& proj_size(std::int64_t v) { proj_size_ = v; return *this; }

  CellKind cell() const { return cell_; }
  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  bool bidirectional() const { return bidirectional_; }
  double dropout() const { return dropout_; }
  std::int64_t num_classes() const { return num_classes_; }
  std::int64_t proj_size() const { return proj_size_; }

  /// Throws OptionError naming the field and its value.
  void validate() const;
  /// The recurrent layer's configuration (batch_first).
  RecurrentConfig recurrent_config() const;
  /// {"cell": "lstm", "input_size": ..., ...}; from_json requires cell, input_size, hidden_size and
  /// num_classes and defaults the rest. Bad JSON, a missing field or a wrong type: OptionError naming it.
  std::string to_json() const;
  static LastStepClassifierOptions from_json(const std::string& json);

 private:
  CellKind cell_ = CellKind::lstm;
  std::int64_t input_size_, hidden_size_, num_layers_ = 1;
  bool bidirectional_ = false;
  double dropout_ = 0.0;
  std::int64_t num_classes_, proj_size_ = 0;
};

class LastStepClassifier : public Model {
 public:
  using Options = LastStepClassifierOptions;
  static constexpr const char* kModelType = "last_step_classifier";

  explicit LastStepClassifier(const Options& options);

  /// x: (B, T, input_size) float32/float64 (the parameters' dtype); lengths: int64 (B) or undefined -> (B, num_classes).
  Tensor forward(const Tensor& x, const Tensor& lengths = Tensor());
  /// The classifier's input: the last layer's final state(s) concatenated, (B, D * H).
  Tensor features(const Tensor& x, const Tensor& lengths = Tensor());
  /// argmax of the logits (no autograd) -> int64 (B).
  Tensor predict(const Tensor& x, const Tensor& lengths = Tensor());
  /// Mean cross-entropy against labels int64 (B) in 0..num_classes-1 (else ShapeError naming the item).
  Tensor loss(const Tensor& x, const Tensor& labels, const Tensor& lengths = Tensor());
  /// Fraction of items whose predicted class equals the label.
  double accuracy(const Tensor& x, const Tensor& labels, const Tensor& lengths = Tensor());

  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }
  RecurrentBase& rnn() { return *rnn_; }
  Linear& fc() { return *fc_; }

 private:
  Options options_;
  std::shared_ptr<RecurrentBase> rnn_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace birnn
