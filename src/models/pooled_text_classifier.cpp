// PooledTextClassifier: embedding -> Linear + GELU -> stacked (Bi)LSTM -> LayerNorm -> [mean, max] over
// each item's real steps -> Linear + GELU + Dropout -> Linear. See the header for the shapes.
#include "birnn/models/pooled_text_classifier.hpp"

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/input_checks.hpp"
#include "models/json_options.hpp"

namespace birnn {

namespace {

const char* const kWho = "PooledTextClassifier";

void check_inputs(const Tensor& ids, const Tensor& lengths) { model_checks::check_ids_and_lengths(ids, lengths, kWho); }

void check_labels(const Tensor& labels, std::int64_t B, std::int64_t C) {
  model_checks::check_class_labels(labels, B, C, kWho);
}

}  // namespace

// ---- options ----

void PooledTextClassifierOptions::validate() const {
  auto positive = [](const char* field, std::int64_t v, std::int64_t min) {
    if (v < min)
      throw OptionError(std::string(kWho) + "Options: " + field + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  };
  auto probability = [](const char* field, double v) {
    if (!(v >= 0.0 && v < 1.0)) throw OptionError(std::string(kWho) + "Options: " + field + " must be in [0, 1), got " + std::to_string(v));
  };
  positive("vocab_size", vocab_size_, 2);
  positive("embedding_dim", embedding_dim_, 1);
  positive("mlp_dim", mlp_dim_, 1);
  positive("hidden_size", hidden_size_, 1);
  positive("num_layers", num_layers_, 1);
  probability("lstm_dropout", lstm_dropout_);
  positive("head_dim", head_dim_, 1);
  probability("dropout", dropout_);
  positive("num_classes", num_classes_, 2);
}

std::string PooledTextClassifierOptions::to_json() const {
  nlohmann::json j = {{"vocab_size", vocab_size_}, {"embedding_dim", embedding_dim_}, {"mlp_dim", mlp_dim_},
                      {"hidden_size", hidden_size_}, {"num_layers", num_layers_},     {"lstm_dropout", lstm_dropout_},
                      {"bidirectional", bidirectional_}, {"head_dim", head_dim_},     {"dropout", dropout_},
                      {"num_classes", num_classes_}};
  return j.dump();
}

PooledTextClassifierOptions PooledTextClassifierOptions::from_json(const std::string& json) {
  using namespace models_json;
  const std::string what = std::string(kWho) + "Options";
  const nlohmann::json j = parse_object(json, what);
  static const char* const known[] = {"vocab_size", "embedding_dim", "mlp_dim", "hidden_size", "num_layers",
                                      "lstm_dropout", "bidirectional", "head_dim", "dropout", "num_classes"};
  reject_unknown_fields(j, known, what);
  PooledTextClassifierOptions d(get_required<std::int64_t>(j, "vocab_size", what),
                                get_required<std::int64_t>(j, "num_classes", what));
  d.embedding_dim(get_or(j, "embedding_dim", d.embedding_dim(), what))
      .mlp_dim(get_or(j, "mlp_dim", d.mlp_dim(), what))
      .hidden_size(get_or(j, "hidden_size", d.hidden_size(), what))
      .num_layers(get_or(j, "num_layers", d.num_layers(), what))
      .lstm_dropout(get_or(j, "lstm_dropout", d.lstm_dropout(), what))
      .bidirectional(get_or(j, "bidirectional", d.bidirectional(), what))
      .head_dim(get_or(j, "head_dim", d.head_dim(), what))
      .dropout(get_or(j, "dropout", d.dropout(), what));
  d.validate();
  return d;
}

// ---- model ----

PooledTextClassifier::PooledTextClassifier(const Options& o) : options_(o) {
  o.validate();
  embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.vocab_size(), o.embedding_dim()).padding_idx(0));
  proj_ = std::make_shared<Linear>(LinearOptions(o.embedding_dim(), o.mlp_dim()));
  lstm_ = std::make_shared<LSTM>(LSTMOptions(o.mlp_dim(), o.hidden_size())
                                     .num_layers(o.num_layers())
                                     .dropout(o.lstm_dropout())
                                     .bidirectional(o.bidirectional())
                                     .batch_first(true));
  norm_ = std::make_shared<LayerNorm>(LayerNormOptions(o.feature_size()));
  head1_ = std::make_shared<Linear>(LinearOptions(2 * o.feature_size(), o.head_dim()));
  head2_ = std::make_shared<Linear>(LinearOptions(o.head_dim(), o.num_classes()));
  register_module("embedding", embedding_);
  register_module("proj", proj_);
  register_module("lstm", lstm_);
  register_module("norm", norm_);
  register_module("head1", head1_);
  register_module("head2", head2_);
}

Tensor PooledTextClassifier::forward(const Tensor& ids, const Tensor& lengths) {
  check_inputs(ids, lengths);
  const bool training = is_training();
  Tensor e = embedding_->forward(ids);                                             // (B, T, E)
  Tensor u = dropout(gelu(proj_->forward(e)), options_.dropout(), training);        // (B, T, M)
  Tensor n = norm_->forward(lstm_->forward(u, lengths).output);                    // (B, T, D*H)
  Tensor pooled = cat({mean_over_time(n, lengths, true), max_over_time(n, lengths, true)}, 1);  // (B, 2*D*H)
  Tensor z = dropout(gelu(head1_->forward(pooled)), options_.dropout(), training);  // (B, M2)
  return head2_->forward(z);                                                       // (B, C)
}

Tensor PooledTextClassifier::loss(const Tensor& ids, const Tensor& lengths, const Tensor& labels) {
  check_inputs(ids, lengths);
  check_labels(labels, ids.size(0), options_.num_classes());
  return cross_entropy(forward(ids, lengths), labels);
}

Tensor PooledTextClassifier::predict(const Tensor& ids, const Tensor& lengths) {
  NoGradGuard ng;
  return model_checks::argmax_rows(forward(ids, lengths));
}

double PooledTextClassifier::accuracy(const Tensor& ids, const Tensor& lengths, const Tensor& labels) {
  check_inputs(ids, lengths);
  check_labels(labels, ids.size(0), options_.num_classes());
  return model_checks::fraction_equal(predict(ids, lengths), labels);
}

}  // namespace birnn
