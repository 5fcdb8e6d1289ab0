// The `spam` task: ham/spam classification of e-mails with the Keras-style BiGRU classifier
// (models/bigru_classifier.hpp: embedding, bidirectional GRU, max pooling over time, Dense(1), sigmoid).
//
// Data: the SpamAssassin corpus (data::load_spam_assassin: held out as `test` when FNV-1a(file name) % 5 == 0;
// a mail's text is one "Name: value" line for each header of data::spam_headers() the mail has (Subject,
// From, To, Reply-To, Return-Path, X-Mailer, User-Agent, Content-Type, List-Id, Precedence, In-Reply-To,
// X-Priority, X-MSMail-Priority, Delivered-To, Sender, Errors-To: in this corpus the headers carry much of
// the signal), a blank line, then the readable body), or with
// --data FILE a `label<TAB>text` TSV file (data::read_tsv_labeled) or, if the name ends in ".jsonl",
// one JSON object per line with "label" and "text" (data::read_jsonl_labeled). Labels are "ham" and "spam";
// anything else is a FormatError naming the label, file and line. From a --data file, example i (from 0)
// is `test` when i % 10 == 9. `dev` is every 20th example of the training part (i % 20 == 19).
// --limit N keeps the first N examples of the training part (before dev is carved from it). A split left
// empty (a file of fewer than 22 examples, --limit below 20) is a DataError before training.
// `birnn eval CKPT --data FILE` with a file other than the one the model was trained on scores every
// example of FILE as `test` (there is no dev split then); with the training file, its held-out part.
//
// Tokens: data::Tokenizer (ASCII lowercased; runs of letters/digits; "!?$%" kept as tokens), then only the
// first --max-length tokens of each text are kept (default 800: the header lines + the start of the body;
// the extra headers add ~45 tokens per mail, and 800 beat 600 on dev accuracy; the rest is cut, never an
// error). A text with no token at all is read as one <unk>.
// Vocabulary "words": tokens seen >= 2 times in the training examples, at most 30000 entries (the rarest
// dropped), <pad> = 0, <unk> = 1. "labels" records the class order {ham, spam} (spam = 1 = positive).
//
// Metrics: accuracy (primary); precision, recall and F1 of spam; loss (binary cross-entropy).
// predict: one text per line; writes `spam<TAB>p` or `ham<TAB>p` per line, p = the model's probability
// that the text is spam (spam when p >= 0.5), with 4 decimals. A line longer than 16 MB is a FormatError.
#include "tasks/spam_task.hpp"

#include <cmath>
#include <cstdio>
#include <istream>
#include <ostream>

#include "birnn/autograd.hpp"
#include "birnn/data/data.hpp"
#include "birnn/error.hpp"
#include "birnn/models/bigru_classifier.hpp"
#include "data/line_reader.hpp"
#include "tasks/task_common.hpp"

namespace birnn::tasks {

namespace {

constexpr std::int64_t kDefaultMaxTokens = 800;
constexpr std::int64_t kEvalBatch = 64;
constexpr std::int64_t kMaxTextBytes = 16 << 20;  // a generic-format or predict line longer than 16 MB is an error

// Defaults of the knobs (TrainConfig's 0 / -1 / ""), chosen for >= 99% on the held-out mails.
void fill_defaults(TrainConfig& c) {
  c.check_ranges("spam");  // before the defaults, which replace only the "task default" values
  if (c.cell.empty()) c.cell = "gru";
  if (c.cell != "gru") throw OptionError("spam: the BiGRU classifier uses a GRU, got --cell " + c.cell);
  if (c.bidirectional == -1) c.bidirectional = 1;
  if (c.bidirectional != 1) throw OptionError("spam: the BiGRU classifier is bidirectional (--unidirectional is not supported)");
  if (c.layers == 0) c.layers = 1;
  if (c.hidden == 0) c.hidden = 64;
  if (c.embedding == 0) c.embedding = 64;
  if (c.dropout < 0) c.dropout = 0.2;
  if (c.lr == 0) c.lr = c.optimizer == "sgd" ? 0.1 : 2e-3;
  if (c.batch == 0) c.batch = 32;
  if (c.epochs == 0) c.epochs = 6;
  if (c.max_length == 0) c.max_length = kDefaultMaxTokens;
}

struct Encoded {
  std::vector<std::vector<std::int64_t>> ids;
  std::vector<float> labels;  // 1 = spam
};

class SpamTask : public Task {
 public:
  std::string name() const override { return "spam"; }
  std::string description() const override {
    return "ham/spam e-mail classification, SpamAssassin (or --data label<TAB>text .tsv / .jsonl), BiGRU classifier; metric accuracy";
  }

  void prepare(const TrainConfig& config) override {
    config_ = config;
    fill_defaults(config_);
    whole_file_ = false;
    read_data();
    std::vector<std::vector<std::string>> tokens;
    for (const auto& x : train_raw_) tokens.push_back(tokenize(x.text));
    words_ = data::Vocabulary::build(tokens, data::VocabularyOptions().min_count(2).max_size(30000));
    BiGRUClassifierOptions o;
    o.vocab_size(words_.size()).embedding_dim(config_.embedding).hidden_size(config_.hidden).num_layers(config_.layers)
        .dropout(config_.dropout).head(BiGRUClassifierOptions::Head::pooled).pooling(BiGRUClassifierOptions::Pooling::max);
    model_ = std::make_unique<BiGRUClassifier>(o);
    encode_all();
  }

  void prepare_for(const std::string& checkpoint, const TrainConfig& config, DataNeed need) override {
    config_ = config;
    fill_defaults(config_);
    CheckpointInfo info;
    model_ = load_model<BiGRUClassifier>(checkpoint, &info);
    if (!info.vocabularies.count("words")) throw StateDictError(checkpoint + ": the checkpoint has no 'words' vocabulary");
    words_ = data::Vocabulary::from_strings(info.vocabularies["words"]);
    whole_file_ = need == DataNeed::splits && scores_whole_file(info, config_.data);
    if (need == DataNeed::splits) {
      read_data();
      encode_all();
    }
  }

  Model& model() override { return *model_; }
  std::map<std::string, std::vector<std::string>> vocabularies() const override {
    return {{"words", words_.to_strings()}, {"labels", {"ham", "spam"}}};
  }
  const TrainConfig& config() const override { return config_; }

  std::int64_t batches_per_epoch() const override {
    const auto n = static_cast<std::int64_t>(train_.ids.size());
    return (n + config_.batch - 1) / config_.batch;
  }
  void start_epoch(std::int64_t) override {
    plan_ = data::plan_batches(data::sequence_lengths(train_.ids), data::BatchOptions(config_.batch).shuffle(true).bucket(8));
  }
  Tensor batch_loss(std::int64_t b) override {
    if (plan_.empty()) start_epoch(0);
    model_->train();
    const auto& idx = plan_.at(static_cast<std::size_t>(b));
    const data::TokenBatch t = data::pad_batch(train_.ids, idx);
    return model_->loss(t.ids, labels_of(train_, idx), t.lengths);
  }
  std::int64_t batch_units(std::int64_t b) const override {
    if (b < 0 || b >= static_cast<std::int64_t>(plan_.size())) return 0;
    std::int64_t n = 0;
    for (auto i : plan_[static_cast<std::size_t>(b)]) n += static_cast<std::int64_t>(train_.ids[static_cast<std::size_t>(i)].size());
    return n;
  }
  std::string unit() const override { return "tokens"; }

  EvalResult evaluate(Split split) override {
    if (!data_read_) throw DataError("the spam task was loaded without its data (DataNeed::none): nothing to evaluate");
    if (whole_file_ && split != Split::test) throw_no_split_in_eval_file("spam", source_, split);
    const Encoded& e = split == Split::train ? train_ : split == Split::dev ? dev_ : test_;
    model_->eval();
    NoGradGuard no_grad;
    std::int64_t tp = 0, fp = 0, tn = 0, fn = 0;
    double loss_sum = 0;
    for (const auto& idx : data::plan_batches(data::sequence_lengths(e.ids), data::BatchOptions(kEvalBatch).bucket(4))) {
      const data::TokenBatch t = data::pad_batch(e.ids, idx);
      const Tensor logits = model_->forward(t.ids, t.lengths);
      for (std::size_t b = 0; b < idx.size(); ++b) {
        const double z = logits.item(static_cast<std::int64_t>(b));
        const bool spam = e.labels[static_cast<std::size_t>(idx[b])] > 0.5f;
        // BCE with logits: softplus(-z) for spam, softplus(z) for ham, computed stably.
        const double m = spam ? -z : z;
        loss_sum += std::max(m, 0.0) + std::log1p(std::exp(-std::abs(m)));
        const bool said_spam = z >= 0;
        tp += said_spam && spam;
        fp += said_spam && !spam;
        tn += !said_spam && !spam;
        fn += !said_spam && spam;
      }
    }
    const auto frac = [](std::int64_t a, std::int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    const double precision = frac(tp, tp + fp), recall = frac(tp, tp + fn);
    const std::int64_t n = tp + fp + tn + fn;
    EvalResult r;
    r.primary = "accuracy";
    r.higher_is_better = true;
    r.metrics = {{"accuracy", frac(tp + tn, n)},
                 {"precision", precision},
                 {"recall", recall},
                 {"f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0},
                 {"loss", n > 0 ? loss_sum / static_cast<double>(n) : 0.0}};
    return r;
  }

  void predict(std::istream& in, std::ostream& out) override {
    model_->eval();
    NoGradGuard no_grad;
    data::detail::BoundedLineReader lines(in, kMaxTextBytes);
    std::string line;
    while (lines.next(line)) {
      const std::vector<std::vector<std::int64_t>> ids = {encode(repair(line))};
      const data::TokenBatch t = data::pad_batch(ids, {0});
      const double p = model_->predict_proba(t.ids, t.lengths).item(0);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s\t%.4f", p >= 0.5 ? "spam" : "ham", p);
      out << buf << '\n';
    }
  }

 private:
  static std::string repair(const std::string& s) {
    return data::find_invalid_utf8(s) == std::string::npos ? s : data::repair_utf8(s, data::InvalidUtf8::latin1);
  }

  std::vector<std::string> tokenize(const std::string& text) const {
    auto t = tokenizer_(text);
    if (static_cast<std::int64_t>(t.size()) > config_.max_length) t.resize(static_cast<std::size_t>(config_.max_length));
    return t;
  }

  std::vector<std::int64_t> encode(const std::string& text) const {
    auto ids = words_.encode(tokenize(text));
    if (ids.empty()) ids.push_back(data::Vocabulary::kUnk);
    return ids;
  }

  static Tensor labels_of(const Encoded& e, const std::vector<std::int64_t>& idx) {
    std::vector<float> y;
    for (auto i : idx) y.push_back(e.labels[static_cast<std::size_t>(i)]);
    return Tensor::from_vector(y, {static_cast<std::int64_t>(y.size())});
  }

  // Reads the data set (or config_.data) into train_raw_, dev_raw_, test_raw_; a file scored whole
  // (whole_file_) goes to test_raw_ only.
  void read_data() {
    data_read_ = true;
    std::vector<data::LabeledText> train_part;
    train_raw_.clear();
    dev_raw_.clear();
    test_raw_.clear();
    if (config_.data.empty()) {
      source_ = "spam-assassin";
      auto s = data::load_spam_assassin(data::fetch_dataset("spam-assassin"));
      total_ = static_cast<std::int64_t>(s.train.size() + s.test.size());
      train_part = std::move(s.train);
      test_raw_ = std::move(s.test);
    } else {
      source_ = config_.data;
      const auto opts = data::ReadOptions().max_text_bytes(kMaxTextBytes);
      auto all = config_.data.ends_with(".jsonl") ? data::read_jsonl_labeled(config_.data, opts) : data::read_tsv_labeled(config_.data, opts);
      total_ = static_cast<std::int64_t>(all.size());
      if (whole_file_) {
        test_raw_ = std::move(all);
        return;
      }
      train_part = split_off_test(std::move(all), test_raw_);
    }
    split_training_part(std::move(train_part), config_.limit, train_raw_, dev_raw_);
  }

  void add(Encoded& e, const data::LabeledText& x) const {
    if (x.label != "ham" && x.label != "spam")
      throw FormatError(x.source + (x.line > 0 ? ":" + std::to_string(x.line) : std::string()) + ": vocabulary mismatch: label '" +
                        x.label + "' is not one of the model's labels (ham, spam)");
    e.ids.push_back(encode(x.text));
    e.labels.push_back(x.label == "spam" ? 1.0f : 0.0f);
  }

  void encode_all() {
    for (auto* e : {&train_, &dev_, &test_}) *e = Encoded{};
    for (const auto& x : train_raw_) add(train_, x);
    for (const auto& x : dev_raw_) add(dev_, x);
    for (const auto& x : test_raw_) add(test_, x);
    plan_.clear();
    // After encoding, so that a malformed file (an unknown label) is reported before its split sizes.
    if (!whole_file_)
      check_split_sizes(source_, "examples", total_, train_raw_, dev_raw_, test_raw_, config_);
  }

  TrainConfig config_;
  bool data_read_ = false;  // false after prepare_for(..., DataNeed::none): predict only
  bool whole_file_ = false;  // eval --data FILE of another file than the training one: all of it is test
  std::string source_;
  std::int64_t total_ = 0;  // examples read, before the split
  data::Tokenizer tokenizer_;
  data::Vocabulary words_;
  std::unique_ptr<BiGRUClassifier> model_;
  std::vector<data::LabeledText> train_raw_, dev_raw_, test_raw_;
  Encoded train_, dev_, test_;
  std::vector<std::vector<std::int64_t>> plan_;
};

}  // namespace

std::unique_ptr<Task> make_spam_task() { return std::make_unique<SpamTask>(); }

}  // namespace birnn::tasks
