// CNNLSTMBiGRUClassifier: embedding -> Conv1d + ReLU (masked) -> MaxPool1d -> LSTM -> BiGRU -> max/mean over
// each item's real steps -> Dropout -> Linear. See the header for the shapes and the length rule.
#include "birnn/models/cnn_lstm_bigru_classifier.hpp"

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/input_checks.hpp"
#include "models/json_options.hpp"

namespace birnn {

namespace {

const char* const kWho = "CNNLSTMBiGRUClassifier";

void check_inputs(const Tensor& ids, const Tensor& lengths) { model_checks::check_ids_and_lengths(ids, lengths, kWho); }

void check_labels(const Tensor& labels, std::int64_t B, std::int64_t C) {
  model_checks::check_class_labels(labels, B, C, kWho);
}

// A constant 0/1 tensor of `shape` with 1 where the time index (dimension time_dim) is < lengths[b].
Tensor length_mask(const Shape& shape, std::int64_t time_dim, const Tensor& lengths, DType dtype) {
  Tensor m = Tensor::empty(shape, DType::f64);
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(time_dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t B = shape[0], T = shape[static_cast<std::size_t>(time_dim)], per_b = m.numel() / B;
  double* v = m.data<double>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t i = 0; i < per_b; ++i) v[b * per_b + i] = (i / inner) % T < lengths.data<std::int64_t>()[b] ? 1.0 : 0.0;
  return m.to(dtype);
}

}  // namespace

// ---- options ----

void CNNLSTMBiGRUClassifierOptions::validate() const {
  const std::string what = std::string(kWho) + "Options: ";
  auto at_least = [&](const char* field, std::int64_t v, std::int64_t min) {
    if (v < min) throw OptionError(what + field + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  };
  at_least("vocab_size", vocab_size_, 2);
  at_least("embedding_dim", embedding_dim_, 1);
  at_least("filters", filters_, 1);
  at_least("kernel_size", kernel_size_, 1);
  if (kernel_size_ % 2 == 0)
    throw OptionError(what + "kernel_size must be odd ('same' padding kernel_size/2 on both sides), got " +
                      std::to_string(kernel_size_));
  at_least("pool_size", pool_size_, 1);
  at_least("lstm_hidden", lstm_hidden_, 1);
  at_least("gru_hidden", gru_hidden_, 1);
  if (pooling_ != "max" && pooling_ != "mean")
    throw OptionError(what + "pooling must be \"max\" or \"mean\", got \"" + pooling_ + "\"");
  if (!(dropout_ >= 0.0 && dropout_ < 1.0)) throw OptionError(what + "dropout must be in [0, 1), got " + std::to_string(dropout_));
  at_least("num_classes", num_classes_, 2);
}

std::string CNNLSTMBiGRUClassifierOptions::to_json() const {
  nlohmann::json j = {{"vocab_size", vocab_size_}, {"embedding_dim", embedding_dim_}, {"filters", filters_},
                      {"kernel_size", kernel_size_}, {"pool_size", pool_size_},         {"lstm_hidden", lstm_hidden_},
                      {"gru_hidden", gru_hidden_},   {"pooling", pooling_},             {"dropout", dropout_},
                      {"num_classes", num_classes_}};
  return j.dump();
}

CNNLSTMBiGRUClassifierOptions CNNLSTMBiGRUClassifierOptions::from_json(const std::string& json) {
  using namespace models_json;
  const std::string what = std::string(kWho) + "Options";
  const nlohmann::json j = parse_object(json, what);
  static const char* const known[] = {"vocab_size", "embedding_dim", "filters", "kernel_size", "pool_size",
                                      "lstm_hidden", "gru_hidden", "pooling", "dropout", "num_classes"};
  reject_unknown_fields(j, known, what);
  CNNLSTMBiGRUClassifierOptions d(get_required<std::int64_t>(j, "vocab_size", what),
                                  get_required<std::int64_t>(j, "num_classes", what));
  d.embedding_dim(get_or(j, "embedding_dim", d.embedding_dim(), what))
      .filters(get_or(j, "filters", d.filters(), what))
      .kernel_size(get_or(j, "kernel_size", d.kernel_size(), what))
      .pool_size(get_or(j, "pool_size", d.pool_size(), what))
      .lstm_hidden(get_or(j, "lstm_hidden", d.lstm_hidden(), what))
      .gru_hidden(get_or(j, "gru_hidden", d.gru_hidden(), what))
      .pooling(get_or(j, "pooling", d.pooling(), what))
      .dropout(get_or(j, "dropout", d.dropout(), what));
  d.validate();
  return d;
}

// ---- model ----

CNNLSTMBiGRUClassifier::CNNLSTMBiGRUClassifier(const Options& o) : options_(o) {
  o.validate();
  embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.vocab_size(), o.embedding_dim()).padding_idx(0));
  conv_ = std::make_shared<Conv1d>(Conv1dOptions(o.embedding_dim(), o.filters(), o.kernel_size()).padding(o.kernel_size() / 2));
  pool_ = std::make_shared<MaxPool1d>(MaxPool1dOptions(o.pool_size()));
  lstm_ = std::make_shared<LSTM>(LSTMOptions(o.filters(), o.lstm_hidden()).batch_first(true));
  gru_ = std::make_shared<GRU>(GRUOptions(o.lstm_hidden(), o.gru_hidden()).bidirectional(true).batch_first(true));
  fc_ = std::make_shared<Linear>(LinearOptions(2 * o.gru_hidden(), o.num_classes()));
  register_module("embedding", embedding_);
  register_module("conv", conv_);
  register_module("lstm", lstm_);
  register_module("gru", gru_);
  register_module("fc", fc_);
}

Tensor CNNLSTMBiGRUClassifier::pooled_lengths(const Tensor& lengths, std::int64_t B, std::int64_t T) const {
  const std::int64_t P = options_.pool_size();
  std::vector<std::int64_t> out(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b)
    out[static_cast<std::size_t>(b)] = ((lengths.defined() ? lengths.data<std::int64_t>()[b] : T) + P - 1) / P;
  return Tensor::from_vector(out, {B});
}

Tensor CNNLSTMBiGRUClassifier::forward(const Tensor& ids, const Tensor& lengths) {
  check_inputs(ids, lengths);
  const std::int64_t B = ids.size(0), T = ids.size(1), P = options_.pool_size(), F = options_.filters();
  Tensor e = embedding_->forward(ids);                                                  // (B, T, E)
  if (lengths.defined()) e = mul(e, length_mask(e.shape(), 1, lengths, e.dtype()));
  Tensor c = relu(conv_->forward(transpose(e, 1, 2)));                                   // (B, F, T)
  if (lengths.defined()) c = mul(c, length_mask(c.shape(), 2, lengths, c.dtype()));
  const std::int64_t Tp = (T + P - 1) / P;
  if (Tp * P > T) c = cat({c, Tensor::zeros({B, F, Tp * P - T}, c.dtype())}, 2);         // (B, F, Tp*P), zeros <= ReLU outputs
  if (P > 1) c = pool_->forward(c);                                                    // (B, F, Tp)
  const Tensor plen = lengths.defined() ? pooled_lengths(lengths, B, T) : Tensor();
  Tensor h = lstm_->forward(transpose(c, 1, 2), plen).output;                          // (B, Tp, Hl)
  Tensor g = gru_->forward(h, plen).output;                                            // (B, Tp, 2*Hg)
  Tensor p = options_.pooling() == "max" ? max_over_time(g, plen, true) : mean_over_time(g, plen, true);  // (B, 2*Hg)
  return fc_->forward(dropout(p, options_.dropout(), is_training()));                 // (B, C)
}

Tensor CNNLSTMBiGRUClassifier::loss(const Tensor& ids, const Tensor& lengths, const Tensor& labels) {
  check_inputs(ids, lengths);
  check_labels(labels, ids.size(0), options_.num_classes());
  return cross_entropy(forward(ids, lengths), labels);
}

Tensor CNNLSTMBiGRUClassifier::predict(const Tensor& ids, const Tensor& lengths) {
  NoGradGuard ng;
  return model_checks::argmax_rows(forward(ids, lengths));
}

double CNNLSTMBiGRUClassifier::accuracy(const Tensor& ids, const Tensor& lengths, const Tensor& labels) {
  check_inputs(ids, lengths);
  check_labels(labels, ids.size(0), options_.num_classes());
  return model_checks::fraction_equal(predict(ids, lengths), labels);
}

}  // namespace birnn
