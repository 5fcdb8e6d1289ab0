#include "birnn/models/bilstm_cnn_crf_tagger.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "birnn/autograd.hpp"
#include "birnn/error.hpp"
#include "birnn/layers_functional.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/json_options.hpp"

namespace birnn {

namespace {

const char* const kWhat = "BiLSTMCNNCRFTaggerOptions";

std::string num(std::int64_t v) { return std::to_string(v); }

void require_positive(std::int64_t v, const char* field) {
  if (v < 1) throw OptionError(std::string(kWhat) + ": " + field + " must be >= 1, got " + num(v));
}

Tensor parameter_of(const Module& m, const std::string& name) {
  for (auto& [n, p] : m.named_parameters())
    if (n == name) return p;
  throw Error("BiLSTMCNNCRFTagger: no parameter named '" + name + "'");
}

CRFReduction crf_reduction(const std::string& r) {
  return r == "sum" ? CRFReduction::sum : r == "mean" ? CRFReduction::mean : CRFReduction::token_mean;
}

std::string pos(std::int64_t b, std::int64_t t) { return "[" + num(b) + "][" + num(t) + "]"; }

// The checked batch: sizes and each sentence's length.
struct Batch {
  std::int64_t B = 0, T = 0;
  std::vector<std::int64_t> len;
};

// Copies lengths (int64 (B), already checked) into bt.len, each in 1..T.
void read_lengths(const Tensor& lengths, Batch& bt) {
  for (std::int64_t b = 0; b < bt.B; ++b) {
    const std::int64_t l = lengths.data<std::int64_t>()[b];
    if (l < 1 || l > bt.T)
      throw ShapeError("BiLSTMCNNCRFTagger: lengths[" + num(b) + "] = " + num(l) + " is outside 1.." + num(bt.T));
    bt.len[static_cast<std::size_t>(b)] = l;
  }
}

Batch check_words(const Tensor& words, const Tensor& lengths, std::int64_t vocab) {
  if (!words.defined() || words.dim() != 2 || words.dtype() != DType::i64)
    throw ShapeError("BiLSTMCNNCRFTagger: words must be int64 (B, T), got " +
                     (words.defined() ? std::string(words.dtype() == DType::i64 ? "int64 " : "floating ") + shape_str(words.shape())
                                      : std::string("none")));
  Batch bt{words.size(0), words.size(1), {}};
  if (bt.B < 1 || bt.T < 1) throw ShapeError("BiLSTMCNNCRFTagger: words must have B >= 1 and T >= 1, got " + shape_str(words.shape()));
  const std::int64_t* w = words.data<std::int64_t>();
  for (std::int64_t i = 0; i < words.numel(); ++i)
    if (w[i] < 0 || w[i] >= vocab)
      throw ShapeError("BiLSTMCNNCRFTagger: words" + pos(i / bt.T, i % bt.T) + " = " + num(w[i]) + " is outside 0.." +
                       num(vocab - 1) + " (word_vocab " + num(vocab) + ")");
  bt.len.assign(static_cast<std::size_t>(bt.B), bt.T);
  if (!lengths.defined()) return bt;
  if (lengths.dtype() != DType::i64 || lengths.dim() != 1 || lengths.size(0) != bt.B)
    throw ShapeError("BiLSTMCNNCRFTagger: lengths must be int64 (B) = (" + num(bt.B) + "), got " + shape_str(lengths.shape()) +
                     (lengths.dtype() == DType::i64 ? "" : " (not int64)"));
  read_lengths(lengths, bt);
  return bt;
}

Batch check_emissions(const Tensor& em, const Tensor& lengths, std::int64_t K) {
  if (!em.defined() || em.dim() != 3 || em.size(2) != K || em.size(0) < 1 || em.size(1) < 1 || em.dtype() == DType::i64)
    throw ShapeError("BiLSTMCNNCRFTagger: emissions must be float (B, T, num_tags = " + num(K) + "), got " +
                     (em.defined() ? shape_str(em.shape()) : std::string("none")));
  Batch bt{em.size(0), em.size(1), {}};
  bt.len.assign(static_cast<std::size_t>(bt.B), bt.T);
  if (!lengths.defined()) return bt;
  if (lengths.dtype() != DType::i64 || lengths.shape() != Shape{bt.B})
    throw ShapeError("BiLSTMCNNCRFTagger: lengths must be int64 (B) = (" + num(bt.B) + "), got " + shape_str(lengths.shape()));
  read_lengths(lengths, bt);
  return bt;
}

void check_tags(const Tensor& tags, const Batch& bt, std::int64_t K) {
  if (!tags.defined() || tags.dtype() != DType::i64 || tags.shape() != Shape{bt.B, bt.T})
    throw ShapeError("BiLSTMCNNCRFTagger: tags must be int64 (B, T) = (" + num(bt.B) + ", " + num(bt.T) + ") like words, got " +
                     (tags.defined() ? shape_str(tags.shape()) + (tags.dtype() == DType::i64 ? "" : " (not int64)") : std::string("none")));
  const std::int64_t* y = tags.data<std::int64_t>();
  for (std::int64_t b = 0; b < bt.B; ++b)
    for (std::int64_t t = 0; t < bt.len[static_cast<std::size_t>(b)]; ++t)
      if (y[b * bt.T + t] < 0 || y[b * bt.T + t] >= K)
        throw ShapeError("BiLSTMCNNCRFTagger: tags" + pos(b, t) + " = " + num(y[b * bt.T + t]) + " is outside 0.." + num(K - 1) +
                         " (num_tags " + num(K) + ")");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options

void BiLSTMCNNCRFTaggerOptions::validate() const {
  require_positive(word_vocab_, "word_vocab");
  require_positive(num_tags_, "num_tags");
  require_positive(word_dim_, "word_dim");
  require_positive(hidden_, "hidden");
  require_positive(num_layers_, "num_layers");
  if (cell_ != "lstm" && cell_ != "gru" && cell_ != "rnn")
    throw OptionError(std::string(kWhat) + ": cell must be \"lstm\", \"gru\" or \"rnn\", got \"" + cell_ + "\"");
  if (use_char_cnn_) {
    require_positive(char_vocab_, "char_vocab");
    require_positive(char_dim_, "char_dim");
    require_positive(char_filters_, "char_filters");
    require_positive(char_kernel_, "char_kernel");
    if (char_kernel_ % 2 == 0)
      throw OptionError(std::string(kWhat) + ": char_kernel must be odd (one output per character), got " + num(char_kernel_));
  }
  if (char_activation_ != "tanh" && char_activation_ != "relu" && char_activation_ != "none")
    throw OptionError(std::string(kWhat) + ": char_activation must be \"tanh\", \"relu\" or \"none\", got \"" + char_activation_ + "\"");
  if (!(dropout_ >= 0.0 && dropout_ < 1.0))
    throw OptionError(std::string(kWhat) + ": dropout must be in [0, 1), got " + std::to_string(dropout_));
  if (loss_reduction_ != "token_mean" && loss_reduction_ != "mean" && loss_reduction_ != "sum")
    throw OptionError(std::string(kWhat) + ": loss_reduction must be \"token_mean\", \"mean\" or \"sum\", got \"" + loss_reduction_ + "\"");
  if (!use_crf_ && !crf_constraints_.empty())
    throw OptionError(std::string(kWhat) + ": crf_constraints are set but use_crf is false");
  auto check_tag = [&](std::int64_t k, const char* what) {
    if (k < 0 || k >= num_tags_)
      throw OptionError(std::string(kWhat) + ": crf_constraints " + what + " tag " + num(k) + " is outside 0.." + num(num_tags_ - 1));
  };
  for (auto& [i, j] : crf_constraints_.transitions()) check_tag(i, "transition"), check_tag(j, "transition");
  for (auto k : crf_constraints_.start()) check_tag(k, "start");
  for (auto k : crf_constraints_.end()) check_tag(k, "end");
}

std::string BiLSTMCNNCRFTaggerOptions::to_json() const {
  nlohmann::json j;
  j["word_vocab"] = word_vocab_;
  j["char_vocab"] = char_vocab_;
  j["num_tags"] = num_tags_;
  j["word_dim"] = word_dim_;
  j["char_dim"] = char_dim_;
  j["char_filters"] = char_filters_;
  j["char_kernel"] = char_kernel_;
  j["char_activation"] = char_activation_;
  j["cell"] = cell_;
  j["bidirectional"] = bidirectional_;
  j["hidden"] = hidden_;
  j["num_layers"] = num_layers_;
  j["dropout"] = dropout_;
  j["use_char_cnn"] = use_char_cnn_;
  j["use_crf"] = use_crf_;
  j["loss_reduction"] = loss_reduction_;
  j["freeze_word_embedding"] = freeze_word_embedding_;
  nlohmann::json tr = nlohmann::json::array();
  for (auto& [a, b] : crf_constraints_.transitions()) tr.push_back({a, b});
  j["crf_forbidden_transitions"] = tr;
  j["crf_forbidden_start"] = std::vector<std::int64_t>(crf_constraints_.start().begin(), crf_constraints_.start().end());
  j["crf_forbidden_end"] = std::vector<std::int64_t>(crf_constraints_.end().begin(), crf_constraints_.end().end());
  return j.dump();
}

BiLSTMCNNCRFTaggerOptions BiLSTMCNNCRFTaggerOptions::from_json(const std::string& text) {
  using namespace models_json;
  const nlohmann::json j = parse_object(text, kWhat);
  BiLSTMCNNCRFTaggerOptions o(get_required<std::int64_t>(j, "word_vocab", kWhat), get_required<std::int64_t>(j, "char_vocab", kWhat),
                              get_required<std::int64_t>(j, "num_tags", kWhat));
  o.word_dim(get_or(j, "word_dim", o.word_dim_, kWhat))
      .char_dim(get_or(j, "char_dim", o.char_dim_, kWhat))
      .char_filters(get_or(j, "char_filters", o.char_filters_, kWhat))
      .char_kernel(get_or(j, "char_kernel", o.char_kernel_, kWhat))
      .char_activation(get_or(j, "char_activation", o.char_activation_, kWhat))
      .cell(get_or(j, "cell", o.cell_, kWhat))  // absent in checkpoints and fixtures made before the option: a BiLSTM
      .bidirectional(get_or(j, "bidirectional", o.bidirectional_, kWhat))
      .hidden(get_or(j, "hidden", o.hidden_, kWhat))
      .num_layers(get_or(j, "num_layers", o.num_layers_, kWhat))
      .dropout(get_or(j, "dropout", o.dropout_, kWhat))
      .use_char_cnn(get_or(j, "use_char_cnn", o.use_char_cnn_, kWhat))
      .use_crf(get_or(j, "use_crf", o.use_crf_, kWhat))
      .loss_reduction(get_or(j, "loss_reduction", o.loss_reduction_, kWhat))
      .freeze_word_embedding(get_or(j, "freeze_word_embedding", o.freeze_word_embedding_, kWhat));
  CRFConstraints c;
  for (auto& pair : get_or(j, "crf_forbidden_transitions", std::vector<std::vector<std::int64_t>>{}, kWhat)) {
    if (pair.size() != 2)
      throw OptionError(std::string(kWhat) + ": field 'crf_forbidden_transitions' must hold [from, to] pairs");
    c.forbid(pair[0], pair[1]);
  }
  for (auto k : get_or(j, "crf_forbidden_start", std::vector<std::int64_t>{}, kWhat)) c.forbid_start(k);
  for (auto k : get_or(j, "crf_forbidden_end", std::vector<std::int64_t>{}, kWhat)) c.forbid_end(k);
  o.crf_constraints(std::move(c));
  o.validate();
  return o;
}

// ---------------------------------------------------------------------------------------------
// Model

BiLSTMCNNCRFTagger::BiLSTMCNNCRFTagger(const Options& options) : options_(options) {
  options_.validate();
  const Options& o = options_;
  // Registration order = the PyTorch reference's attribute order (and so its init order).
  word_embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.word_vocab(), o.word_dim()).padding_idx(0));
  register_module("word_embedding", word_embedding_);
  if (o.freeze_word_embedding()) word_embedding_->freeze(true);
  std::int64_t input = o.word_dim();
  if (o.use_char_cnn()) {
    char_embedding_ = std::make_shared<Embedding>(EmbeddingOptions(o.char_vocab(), o.char_dim()).padding_idx(0));
    register_module("char_embedding", char_embedding_);
    char_conv_ = std::make_shared<Conv1d>(Conv1dOptions(o.char_dim(), o.char_filters(), o.char_kernel()).padding(o.char_kernel() / 2));
    register_module("char_conv", char_conv_);
    input += o.char_filters();
  }
  const double between = o.num_layers() > 1 ? o.dropout() : 0.0;
  auto configure = [&](auto opts) {
    return opts.num_layers(o.num_layers()).bidirectional(o.bidirectional()).batch_first(true).dropout(between);
  };
  if (o.cell() == "lstm") rnn_ = std::make_shared<LSTM>(configure(LSTMOptions(input, o.hidden())));
  else if (o.cell() == "gru") rnn_ = std::make_shared<GRU>(configure(GRUOptions(input, o.hidden())));
  else rnn_ = std::make_shared<RNN>(configure(RNNOptions(input, o.hidden())));
  register_module(o.cell(), rnn_);  // "lstm", "gru" or "rnn": the reference model's attribute name
  fc_ = std::make_shared<Linear>(LinearOptions(o.directions() * o.hidden(), o.num_tags()));
  register_module("fc", fc_);
  if (o.use_crf()) {
    crf_ = std::make_shared<CRF>(
        CRFOptions{o.num_tags()}.batch_first(true).reduction(crf_reduction(o.loss_reduction())).constraints(o.crf_constraints()));
    register_module("crf", crf_);
  }
}

void BiLSTMCNNCRFTagger::set_word_vectors(const Tensor& vectors) {
  const Shape want{options_.word_vocab(), options_.word_dim()};
  if (!vectors.defined() || vectors.dtype() == DType::i64 || vectors.shape() != want)
    throw ShapeError("BiLSTMCNNCRFTagger::set_word_vectors: vectors must be float (word_vocab, word_dim) = " + shape_str(want) +
                     ", got " + (vectors.defined() ? shape_str(vectors.shape()) : std::string("none")));
  word_embedding_->load_state_dict({{"weight", vectors}});
  word_embedding_->freeze(options_.freeze_word_embedding());
}

Tensor BiLSTMCNNCRFTagger::char_features(const Tensor& words, const Tensor& chars, const Tensor& lengths,
                                         const Tensor& char_lengths) const {
  if (!options_.use_char_cnn()) throw OptionError("BiLSTMCNNCRFTagger::char_features: use_char_cnn is false");
  const Batch bt = check_words(words, lengths, options_.word_vocab());
  if (!chars.defined() || chars.dtype() != DType::i64 || chars.dim() != 3 || chars.size(0) != bt.B || chars.size(1) != bt.T ||
      chars.size(2) < 1)
    throw ShapeError("BiLSTMCNNCRFTagger: chars must be int64 (B, T, C) = (" + num(bt.B) + ", " + num(bt.T) +
                     ", C >= 1) matching words, got " +
                     (chars.defined() ? shape_str(chars.shape()) + (chars.dtype() == DType::i64 ? "" : " (not int64)") : std::string("none")));
  const std::int64_t C = chars.size(2), V = options_.char_vocab();
  const std::int64_t* ch = chars.data<std::int64_t>();
  if (char_lengths.defined() && (char_lengths.dtype() != DType::i64 || char_lengths.shape() != Shape{bt.B, bt.T}))
    throw ShapeError("BiLSTMCNNCRFTagger: char_lengths must be int64 (B, T) = (" + num(bt.B) + ", " + num(bt.T) + "), got " +
                     shape_str(char_lengths.shape()) + (char_lengths.dtype() == DType::i64 ? "" : " (not int64)"));

  // The real words, in (b, t) order, and their character counts.
  const std::int64_t* given_len = char_lengths.defined() ? char_lengths.data<std::int64_t>() : nullptr;
  std::vector<std::int64_t> where, clen;
  std::int64_t max_len = 1;
  for (std::int64_t b = 0; b < bt.B; ++b)
    for (std::int64_t t = 0; t < bt.len[static_cast<std::size_t>(b)]; ++t) {
      const std::int64_t w = b * bt.T + t;
      std::int64_t n = 0;
      if (given_len) {
        n = given_len[w];
        if (n < 1 || n > C)
          throw ShapeError("BiLSTMCNNCRFTagger: char_lengths" + pos(b, t) + " = " + num(n) + " is outside 1.." + num(C));
      } else {
        for (std::int64_t c = C; c > 0; --c)
          if (ch[w * C + c - 1] != 0) { n = c; break; }
        if (n == 0) throw ShapeError("BiLSTMCNNCRFTagger: chars" + pos(b, t) + " of a real word are all padding (0)");
      }
      where.push_back(w);
      clen.push_back(n);
      max_len = std::max(max_len, n);
    }
  const auto N = static_cast<std::int64_t>(where.size());
  const std::int64_t K = options_.char_kernel(), P = K / 2, D = options_.char_dim(), F = options_.char_filters();
  // Characters beyond max_len + P are never read by a real position's window: cut them off.
  const std::int64_t Ce = std::min(C, max_len + P);

  // The character ids of the real words, (N, Ce), checked.
  std::vector<std::int64_t> ids(static_cast<std::size_t>(N * Ce));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < Ce; ++c) {
      const std::int64_t id = ch[where[static_cast<std::size_t>(n)] * C + c];
      if (id < 0 || id >= V) {
        const std::int64_t w = where[static_cast<std::size_t>(n)];
        throw ShapeError("BiLSTMCNNCRFTagger: chars" + pos(w / bt.T, w % bt.T) + "[" + num(c) + "] = " + num(id) + " is outside 0.." +
                         num(V - 1) + " (char_vocab " + num(V) + ")");
      }
      ids[static_cast<std::size_t>(n * Ce + c)] = id;
    }
  // e: (N*Ce, D). The convolution as one GEMM: row (n, j) of `windows` is [e[n, j-P]; ...; e[n, j-P+K-1]]
  // (zeros outside 0..Ce-1), (N*Ce, K*D); the weight (F, D, K) is reordered to (F, K*D) to match.
  const Tensor e = reshape(char_embedding_->forward(Tensor::from_vector(ids, {N, Ce})), {N * Ce, D});
  auto rows = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(N * Ce * K));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t j = 0; j < Ce; ++j)
      for (std::int64_t i = 0; i < K; ++i) {
        const std::int64_t p = j + i - P;
        (*rows)[static_cast<std::size_t>((n * Ce + j) * K + i)] = p >= 0 && p < Ce ? n * Ce + p : -1;
      }
  const Tensor windows = reshape(gather_rows(e, rows), {N * Ce, K * D});
  const Tensor w = reshape(permute(parameter_of(*char_conv_, "weight"), {0, 2, 1}), {F, K * D});
  const Tensor z = reshape(linear(windows, w, parameter_of(*char_conv_, "bias")), {N, Ce, F});
  Tensor r = max_over_time(z, Tensor::from_vector(clen, {N}), /*batch_first=*/true);  // (N, F)
  if (options_.char_activation() == "tanh") r = tanh(r);
  else if (options_.char_activation() == "relu") r = relu(r);
  // Back to (B, T, F) with zero rows at padded words.
  auto back = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(bt.B * bt.T), -1);
  for (std::int64_t n = 0; n < N; ++n) (*back)[static_cast<std::size_t>(where[static_cast<std::size_t>(n)])] = n;
  return reshape(gather_rows(r, back), {bt.B, bt.T, F});
}

namespace {

// Dropout on the real words of x (B, T, F) only: drawing a mask costs more than copying rows, and the
// padded rows are never read (the recurrent layer skips them; its output is zero there). Same result as
// dropout on all of x wherever it matters.
Tensor dropout_real_words(const Tensor& x, const Batch& bt, double p, bool training) {
  if (!training || p == 0.0) return x;
  std::int64_t n = 0;
  for (auto l : bt.len) n += l;
  const std::int64_t F = x.size(2);
  if (n == bt.B * bt.T) return dropout(x, p, training);
  std::vector<std::int64_t> real;
  real.reserve(static_cast<std::size_t>(n));
  for (std::int64_t b = 0; b < bt.B; ++b)
    for (std::int64_t t = 0; t < bt.len[static_cast<std::size_t>(b)]; ++t) real.push_back(b * bt.T + t);
  return reshape(dropout_rows(reshape(x, {bt.B * bt.T, F}), real, p, training), {bt.B, bt.T, F});
}

}  // namespace

Tensor BiLSTMCNNCRFTagger::emissions(const Tensor& words, const Tensor& chars, const Tensor& lengths,
                                     const Tensor& char_lengths) const {
  const Batch bt = check_words(words, lengths, options_.word_vocab());
  Tensor x = word_embedding_->forward(words);  // (B, T, word_dim)
  if (options_.use_char_cnn()) x = cat({x, char_features(words, chars, lengths, char_lengths)}, 2);
  x = dropout_real_words(x, bt, options_.dropout(), is_training());
  Tensor h = rnn_->forward(x, lengths).output;  // (B, T, D*H), zeros at padded words
  h = dropout_real_words(h, bt, options_.dropout(), is_training());
  return fc_->forward(h);
}

Tensor BiLSTMCNNCRFTagger::loss_from_emissions(const Tensor& em, const Tensor& lengths, const Tensor& tags) const {
  const std::int64_t K = options_.num_tags();
  const Batch bt = check_emissions(em, lengths, K);
  check_tags(tags, bt, K);
  if (crf_) return crf_->nll(em, tags, lengths);
  const std::string& r = options_.loss_reduction();
  const Tensor l = sequence_cross_entropy(em, tags, lengths,
                                          CrossEntropyOptions().batch_first(true).reduction(r == "token_mean" ? Reduction::mean : Reduction::sum));
  return r == "mean" ? scale(l, 1.0 / static_cast<double>(bt.B)) : l;
}

Tensor BiLSTMCNNCRFTagger::loss(const Tensor& words, const Tensor& chars, const Tensor& lengths, const Tensor& tags,
                                const Tensor& char_lengths) const {
  const Batch bt = check_words(words, lengths, options_.word_vocab());
  check_tags(tags, bt, options_.num_tags());  // before the forward pass
  return loss_from_emissions(emissions(words, chars, lengths, char_lengths), lengths, tags);
}

std::vector<std::vector<std::int64_t>> BiLSTMCNNCRFTagger::decode_emissions(const Tensor& em, const Tensor& lengths) const {
  NoGradGuard no_grad;
  const Batch bt = check_emissions(em, lengths, options_.num_tags());
  if (crf_) return crf_->decode(em, lengths);
  const std::int64_t B = bt.B, T = bt.T, K = options_.num_tags();
  const Tensor e = em.to(DType::f64);
  const double* v = e.data<double>();
  std::vector<std::vector<std::int64_t>> paths(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t L = bt.len[static_cast<std::size_t>(b)];
    for (std::int64_t t = 0; t < L; ++t) {
      const double* row = v + (b * T + t) * K;
      paths[static_cast<std::size_t>(b)].push_back(std::max_element(row, row + K) - row);  // ties: the lower id
    }
  }
  return paths;
}

std::vector<std::vector<std::int64_t>> BiLSTMCNNCRFTagger::decode(const Tensor& words, const Tensor& chars, const Tensor& lengths,
                                                                  const Tensor& char_lengths) const {
  NoGradGuard no_grad;
  return decode_emissions(emissions(words, chars, lengths, char_lengths), lengths);
}

std::int64_t BiLSTMCNNCRFTagger::count_correct(const std::vector<std::vector<std::int64_t>>& paths, const Tensor& tags) {
  if (!tags.defined() || tags.dtype() != DType::i64 || tags.dim() != 2 || tags.size(0) != static_cast<std::int64_t>(paths.size()))
    throw ShapeError("BiLSTMCNNCRFTagger::count_correct: tags must be int64 (B, T) with B = " + num(static_cast<std::int64_t>(paths.size())));
  const std::int64_t T = tags.size(1);
  std::int64_t correct = 0;
  for (std::size_t b = 0; b < paths.size(); ++b) {
    if (static_cast<std::int64_t>(paths[b].size()) > T)
      throw ShapeError("BiLSTMCNNCRFTagger::count_correct: path " + std::to_string(b) + " is longer than T = " + num(T));
    for (std::size_t t = 0; t < paths[b].size(); ++t)
      correct += paths[b][t] == tags.data<std::int64_t>()[static_cast<std::int64_t>(b) * T + static_cast<std::int64_t>(t)];
  }
  return correct;
}

double BiLSTMCNNCRFTagger::accuracy(const Tensor& words, const Tensor& chars, const Tensor& lengths, const Tensor& tags,
                                    const Tensor& char_lengths) const {
  const Batch bt = check_words(words, lengths, options_.word_vocab());
  check_tags(tags, bt, options_.num_tags());
  const auto paths = decode(words, chars, lengths, char_lengths);
  std::int64_t total = 0;
  for (auto l : bt.len) total += l;
  return static_cast<double>(count_correct(paths, tags)) / static_cast<double>(total);
}

}  // namespace birnn
