// BiGRUClassifier: the Keras model Bidirectional(GRU(64, return_sequences=True), merge_mode) followed by
// either a per-step Dense(1) (a binary label per time step) or a pooling over time and a Dense(1), with
// sigmoid outputs and binary cross-entropy. Input is float features or token ids (then an Embedding).
//
//   BiGRUClassifier tagger(BiGRUClassifierOptions().input_size(4).head(BiGRUClassifierOptions::Head::per_step));
//   BiGRUClassifier spam(BiGRUClassifierOptions().vocab_size(5000).embedding_dim(32)
//                            .head(BiGRUClassifierOptions::Head::pooled).pooling(BiGRUClassifierOptions::Pooling::max));
//   Tensor logits = spam.forward(ids, lengths);   // ids: int64 (B, T), 0 = padding; lengths: int64 (B) or undefined
//   Tensor loss = spam.loss(ids, y, lengths);     // y: (B) in [0, 1] (pooled) or (B, T) (per_step, masked)
//   Tensor p = spam.predict_proba(ids, lengths);  // sigmoid(logits)
//
// Shapes and equations (H = hidden_size, M = 2H for concat, else H):
//   e       = embedding(ids)  or  x              // (B, T, E)
//   out, hn = gru(e, lengths)                    // bidirectional, batch_first; out (B, T, 2H), zero at padding
//   m       = merge(out[..., :H], out[..., H:])  // concat | sum | mul | ave  -> (B, T, M)
//   per_step: logits = fc(dropout(m))                   -> (B, T); logits at padded steps are meaningless
//                                                          (fc of zeros) and masked out of loss/accuracy
//   pooled:   logits = fc(dropout(pool(m)))             -> (B)
//             pool = max | mean over each item's real steps, or last = merge(hn[fwd], hn[bwd]) of the
//             last layer: each direction's final state (Keras' Bidirectional(GRU(...)) without
//             return_sequences), i.e. m's forward half at step len-1 and backward half at step 0.
// GRU form: reset_after(true) (default; PyTorch, Keras 2 default) or false (the original GRU, Keras
// reset_after=False): see rnn.hpp. Stacked layers (num_layers > 1) follow torch.nn.GRU: each layer reads
// the previous layer's concatenated output; the merge applies to the last layer. dropout acts between
// stacked layers and on the merged features before fc, in training mode only.
// PyTorch names: `embedding` (if vocab_size > 0), `gru`, `fc` (see tests/reference/make_model_bigru_classifier.py).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class BiGRUClassifierOptions {
 public:
  /// per_step: one logit per time step; pooled: one logit per sequence.
  enum class Head { per_step, pooled };
  /// How a pooled head summarises the steps (each item's real steps only).
  enum class Pooling { max, mean, last };

  /// Float features per step (input (B, T, input_size)); leave 0 when vocab_size is set.
  BiGRUClassifierOptions& input_size(std::int64_t v) { input_size_ = v; return *this; }
  /// Token vocabulary size; > 0 adds an `embedding` (id 0 = padding) and the input is ids (B, T).
  BiGRUClassifierOptions& vocab_size(std::int64_t v) { vocab_size_ = v; return *this; }
  /// Embedding width (with vocab_size).
  BiGRUClassifierOptions& embedding_dim(std::int64_t v) { embedding_dim_ = v; return *this; }
  /// GRU units per direction (Keras GRU(64)).
  BiGRUClassifierOptions& hidden_size(std::int64_t v) { hidden_size_ = v; return *this; }
  /// Stacked bidirectional GRU layers.
  BiGRUClassifierOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// true: PyTorch/Keras-2 GRU (reset gate after the recurrent product); false: the original GRU.
  BiGRUClassifierOptions& reset_after(bool v) { reset_after_ = v; return *this; }
  /// How the directions are combined: concat (default), sum, mul, ave.
  BiGRUClassifierOptions& merge_mode(BiMerge v) { merge_mode_ = v; return *this; }
  /// per_step or pooled (default).
  BiGRUClassifierOptions& head(Head v) { head_ = v; return *this; }
  /// max (default), mean or last; used by the pooled head.
  BiGRUClassifierOptions& pooling(Pooling v) { pooling_ = v; return *this; }
  /// Dropout between GRU layers and before fc, training mode only, in [0, 1).
  BiGRUClassifierOptions& dropout(double v) { dropout_ = v; return *this; }

  std::int64_t input_size() const { return input_size_; }
  std::int64_t vocab_size() const { return vocab_size_; }
  std::int64_t embedding_dim() const { return embedding_dim_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  bool reset_after() const { return reset_after_; }
  BiMerge merge_mode() const { return merge_mode_; }
  Head head() const { return head_; }
  Pooling pooling() const { return pooling_; }
  double dropout() const { return dropout_; }
  /// Features the GRU reads per step: embedding_dim with a vocabulary, else input_size.
  std::int64_t gru_input_size() const { return vocab_size_ > 0 ? embedding_dim_ : input_size_; }
  /// Width of the merged features fc reads: 2 * hidden_size for concat, else hidden_size.
  std::int64_t merged_size() const { return merge_mode_ == BiMerge::concat ? 2 * hidden_size_ : hidden_size_; }

  static const char* head_name(Head h);
  static const char* pooling_name(Pooling p);
  /// "per_step" | "pooled"; "max" | "mean" | "last"; anything else: OptionError.
  static Head head_from_string(const std::string& s);
  static Pooling pooling_from_string(const std::string& s);

  /// Throws OptionError naming the field and its value.
  void validate() const;
  /// All fields, enums as their names; from_json requires hidden_size and input_size or vocab_size
  /// (+ embedding_dim), defaults the rest. Bad JSON, missing field, wrong type: OptionError naming it.
  std::string to_json() const;
  static BiGRUClassifierOptions from_json(const std::string& json);

 private:
  std::int64_t input_size_ = 0, vocab_size_ = 0, embedding_dim_ = 0, hidden_size_ = 64, num_layers_ = 1;
  bool reset_after_ = true;
  BiMerge merge_mode_ = BiMerge::concat;
  Head head_ = Head::pooled;
  Pooling pooling_ = Pooling::max;
  double dropout_ = 0.0;
};

class BiGRUClassifier : public Model {
 public:
  using Options = BiGRUClassifierOptions;
  static constexpr const char* kModelType = "bigru_classifier";

  explicit BiGRUClassifier(const Options& options);

  /// x: ids int64 (B, T) if vocab_size > 0, else float (B, T, input_size) in the parameters' dtype;
  /// lengths: int64 (B), 1..T, or undefined.  ->  logits (B) pooled, (B, T) per step.
  Tensor forward(const Tensor& x, const Tensor& lengths = Tensor());
  /// sigmoid(forward), no autograd.
  Tensor predict_proba(const Tensor& x, const Tensor& lengths = Tensor());
  /// int64 0/1 at threshold 0.5 (logit >= 0), same shape as forward.
  Tensor predict(const Tensor& x, const Tensor& lengths = Tensor());
  /// Mean binary_cross_entropy_with_logits against y: (B) pooled / (B, T) per step (over real steps only),
  /// float or int64, values in [0, 1] (else ShapeError naming the position).
  Tensor loss(const Tensor& x, const Tensor& y, const Tensor& lengths = Tensor());
  /// Fraction of predictions (real steps only, per step) equal to y >= 0.5.
  double accuracy(const Tensor& x, const Tensor& y, const Tensor& lengths = Tensor());

  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }

 private:
  Tensor targets(const Tensor& x, const Tensor& y, const Tensor& lengths) const;  // checked, in the model dtype
  Options options_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<GRU> gru_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace birnn
