// CharLanguageModel: embedding (or one-hot) -> LSTM/GRU -> Linear over the vocabulary; loss, bits per
// character, streaming generation. See include/birnn/models/char_language_model.hpp.
#include "birnn/models/char_language_model.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "birnn/random.hpp"
#include "models/input_checks.hpp"
#include "models/json_options.hpp"

namespace birnn {

namespace {
const char* const kWhat = "CharLanguageModelOptions";

std::string shape_or_none(const Tensor& t) { return t.defined() ? shape_str(t.shape()) : std::string("none"); }

// Checks ids (B, T) int64 in [0, V) and names the first bad one.
void check_ids(const Tensor& ids, std::int64_t V, const std::string& what) {
  if (!ids.defined() || ids.dim() != 2)
    throw ShapeError("CharLanguageModel: " + what + " must be (B, T) int64, got " + shape_or_none(ids));
  check_dtype(ids, DType::i64, "CharLanguageModel " + what);
  if (ids.size(0) < 1 || ids.size(1) < 1)
    throw ShapeError("CharLanguageModel: " + what + " must have B >= 1 and T >= 1, got " + shape_str(ids.shape()));
  const std::int64_t* p = ids.data<std::int64_t>();
  for (std::int64_t i = 0; i < ids.numel(); ++i)
    if (p[i] < 0 || p[i] >= V)
      throw ShapeError("CharLanguageModel: " + what + "[" + std::to_string(i / ids.size(1)) + ", " + std::to_string(i % ids.size(1)) +
                       "] = " + std::to_string(p[i]) + " is outside [0, " + std::to_string(V) + ")");
}

// Checks lengths (B) int64 with lo <= lengths[b] <= T.
void check_lengths(const Tensor& lengths, std::int64_t B, std::int64_t T, std::int64_t lo, const std::string& what) {
  model_checks::check_lengths(lengths, B, T, "CharLanguageModel", lo, what);
}

// Columns [start, start + len) of an int64 (B, T) tensor.
Tensor id_columns(const Tensor& ids, std::int64_t start, std::int64_t len) {
  const std::int64_t B = ids.size(0), T = ids.size(1);
  Tensor out = Tensor::empty({B, len}, DType::i64);
  const std::int64_t* s = ids.data<std::int64_t>();
  std::int64_t* d = out.data<std::int64_t>();
  for (std::int64_t b = 0; b < B; ++b) std::copy(s + b * T + start, s + b * T + start + len, d + b * len);
  return out;
}
}  // namespace

// ---- options ----

void CharLanguageModelOptions::validate() const {
  auto fail = [](const std::string& m) { throw OptionError(std::string(kWhat) + ": " + m); };
  if (vocab_size_ < 2) fail("vocab_size must be >= 2 (id 0 is padding), got " + std::to_string(vocab_size_));
  if (!one_hot_ && embedding_dim_ < 1) fail("embedding_dim must be >= 1, got " + std::to_string(embedding_dim_));
  if (cell_ != "lstm" && cell_ != "gru") fail("cell must be \"lstm\" or \"gru\", got \"" + cell_ + "\"");
  if (hidden_size_ < 1) fail("hidden_size must be >= 1, got " + std::to_string(hidden_size_));
  if (num_layers_ < 1) fail("num_layers must be >= 1, got " + std::to_string(num_layers_));
  if (!(dropout_ >= 0.0 && dropout_ < 1.0)) fail("dropout must be in [0, 1), got " + std::to_string(dropout_));
}

std::string CharLanguageModelOptions::to_json() const {
  nlohmann::json j;
  j["vocab_size"] = vocab_size_;
  j["embedding_dim"] = embedding_dim_;
  j["one_hot"] = one_hot_;
  j["cell"] = cell_;
  j["hidden_size"] = hidden_size_;
  j["num_layers"] = num_layers_;
  j["dropout"] = dropout_;
  j["bidirectional"] = bidirectional_;
  return j.dump();
}

CharLanguageModelOptions CharLanguageModelOptions::from_json(const std::string& json) {
  using namespace models_json;
  const nlohmann::json j = parse_object(json, kWhat);
  CharLanguageModelOptions o(get_required<std::int64_t>(j, "vocab_size", kWhat));
  o.cell(get_required<std::string>(j, "cell", kWhat));
  o.hidden_size(get_required<std::int64_t>(j, "hidden_size", kWhat));
  o.embedding_dim(get_or<std::int64_t>(j, "embedding_dim", o.embedding_dim(), kWhat));
  o.one_hot(get_or<bool>(j, "one_hot", o.one_hot(), kWhat));
  o.num_layers(get_or<std::int64_t>(j, "num_layers", o.num_layers(), kWhat));
  o.dropout(get_or<double>(j, "dropout", o.dropout(), kWhat));
  o.bidirectional(get_or<bool>(j, "bidirectional", o.bidirectional(), kWhat));
  o.validate();
  return o;
}

// ---- model ----

CharLanguageModel::CharLanguageModel(const Options& options) : options_(options) {
  options_.validate();
  const auto& o = options_;
  if (!o.one_hot()) {
    embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.vocab_size(), o.embedding_dim()).padding_idx(0));
    register_module("embedding", embedding_);
  }
  const std::int64_t in = o.one_hot() ? o.vocab_size() : o.embedding_dim();
  if (o.cell() == "lstm")
    rnn_ = std::make_shared<LSTM>(LSTMOptions(in, o.hidden_size()).num_layers(o.num_layers()).dropout(o.dropout())
                                      .bidirectional(o.bidirectional()).batch_first(true));
  else
    rnn_ = std::make_shared<GRU>(GRUOptions(in, o.hidden_size()).num_layers(o.num_layers()).dropout(o.dropout())
                                     .bidirectional(o.bidirectional()).batch_first(true));
  register_module("rnn", rnn_);
  const std::int64_t D = o.bidirectional() ? 2 : 1;
  fc_ = std::make_shared<Linear>(LinearOptions(D * o.hidden_size(), o.vocab_size()));
  register_module("fc", fc_);
  if (o.bidirectional()) {
    warnings_.push_back(
        "char_language_model: bidirectional(true) is not a language model. The backward direction reads the very "
        "characters the model must predict, so its loss is not a next-character loss (it falls far below a "
        "unidirectional model's by looking ahead) and generate() is refused. Use bidirectional(false) to model text.");
    for (const auto& w : warnings_) std::cerr << "warning: " << w << "\n";
  }
}

Tensor CharLanguageModel::inputs_of(const Tensor& ids) {
  if (embedding_) return embedding_->forward(ids);
  // One-hot as a lookup in a constant identity matrix of the parameters' dtype (no gradient to it).
  const std::int64_t V = options_.vocab_size();
  const DType dt = fc_->parameters()[0].dtype();
  std::vector<double> eye(static_cast<std::size_t>(V * V), 0.0);
  for (std::int64_t v = 0; v < V; ++v) eye[static_cast<std::size_t>(v * V + v)] = 1.0;
  return embedding(ids, Tensor::from_vector(eye, {V, V}).to(dt));
}

Tensor CharLanguageModel::forward(const Tensor& ids, const Tensor& lengths, RecurrentState* state) {
  check_ids(ids, options_.vocab_size(), "ids");
  check_lengths(lengths, ids.size(0), ids.size(1), 1, "");
  const bool lstm = options_.cell() == "lstm";
  Tensor h0, c0;
  if (state) {
    const std::int64_t rows = options_.num_layers() * (options_.bidirectional() ? 2 : 1);
    const Shape want{rows, ids.size(0), options_.hidden_size()};
    if (state->h.defined() && state->h.shape() != want)
      throw ShapeError("CharLanguageModel: state.h must be " + shape_str(want) + ", got " + shape_str(state->h.shape()));
    if (lstm && state->c.defined() && state->c.shape() != want)
      throw ShapeError("CharLanguageModel: state.c must be " + shape_str(want) + ", got " + shape_str(state->c.shape()));
    h0 = state->h;
    if (lstm) c0 = state->c;
  }
  RecurrentOutput out = rnn_->forward(inputs_of(ids), lengths, h0, c0);
  if (state) {
    state->h = out.h_n.detach();
    state->c = lstm ? out.c_n.detach() : Tensor();
  }
  return fc_->forward(dropout(out.output, options_.dropout(), is_training()));
}

Tensor CharLanguageModel::loss(const Tensor& ids, const Tensor& lengths) {
  check_ids(ids, options_.vocab_size(), "ids");
  const std::int64_t T = ids.size(1);
  if (T < 2) throw ShapeError("CharLanguageModel::loss: ids must have T >= 2 (inputs ids[:, :-1], targets ids[:, 1:]), got " +
                              shape_str(ids.shape()));
  check_lengths(lengths, ids.size(0), T, 2, " (loss needs at least 2 characters per item)");
  Tensor shorter;
  if (lengths.defined()) {
    shorter = Tensor::empty({ids.size(0)}, DType::i64);
    for (std::int64_t b = 0; b < ids.size(0); ++b) shorter.data<std::int64_t>()[b] = lengths.data<std::int64_t>()[b] - 1;
  }
  return loss(id_columns(ids, 0, T - 1), id_columns(ids, 1, T - 1), shorter, nullptr);
}

Tensor CharLanguageModel::loss(const Tensor& inputs, const Tensor& targets, const Tensor& lengths, RecurrentState* state) {
  check_ids(inputs, options_.vocab_size(), "inputs");
  check_ids(targets, options_.vocab_size(), "targets");
  if (targets.shape() != inputs.shape())
    throw ShapeError("CharLanguageModel::loss: targets must have the shape of inputs " + shape_str(inputs.shape()) + ", got " +
                     shape_str(targets.shape()));
  const Tensor logits = forward(inputs, lengths, state);  // (B, T, V)
  return sequence_cross_entropy(logits, targets, lengths, CrossEntropyOptions().batch_first(true));
}

double CharLanguageModel::bits_per_char(const Tensor& ids, const Tensor& lengths) {
  NoGradGuard ng;
  return loss(ids, lengths).item() / std::log(2.0);
}

GenerateResult CharLanguageModel::generate(const std::vector<std::int64_t>& prompt, std::int64_t n, const GenerateOptions& g) {
  const std::int64_t V = options_.vocab_size();
  if (options_.bidirectional())
    throw OptionError("CharLanguageModel::generate: the model is bidirectional; its backward direction needs the characters "
                      "that are not generated yet, so generation is meaningless. Train with bidirectional(false).");
  if (!g.greedy() && !(g.temperature() > 0.0 && std::isfinite(g.temperature())))
    throw OptionError("CharLanguageModel::generate: temperature must be > 0 unless greedy, got " + std::to_string(g.temperature()));
  if (n < 0) throw OptionError("CharLanguageModel::generate: n must be >= 0, got " + std::to_string(n));
  if (prompt.empty()) throw ShapeError("CharLanguageModel::generate: prompt must hold at least one id");
  for (std::size_t i = 0; i < prompt.size(); ++i)
    if (prompt[i] < 0 || prompt[i] >= V)
      throw ShapeError("CharLanguageModel::generate: prompt[" + std::to_string(i) + "] = " + std::to_string(prompt[i]) +
                       " is outside [0, " + std::to_string(V) + ")");

  std::mt19937_64 own(g.seed().value_or(0));
  auto draw = [&]() -> double {  // uniform [0, 1), the same on every platform
    if (g.seed()) return static_cast<double>(own() >> 11) * 0x1.0p-53;
    return uniform(0.0, 1.0);
  };

  const bool was_training = is_training();
  eval();
  NoGradGuard ng;
  GenerateResult result;
  RecurrentState state;
  Tensor logits;  // (1, V) after each step
  auto feed = [&](std::int64_t id) {
    const Tensor x = inputs_of(Tensor::from_vector(std::vector<std::int64_t>{id}, {1}));  // (1, E)
    logits = fc_->forward(rnn_->step(x, state));
  };
  try {
    for (std::int64_t id : prompt) feed(id);
    std::vector<double> p(static_cast<std::size_t>(V));
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t pick = 0;
      if (g.greedy()) {
        for (std::int64_t v = 1; v < V; ++v)
          if (logits.item(v) > logits.item(pick)) pick = v;
      }
      if (!g.greedy() || g.keep_probabilities()) {
        const double T = g.greedy() ? 1.0 : g.temperature();
        double mx = -INFINITY, z = 0;
        for (std::int64_t v = 0; v < V; ++v) mx = std::max(mx, logits.item(v) / T);
        for (std::int64_t v = 0; v < V; ++v) z += (p[v] = std::exp(logits.item(v) / T - mx));
        for (auto& q : p) q /= z;
        if (!g.greedy()) {
          const double u = draw();
          double acc = 0;
          pick = V - 1;
          for (std::int64_t v = 0; v < V; ++v) {
            acc += p[v];
            if (u < acc) { pick = v; break; }
          }
        }
        if (g.keep_probabilities()) result.probabilities.push_back(p);
      }
      result.ids.push_back(pick);
      if (k + 1 < n) feed(pick);
    }
  } catch (...) {
    train(was_training);
    throw;
  }
  train(was_training);
  return result;
}

}  // namespace birnn
