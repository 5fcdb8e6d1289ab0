// CNNLSTMBiGRUClassifier: a text classifier that finds local n-gram features with a convolution, halves
// the sequence with max pooling, reads it with an LSTM and then a bidirectional GRU, and classifies the
// max (or mean) of the GRU outputs over each sequence's real steps.
//
//   ids (B, T) int64, 0 = padding; lengths (B) int64, 1 <= lengths[b] <= T (undefined = all T)
//   m[b, t] = 1 if t < lengths[b] else 0
//   e = embedding(ids) * m                          (B, T, E)      positions past the length are zero
//   c = relu(conv(e^T)) * m                         (B, F, T)      Conv1d(E, F, K, padding K/2), K odd ('same');
//                                                                  outputs past the length are zeroed
//   c = max_pool1d(pad_right(c, 0), P, P)           (B, F, T')     T' = ceil(T / P); lengths' = ceil(lengths / P)
//   h = lstm(c^T, lengths')                         (B, T', Hl)
//   g = gru(h, lengths')                            (B, T', 2*Hg)  bidirectional
//   p = max_over_time(g, lengths')  (or mean)       (B, 2*Hg)
//   logits = fc(dropout(p))                         (B, num_classes)
//
// Pooling and lengths: the conv output is padded on the right with zeros up to a multiple of P (T' =
// ceil(T/P) windows) and item b keeps ceil(lengths[b]/P) pooled steps, so even a 1-token text keeps one.
// Padding never leaks into real positions: the embedding is zeroed past each length (so the conv sees
// exactly the zero padding it sees for the item alone), and the conv output is zeroed past each length
// after the ReLU, so a last window that is only partly real returns the max of its real positions (all
// real values are >= 0 after the ReLU). A padded batch thus gives, item by item, what each item alone gives.
//
//   CNNLSTMBiGRUClassifier model(CNNLSTMBiGRUClassifierOptions(vocab, 2).filters(32).kernel_size(3));
//   Tensor loss = model.loss(ids, lengths, labels);  ...  model.eval();  Tensor y = model.predict(ids, lengths);
//
// Parameter names equal those of the PyTorch module in tests/reference/make_model_cnn_lstm_bigru_classifier.py
// (embedding.weight, conv.weight, conv.bias, lstm.*, gru.*, fc.*), so its state_dict loads here.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class CNNLSTMBiGRUClassifierOptions {
 public:
  CNNLSTMBiGRUClassifierOptions(std::int64_t vocab_size, std::int64_t num_classes)
      : vocab_size_(vocab_size), num_classes_(num_classes) {}
  /// Number of token ids, padding id 0 included (ids are in [0, vocab_size)).
  CNNLSTMBiGRUClassifierOptions& vocab_size(std::int64_t v) { vocab_size_ = v; return *this; }
  /// Width E of the token embeddings.
  CNNLSTMBiGRUClassifierOptions& embedding_dim(std::int64_t v) { embedding_dim_ = v; return *this; }
  /// Output channels F of the convolution.
  CNNLSTMBiGRUClassifierOptions& filters(std::int64_t v) { filters_ = v; return *this; }
  /// Convolution width K, odd ('same' padding K/2 on both sides).
  CNNLSTMBiGRUClassifierOptions& kernel_size(std::int64_t v) { kernel_size_ = v; return *this; }
  /// Window and stride P of the max pooling after the convolution (1 = no pooling).
  CNNLSTMBiGRUClassifierOptions& pool_size(std::int64_t v) { pool_size_ = v; return *this; }
  /// Hidden size Hl of the LSTM.
  CNNLSTMBiGRUClassifierOptions& lstm_hidden(std::int64_t v) { lstm_hidden_ = v; return *this; }
  /// Hidden size Hg per direction of the bidirectional GRU.
  CNNLSTMBiGRUClassifierOptions& gru_hidden(std::int64_t v) { gru_hidden_ = v; return *this; }
  /// Pooling of the GRU outputs over time: "max" or "mean" (both over the real steps only).
  CNNLSTMBiGRUClassifierOptions& pooling(const std::string& v) { pooling_ = v; return *this; }
  /// Dropout on the pooled features before the last Linear (training only), in [0, 1).
  CNNLSTMBiGRUClassifierOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Number of classes (>= 2); labels are in [0, num_classes).
  CNNLSTMBiGRUClassifierOptions& num_classes(std::int64_t v) { num_classes_ = v; return *this; }

  std::int64_t vocab_size() const { return vocab_size_; }
  std::int64_t embedding_dim() const { return embedding_dim_; }
  std::int64_t filters() const { return filters_; }
  std::int64_t kernel_size() const { return kernel_size_; }
  std::int64_t pool_size() const { return pool_size_; }
  std::int64_t lstm_hidden() const { return lstm_hidden_; }
  std::int64_t gru_hidden() const { return gru_hidden_; }
  const std::string& pooling() const { return pooling_; }
  double dropout() const { return dropout_; }
  std::int64_t num_classes() const { return num_classes_; }

  /// Throws OptionError naming the field and its value.
  void validate() const;
  std::string to_json() const;
  /// vocab_size and num_classes are required, the other fields default as above; unknown fields,
  /// wrong types and bad JSON throw OptionError.
  static CNNLSTMBiGRUClassifierOptions from_json(const std::string& json);

 private:
  std::int64_t vocab_size_, embedding_dim_ = 64, filters_ = 64, kernel_size_ = 3, pool_size_ = 2, lstm_hidden_ = 64,
                            gru_hidden_ = 64;
  std::string pooling_ = "max";
  double dropout_ = 0.2;
  std::int64_t num_classes_;
};

class CNNLSTMBiGRUClassifier : public Model {
 public:
  using Options = CNNLSTMBiGRUClassifierOptions;
  static constexpr const char* kModelType = "cnn_lstm_bigru_classifier";

  explicit CNNLSTMBiGRUClassifier(const Options& options);

  /// ids (B, T) int64, lengths (B) int64 or undefined  ->  logits (B, num_classes).
  Tensor forward(const Tensor& ids, const Tensor& lengths = Tensor());
  /// Mean cross-entropy of forward(ids, lengths) against labels (B) int64 in [0, num_classes).
  Tensor loss(const Tensor& ids, const Tensor& lengths, const Tensor& labels);
  /// Most likely class per item, int64 (B); records no gradient. Call eval() first for deterministic output.
  Tensor predict(const Tensor& ids, const Tensor& lengths = Tensor());
  /// Fraction of items whose predicted class equals labels (B) int64.
  double accuracy(const Tensor& ids, const Tensor& lengths, const Tensor& labels);
  /// The lengths after pooling, int64 (B): ceil(lengths[b] / pool_size) (ceil(T / pool_size) if lengths is undefined).
  Tensor pooled_lengths(const Tensor& lengths, std::int64_t B, std::int64_t T) const;

  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<Conv1d> conv_;
  std::shared_ptr<MaxPool1d> pool_;
  std::shared_ptr<LSTM> lstm_;
  std::shared_ptr<GRU> gru_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace birnn
