// PooledTextClassifier: a text classifier that reads token ids with a stacked (Bi)LSTM and classifies
// the mean and the max of its normalised features over each sequence's real steps.
//
//   ids (B, T) int64, 0 = padding; lengths (B) int64, 1 <= lengths[b] <= T (undefined = all T)
//   e = embedding(ids)                              (B, T, E)     padding_idx 0: the padding row is zero
//   u = dropout(gelu(proj(e)))                      (B, T, M)
//   h = lstm(u, lengths)                            (B, T, D*H)   num_layers stacked, lstm_dropout between
//                                                                 layers, packed semantics, D = 2 if bidirectional
//   n = norm(h)                                     (B, T, D*H)   LayerNorm over the features
//   p = [mean_over_time(n), max_over_time(n)]       (B, 2*D*H)    over each item's first lengths[b] steps only
//   logits = head2(dropout(gelu(head1(p))))         (B, num_classes)
//
//   PooledTextClassifier model(PooledTextClassifierOptions(vocab, 3).hidden_size(32).bidirectional(true));
//   Adam opt(model.parameters(), 1e-3);
//   Tensor loss = model.loss(ids, lengths, labels);  opt.zero_grad(); loss.backward(); opt.step();
//   model.eval();  Tensor classes = model.predict(ids, lengths);       // int64 (B)
//
// Parameter names equal those of the PyTorch module in tests/reference/make_model_pooled_text_classifier.py
// (embedding.weight, proj.*, lstm.weight_ih_l0 ..., norm.*, head1.*, head2.*), so its state_dict loads here.
// Padding never changes a real item's output: the LSTM skips padded steps and both poolings ignore them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class PooledTextClassifierOptions {
 public:
  PooledTextClassifierOptions(std::int64_t vocab_size, std::int64_t num_classes)
      : vocab_size_(vocab_size), num_classes_(num_classes) {}
  /// Number of token ids, padding id 0 included (ids are in [0, vocab_size)).
  PooledTextClassifierOptions& vocab_size(std::int64_t v) { vocab_size_ = v; return *this; }
  /// Width E of the token embeddings.
  PooledTextClassifierOptions& embedding_dim(std::int64_t v) { embedding_dim_ = v; return *this; }
  /// Width M of the projection (Linear + GELU) applied to each embedding before the LSTM.
  PooledTextClassifierOptions& mlp_dim(std::int64_t v) { mlp_dim_ = v; return *this; }
  /// LSTM hidden size H per direction.
  PooledTextClassifierOptions& hidden_size(std::int64_t v) { hidden_size_ = v; return *this; }
  /// Stacked LSTM layers.
  PooledTextClassifierOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// Dropout between the LSTM layers (training only), in [0, 1).
  PooledTextClassifierOptions& lstm_dropout(double v) { lstm_dropout_ = v; return *this; }
  /// Whether the LSTM runs both directions (features 2*H) or forward only (H).
  PooledTextClassifierOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }
  /// Width M2 of the hidden layer of the classification head.
  PooledTextClassifierOptions& head_dim(std::int64_t v) { head_dim_ = v; return *this; }
  /// Dropout after the projection and in the head (training only), in [0, 1).
  PooledTextClassifierOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Number of classes (>= 2); labels are in [0, num_classes).
  PooledTextClassifierOptions& num_classes(std::int64_t v) { num_classes_ = v; return *this; }

  std::int64_t vocab_size() const { return vocab_size_; }
  std::int64_t embedding_dim() const { return embedding_dim_; }
  std::int64_t mlp_dim() const { return mlp_dim_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  double lstm_dropout() const { return lstm_dropout_; }
  bool bidirectional() const { return bidirectional_; }
  std::int64_t head_dim() const { return head_dim_; }
  double dropout() const { return dropout_; }
  std::int64_t num_classes() const { return num_classes_; }
  /// Width of the LSTM features: hidden_size * (bidirectional ? 2 : 1).
  std::int64_t feature_size() const { return hidden_size_ * (bidirectional_ ? 2 : 1); }

  /// Throws OptionError naming the field and its value.
  void validate() const;
  std::string to_json() const;
  /// vocab_size and num_classes are required, the other fields default as above; unknown fields,
  /// wrong types and bad JSON throw OptionError.
  static PooledTextClassifierOptions from_json(const std::string& json);

 private:
  std::int64_t vocab_size_, embedding_dim_ = 64, mlp_dim_ = 64, hidden_size_ = 64, num_layers_ = 3;
  double lstm_dropout_ = 0.5;
  bool bidirectional_ = true;
  std::int64_t head_dim_ = 64;
  double dropout_ = 0.2;
  std::int64_t num_classes_;
};

class PooledTextClassifier : public Model {
 public:
  using Options = PooledTextClassifierOptions;
  static constexpr const char* kModelType = "pooled_text_classifier";

  explicit PooledTextClassifier(const Options& options);

  /// ids (B, T) int64, lengths (B) int64 or undefined  ->  logits (B, num_classes).
  Tensor forward(const Tensor& ids, const Tensor& lengths = Tensor());
  /// Mean cross-entropy of forward(ids, lengths) against labels (B) int64 in [0, num_classes).
  Tensor loss(const Tensor& ids, const Tensor& lengths, const Tensor& labels);
  /// Most likely class per item, int64 (B); records no gradient. Call eval() first for deterministic output.
  Tensor predict(const Tensor& ids, const Tensor& lengths = Tensor());
  /// Fraction of items whose predicted class equals labels (B) int64.
  double accuracy(const Tensor& ids, const Tensor& lengths, const Tensor& labels);

  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<Linear> proj_;
  std::shared_ptr<LSTM> lstm_;
  std::shared_ptr<LayerNorm> norm_;
  std::shared_ptr<Linear> head1_;
  std::shared_ptr<Linear> head2_;
};

}  // namespace birnn
