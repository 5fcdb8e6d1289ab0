#include "birnn/models/bigru_classifier.hpp"

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/json_options.hpp"

namespace birnn {
namespace {

const char* const kWho = "BiGRUClassifier";
using Head = BiGRUClassifierOptions::Head;
using Pooling = BiGRUClassifierOptions::Pooling;

std::string who() { return kWho; }

}  // namespace

const char* BiGRUClassifierOptions::head_name(Head h) { return h == Head::per_step ? "per_step" : "pooled"; }

const char* BiGRUClassifierOptions::pooling_name(Pooling p) {
  switch (p) {
    case Pooling::max: return "max";
    case Pooling::mean: return "mean";
    case Pooling::last: return "last";
  }
  return "?";
}

BiGRUClassifierOptions::Head BiGRUClassifierOptions::head_from_string(const std::string& s) {
  if (s == "per_step") return Head::per_step;
  if (s == "pooled") return Head::pooled;
  throw OptionError(who() + ": head must be \"per_step\" or \"pooled\", got \"" + s + "\"");
}

BiGRUClassifierOptions::Pooling BiGRUClassifierOptions::pooling_from_string(const std::string& s) {
  if (s == "max") return Pooling::max;
  if (s == "mean") return Pooling::mean;
  if (s == "last") return Pooling::last;
  throw OptionError(who() + ": pooling must be \"max\", \"mean\" or \"last\", got \"" + s + "\"");
}

void BiGRUClassifierOptions::validate() const {
  auto fail = [](const std::string& field, const std::string& rule, const std::string& got) {
    throw OptionError(who() + ": " + field + " must be " + rule + ", got " + got);
  };
  if (vocab_size_ < 0) fail("vocab_size", ">= 0", std::to_string(vocab_size_));
  if (vocab_size_ > 0) {
    if (embedding_dim_ < 1) fail("embedding_dim", ">= 1 when vocab_size is set", std::to_string(embedding_dim_));
    if (input_size_ != 0)
      fail("input_size", "0 when vocab_size is set (the input is token ids)", std::to_string(input_size_));
  } else {
    if (input_size_ < 1) fail("input_size", ">= 1 (or set vocab_size and embedding_dim for token ids)", std::to_string(input_size_));
    if (embedding_dim_ != 0) fail("embedding_dim", "0 without vocab_size", std::to_string(embedding_dim_));
  }
  if (hidden_size_ < 1) fail("hidden_size", ">= 1", std::to_string(hidden_size_));
  if (num_layers_ < 1) fail("num_layers", ">= 1", std::to_string(num_layers_));
  if (!(dropout_ >= 0.0 && dropout_ < 1.0)) fail("dropout", "in [0, 1)", std::to_string(dropout_));
  const std::int64_t limit = std::int64_t(1) << 24;
  if (vocab_size_ > (std::int64_t(1) << 31) || embedding_dim_ > limit || input_size_ > limit || hidden_size_ > limit)
    fail("sizes", "reasonable", "a size above 2^24 (or a vocabulary above 2^31)");
}

std::string BiGRUClassifierOptions::to_json() const {
  nlohmann::json j;
  j["input_size"] = input_size_;
  j["vocab_size"] = vocab_size_;
  j["embedding_dim"] = embedding_dim_;
  j["hidden_size"] = hidden_size_;
  j["num_layers"] = num_layers_;
  j["reset_after"] = reset_after_;
  j["merge_mode"] = bi_merge_name(merge_mode_);
  j["head"] = head_name(head_);
  j["pooling"] = pooling_name(pooling_);
  j["dropout"] = dropout_;
  return j.dump();
}

BiGRUClassifierOptions BiGRUClassifierOptions::from_json(const std::string& json) {
  namespace mj = models_json;
  const std::string what = kWho;
  const auto j = mj::parse_object(json, what);
  if (!j.contains("input_size") && !j.contains("vocab_size"))
    throw OptionError(what + ": configuration lacks the field 'input_size' (or 'vocab_size' for token ids)");
  BiGRUClassifierOptions o;
  o.input_size(mj::get_or<std::int64_t>(j, "input_size", 0, what))
      .vocab_size(mj::get_or<std::int64_t>(j, "vocab_size", 0, what))
      .embedding_dim(mj::get_or<std::int64_t>(j, "embedding_dim", 0, what))
      .hidden_size(mj::get_required<std::int64_t>(j, "hidden_size", what))
      .num_layers(mj::get_or<std::int64_t>(j, "num_layers", 1, what))
      .reset_after(mj::get_or<bool>(j, "reset_after", true, what))
      .dropout(mj::get_or<double>(j, "dropout", 0.0, what));
  try {
    o.merge_mode(bi_merge_from_string(mj::get_or<std::string>(j, "merge_mode", "concat", what)));
  } catch (const OptionError& e) {
    throw OptionError(what + ": merge_mode: " + e.what());
  }
  o.head(head_from_string(mj::get_or<std::string>(j, "head", "pooled", what)));
  o.pooling(pooling_from_string(mj::get_or<std::string>(j, "pooling", "max", what)));
  o.validate();
  return o;
}

BiGRUClassifier::BiGRUClassifier(const Options& options) : options_(options) {
  options_.validate();
  const auto& o = options_;
  if (o.vocab_size() > 0) {
    embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.vocab_size(), o.embedding_dim()).padding_idx(0));
    register_module("embedding", embedding_);
  }
  gru_ = std::make_shared<GRU>(GRUOptions(o.gru_input_size(), o.hidden_size())
                                   .num_layers(o.num_layers())
                                   .bidirectional(true)
                                   .batch_first(true)
                                   .dropout(o.dropout())
                                   .reset_after(o.reset_after()));
  register_module("gru", gru_);
  fc_ = std::make_shared<Linear>(LinearOptions(o.merged_size(), 1));
  register_module("fc", fc_);
}

Tensor BiGRUClassifier::forward(const Tensor& x, const Tensor& lengths) {
  const auto& o = options_;
  Tensor e;
  if (embedding_) {
    if (!x.defined() || x.dim() != 2 || x.dtype() != DType::i64)
      throw ShapeError(who() + ": with a vocabulary the input must be token ids int64 (B, T), got " +
                       (x.defined() ? std::string(dtype_name(x.dtype())) + " " + shape_str(x.shape()) : "none"));
    e = embedding_->forward(x);  // out-of-range ids: ShapeError naming the id and its position
  } else {
    if (!x.defined() || x.dim() != 3 || x.dtype() == DType::i64)
      throw ShapeError(who() + ": the input must be float (B, T, " + std::to_string(o.input_size()) + "), got " +
                       (x.defined() ? std::string(dtype_name(x.dtype())) + " " + shape_str(x.shape()) : "none"));
    if (x.size(2) != o.input_size())
      throw ShapeError(who() + ": x has " + std::to_string(x.size(2)) + " features per step, input_size is " +
                       std::to_string(o.input_size()));
    e = x;
  }
  const std::int64_t B = e.size(0), T = e.size(1), H = o.hidden_size();
  const RecurrentOutput r = gru_->forward(e, lengths);  // output (B, T, 2H), h_n (2L, B, H)
  Tensor feats;
  if (o.head() == Head::per_step) {
    feats = merge_directions(r.output, o.merge_mode());  // (B, T, M)
  } else if (o.pooling() == Pooling::last) {
    const std::int64_t last = (o.num_layers() - 1) * 2;
    const Tensor both = reshape(cat({narrow(r.h_n, 0, last, 1), narrow(r.h_n, 0, last + 1, 1)}, 2), {B, 2 * H});
    feats = merge_directions(both, o.merge_mode());  // (B, M)
  } else {
    const Tensor m = merge_directions(r.output, o.merge_mode());
    feats = o.pooling() == Pooling::max ? max_over_time(m, lengths, true) : mean_over_time(m, lengths, true);
  }
  const Tensor logits = fc_->forward(dropout(feats, o.dropout(), is_training()));  // (..., 1)
  return o.head() == Head::per_step ? reshape(logits, {B, T}) : reshape(logits, {B});
}

Tensor BiGRUClassifier::predict_proba(const Tensor& x, const Tensor& lengths) {
  NoGradGuard ng;
  return sigmoid(forward(x, lengths));
}

Tensor BiGRUClassifier::predict(const Tensor& x, const Tensor& lengths) {
  NoGradGuard ng;
  const Tensor logits = forward(x, lengths);
  Tensor out = Tensor::empty(logits.shape(), DType::i64);
  for (std::int64_t i = 0; i < logits.numel(); ++i) out.data<std::int64_t>()[i] = logits.item(i) >= 0.0 ? 1 : 0;
  return out;
}

Tensor BiGRUClassifier::targets(const Tensor& x, const Tensor& y, const Tensor& lengths) const {
  const bool per_step = options_.head() == Head::per_step;
  if (!x.defined() || x.dim() < 2)
    throw ShapeError(who() + ": the input must be (B, T" + std::string(embedding_ ? ")" : ", F)") + ", got " +
                     (x.defined() ? shape_str(x.shape()) : "none"));
  const std::int64_t B = x.size(0), T = x.size(1);
  if (!y.defined()) throw ShapeError(who() + ": targets y are missing");
  check_shape(y, per_step ? Shape{B, T} : Shape{B}, who() + (per_step ? " targets y (B, T)" : " targets y (B)"));
  if (lengths.defined()) {
    check_dtype(lengths, DType::i64, "lengths");
    check_shape(lengths, {B}, "lengths (one per batch item)");
  }
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t len = lengths.defined() ? lengths.data<std::int64_t>()[b] : T;
    if (len < 1 || len > T)
      throw ShapeError("lengths[" + std::to_string(b) + "] = " + std::to_string(len) + ": each length must be in 1.." +
                       std::to_string(T) + " (the padded number of steps)");
    for (std::int64_t t = 0; t < (per_step ? len : 1); ++t) {
      const std::int64_t i = per_step ? b * T + t : b;
      const double v = y.item(i);
      if (!(v >= 0.0 && v <= 1.0))
        throw ShapeError(who() + ": target y" + (per_step ? "[" + std::to_string(b) + ", " + std::to_string(t) + "]"
                                                           : "[" + std::to_string(b) + "]") +
                         " = " + std::to_string(v) + " is not in [0, 1]");
    }
  }
  return y.to(parameters().front().dtype());
}

Tensor BiGRUClassifier::loss(const Tensor& x, const Tensor& y, const Tensor& lengths) {
  const Tensor target = targets(x, y, lengths);
  const Tensor logits = forward(x, lengths);
  if (options_.head() == Head::per_step)
    return binary_cross_entropy_with_logits(logits, target, BCEWithLogitsOptions().lengths(lengths).batch_first(true));
  return binary_cross_entropy_with_logits(logits, target);
}

double BiGRUClassifier::accuracy(const Tensor& x, const Tensor& y, const Tensor& lengths) {
  const Tensor target = targets(x, y, lengths);
  const Tensor pred = predict(x, lengths);
  const bool per_step = options_.head() == Head::per_step;
  const std::int64_t B = pred.size(0), T = per_step ? pred.size(1) : 1;
  std::int64_t right = 0, counted = 0;
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t len = per_step && lengths.defined() ? lengths.data<std::int64_t>()[b] : T;
    for (std::int64_t t = 0; t < len; ++t, ++counted)
      right += pred.data<std::int64_t>()[b * T + t] == (target.item(b * T + t) >= 0.5 ? 1 : 0);
  }
  return static_cast<double>(right) / static_cast<double>(counted);
}

}  // namespace birnn
