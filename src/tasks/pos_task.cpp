// The `pos` task: part-of-speech tagging with the BiLSTM-CNN-CRF tagger (models/bilstm_cnn_crf_tagger.hpp).
// --cell rnn|lstm|gru (default lstm) and --unidirectional swap its recurrent layer (for `birnn compare pos`).
//
// Data: the Brown corpus (data::load_brown: tags normalised, every 10th file held out as `test`), or with
// --data FILE a CoNLL file, `token<TAB>tag` lines with a blank line between sentences, or CoNLL-U (FORM
// and UPOS are the token and the tag; data::read_conll tells the two apart); from such a file sentence i
// (from 0) is `test` when i % 10 == 9 and the rest is the training part.
// `dev` is every 20th sentence of the training part (i % 20 == 19); what is left trains the model.
// --limit N keeps the first N sentences of the training part (before dev is carved from it). A split left
// empty (a file of fewer than 22 sentences, --limit below 20) is a DataError before training.
// `birnn eval CKPT --data FILE` with a file other than the one the model was trained on scores every
// sentence of FILE as `test` (there is no dev split then); with the training file, its held-out part.
// --max-length N: longest sentence in tokens (default 400; Brown's longest has 180); a longer one is a
// FormatError naming file and line.
//
// Words: the word embedding reads the word lowercased (ASCII letters) with every ASCII digit replaced
// by '0' ("1964" and "1965" share a row); the character CNN reads the word as written (case and digits are
// what it is good at). Vocabularies, from the sentences that train the model (not dev, not test):
//   words  (checkpoint "words")  normalised words seen >= 2 times, <pad> = 0, <unk> = 1; so about half the
//          training singletons map to <unk> and its row learns what an unknown word looks like;
//   chars  ("chars")             characters (code points) seen >= 2 times, <pad>, <unk>; words keep at most
//                                their first 30 characters;
//   tags   ("tags")              the training tags by frequency, then the tags that occur only in dev or
//                                test (Brown: 2 tags, 2 tokens) appended in byte order, so evaluation
//                                can score them (the model has never seen them, so they count as errors).
// A model reading new data (eval --data, predict) maps unknown words and characters to <unk>; a tag not in
// its tag vocabulary is a FormatError "vocabulary mismatch" naming the tag, file and line.
//
// Metrics: accuracy over tokens (primary), oov_accuracy over tokens whose normalised word is not in the
// word vocabulary, baseline = the most-frequent-tag accuracy (data::most_frequent_tag_accuracy, trained
// on the training sentences; left out when eval --data scores a whole file, which has no training
// sentences), loss (CRF NLL per token).
//
// predict: one sentence per line, tokens separated by whitespace; writes `word/TAG word/TAG ...`, one line
// per input line (an empty input line gives an empty output line). A line longer than 1 MB is a FormatError.
#include "tasks/pos_task.hpp"

#include <algorithm>
#include <istream>
#include <ostream>
#include <unordered_map>

#include "birnn/autograd.hpp"
#include "birnn/data/data.hpp"
#include "birnn/error.hpp"
#include "birnn/models/bilstm_cnn_crf_tagger.hpp"
#include "data/line_reader.hpp"
#include "tasks/task_common.hpp"

namespace birnn::tasks {

namespace {

constexpr std::int64_t kMaxWordChars = 30;
constexpr std::int64_t kDefaultMaxLength = 400;
constexpr std::int64_t kEvalBatch = 64;
constexpr std::int64_t kMaxPredictLineBytes = 1 << 20;  // a predict line (one sentence) longer than 1 MB is an error

// Defaults of the knobs (TrainConfig's 0 / -1 / ""), chosen for >= 97% on Brown's held-out files.
void fill_defaults(TrainConfig& c) {
  c.check_ranges("pos");  // before the defaults, which replace only the "task default" values
  if (c.cell.empty()) c.cell = "lstm";
  if (c.cell != "lstm" && c.cell != "gru" && c.cell != "rnn")
    throw OptionError("pos: --cell must be rnn, lstm or gru (the tagger's recurrent layer), got '" + c.cell + "'");
  if (c.bidirectional == -1) c.bidirectional = 1;
  if (c.layers == 0) c.layers = 1;
  if (c.hidden == 0) c.hidden = 200;     // per direction (Ma & Hovy)
  if (c.embedding == 0) c.embedding = 100;
  if (c.dropout < 0) c.dropout = 0.5;    // Ma & Hovy
  if (c.lr == 0) c.lr = c.optimizer == "sgd" ? 0.1 : 2e-3;
  if (c.batch == 0) c.batch = 32;
  if (c.epochs == 0) c.epochs = 11;
  // Constant lr for 8 epochs (dev accuracy still rising by ~0.1 point per epoch), then halved each epoch.
  if (c.lr_decay <= 0) c.lr_decay = 0.5;
  if (c.lr_decay_after < 0) c.lr_decay_after = 8;
  if (c.max_length == 0) c.max_length = kDefaultMaxLength;
}

std::string normalize_word(const std::string& w) {
  std::string s = w;
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    else if (ch >= '0' && ch <= '9') ch = '0';
  }
  return s;
}

// One split, encoded.
struct Encoded {
  std::vector<data::TaggedSentence> sentences;
  std::vector<std::vector<std::int64_t>> words, tags;
  std::vector<std::vector<std::vector<std::int64_t>>> chars;
  std::int64_t tokens = 0;
};

class PosTask : public Task {
 public:
  std::string name() const override { return "pos"; }
  std::string description() const override {
    return "part-of-speech tagging, Brown corpus (or --data CoNLL token<TAB>tag or CoNLL-U), BiLSTM-CNN-CRF tagger "
           "(--cell, --unidirectional); "
           "metric token accuracy";
  }

  void prepare(const TrainConfig& config) override {
    config_ = config;
    fill_defaults(config_);
    whole_file_ = false;
    read_data();
    std::vector<std::vector<std::string>> words, tags;
    std::vector<std::string> chars_text;
    for (const auto& s : train_raw_) {
      std::vector<std::string> w;
      for (const auto& t : s.tokens) w.push_back(normalize_word(t));
      words.push_back(std::move(w));
      tags.push_back(s.tags);
      for (const auto& t : s.tokens) chars_text.push_back(t);
    }
    words_ = data::Vocabulary::build(words, data::VocabularyOptions().min_count(2));
    chars_ = data::build_char_vocabulary(chars_text, data::VocabularyOptions().min_count(2));
    tags_ = data::Vocabulary::build(tags, data::VocabularyOptions().reserved(false));
    std::vector<std::string> extra_tags;
    for (const auto* part : {&dev_raw_, &test_raw_})
      for (const auto& s : *part)
        for (const auto& t : s.tags)
          if (!tags_.contains(t)) extra_tags.push_back(t);
    std::sort(extra_tags.begin(), extra_tags.end());
    for (const auto& t : extra_tags) tags_.add(t);
    if (tags_.size() < 1) throw FormatError(source_ + ": no tags");

    BiLSTMCNNCRFTaggerOptions o(words_.size(), chars_.size(), tags_.size());
    o.word_dim(config_.embedding).hidden(config_.hidden).num_layers(config_.layers).dropout(config_.dropout);
    o.cell(config_.cell).bidirectional(config_.bidirectional == 1);
    model_ = std::make_unique<BiLSTMCNNCRFTagger>(o);
    encode_all();
  }

  void prepare_for(const std::string& checkpoint, const TrainConfig& config, DataNeed need) override {
    config_ = config;
    fill_defaults(config_);
    CheckpointInfo info;
    model_ = load_model<BiLSTMCNNCRFTagger>(checkpoint, &info);
    for (const char* v : {"words", "chars", "tags"})
      if (!info.vocabularies.count(v)) throw StateDictError(checkpoint + ": the checkpoint has no '" + v + "' vocabulary");
    words_ = data::Vocabulary::from_strings(info.vocabularies["words"]);
    chars_ = data::Vocabulary::from_strings(info.vocabularies["chars"]);
    tags_ = data::Vocabulary::from_strings(info.vocabularies["tags"], false);
    whole_file_ = need == DataNeed::splits && scores_whole_file(info, config_.data);
    if (need == DataNeed::splits) {
      read_data();
      encode_all();
    }
  }

  Model& model() override { return *model_; }
  std::map<std::string, std::vector<std::string>> vocabularies() const override {
    return {{"words", words_.to_strings()}, {"chars", chars_.to_strings()}, {"tags", tags_.to_strings()}};
  }
  const TrainConfig& config() const override { return config_; }

  std::int64_t batches_per_epoch() const override {
    const auto n = static_cast<std::int64_t>(train_.words.size());
    return (n + config_.batch - 1) / config_.batch;
  }
  void start_epoch(std::int64_t) override {
    plan_ = data::plan_batches(data::sequence_lengths(train_.words), data::BatchOptions(config_.batch).shuffle(true).bucket(16));
  }
  Tensor batch_loss(std::int64_t b) override {
    if (plan_.empty()) start_epoch(0);
    model_->train();
    const Batch t = make_batch(train_, plan_.at(static_cast<std::size_t>(b)));
    return model_->loss(t.words, t.chars, t.lengths, t.tags);
  }
  std::int64_t batch_units(std::int64_t b) const override {
    if (b < 0 || b >= static_cast<std::int64_t>(plan_.size())) return 0;
    std::int64_t n = 0;
    for (auto i : plan_[static_cast<std::size_t>(b)]) n += static_cast<std::int64_t>(train_.words[static_cast<std::size_t>(i)].size());
    return n;
  }
  std::string unit() const override { return "tokens"; }

  EvalResult evaluate(Split split) override {
    if (!data_read_) throw DataError("the pos task was loaded without its data (DataNeed::none): nothing to evaluate");
    if (whole_file_ && split != Split::test) throw_no_split_in_eval_file("pos", source_, split);
    const Encoded& e = split == Split::train ? train_ : split == Split::dev ? dev_ : test_;
    EvalResult r;
    r.primary = "accuracy";
    r.higher_is_better = true;
    model_->eval();
    NoGradGuard no_grad;
    std::int64_t correct = 0, total = 0, oov = 0, oov_correct = 0;
    double loss_sum = 0;
    for (const auto& idx : data::plan_batches(data::sequence_lengths(e.words), data::BatchOptions(kEvalBatch).bucket(4))) {
      const Batch t = make_batch(e, idx);
      const Tensor em = model_->emissions(t.words, t.chars, t.lengths);
      std::int64_t n = 0;
      for (auto i : idx) n += static_cast<std::int64_t>(e.words[static_cast<std::size_t>(i)].size());
      loss_sum += model_->loss_from_emissions(em, t.lengths, t.tags).item() * static_cast<double>(n);
      const auto paths = model_->decode_emissions(em, t.lengths);
      for (std::size_t b = 0; b < idx.size(); ++b) {
        const auto k = static_cast<std::size_t>(idx[b]);
        for (std::size_t j = 0; j < paths[b].size(); ++j) {
          const bool ok = paths[b][j] == e.tags[k][j];
          correct += ok;
          ++total;
          if (e.words[k][j] == data::Vocabulary::kUnk) {
            ++oov;
            oov_correct += ok;
          }
        }
      }
    }
    const auto frac = [](std::int64_t a, std::int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    r.metrics = {{"accuracy", frac(correct, total)},
                 {"oov_accuracy", frac(oov_correct, oov)},
                 {"oov_rate", frac(oov, total)}};
    // The baseline is trained on the training sentences, which a file scored whole comes without.
    if (!whole_file_) r.metrics.emplace_back("baseline", baseline(split, e));
    r.metrics.emplace_back("loss", total > 0 ? loss_sum / static_cast<double>(total) : 0.0);
    r.count = total;
    return r;
  }

  void predict(std::istream& in, std::ostream& out) override {
    model_->eval();
    NoGradGuard no_grad;
    data::detail::BoundedLineReader lines(in, kMaxPredictLineBytes);
    std::string line;
    while (lines.next(line)) {
      if (data::find_invalid_utf8(line) != std::string::npos) line = data::repair_utf8(line, data::InvalidUtf8::replace);
      const auto tokens = data::split_whitespace(line);
      if (tokens.empty()) {
        out << '\n';
        continue;
      }
      if (static_cast<std::int64_t>(tokens.size()) > config_.max_length)
        throw FormatError(lines.where() + "sentence of " + std::to_string(tokens.size()) +
                          " tokens is longer than the limit " + std::to_string(config_.max_length));
      Encoded e;
      data::TaggedSentence s;
      s.tokens = tokens;
      s.tags.assign(tokens.size(), tags_.token(0));
      add(e, s);
      const Batch t = make_batch(e, {0});
      const auto path = model_->decode(t.words, t.chars, t.lengths).at(0);
      for (std::size_t j = 0; j < tokens.size(); ++j) out << (j ? " " : "") << tokens[j] << '/' << tags_.token(path[j]);
      out << '\n';
    }
  }

 private:
  struct Batch {
    Tensor words, chars, lengths, tags;
  };

  double baseline(Split split, const Encoded& e) {
    const auto key = static_cast<int>(split);
    if (!baseline_.count(key)) baseline_[key] = data::most_frequent_tag_accuracy(train_raw_, e.sentences);
    return baseline_[key];
  }

  Batch make_batch(const Encoded& e, const std::vector<std::int64_t>& idx) const {
    const data::TokenBatch w = data::pad_batch(e.words, idx);
    const data::TokenBatch t = data::pad_batch(e.tags, idx);
    return {w.ids, data::pad_char_batch(e.chars, idx, kMaxWordChars), w.lengths, t.ids};
  }

  // Reads the data set (or config_.data) into train_raw_, dev_raw_, test_raw_; a file scored whole
  // (whole_file_) goes to test_raw_ only.
  void read_data() {
    data_read_ = true;
    const auto opts = data::ReadOptions().max_tokens(config_.max_length);
    std::vector<data::TaggedSentence> train_part;
    train_raw_.clear();
    dev_raw_.clear();
    test_raw_.clear();
    if (config_.data.empty()) {
      source_ = "brown";
      data::BrownCorpus c = data::load_brown(data::fetch_dataset("brown"), opts);
      total_ = static_cast<std::int64_t>(c.sentences.train.size() + c.sentences.test.size());
      train_part = std::move(c.sentences.train);
      test_raw_ = std::move(c.sentences.test);
    } else {
      source_ = config_.data;
      auto all = data::read_conll(config_.data, opts);
      total_ = static_cast<std::int64_t>(all.size());
      if (whole_file_) {
        test_raw_ = std::move(all);
        return;
      }
      train_part = split_off_test(std::move(all), test_raw_);
    }
    split_training_part(std::move(train_part), config_.limit, train_raw_, dev_raw_);
  }

  void add(Encoded& e, const data::TaggedSentence& s) const {
    std::vector<std::int64_t> w, t;
    std::vector<std::vector<std::int64_t>> c;
    for (std::size_t j = 0; j < s.tokens.size(); ++j) {
      w.push_back(words_.id(normalize_word(s.tokens[j])));
      c.push_back(chars_.encode(data::utf8_chars(s.tokens[j])));
      const std::int64_t tag = tags_.find(s.tags[j]);
      if (tag < 0)
        throw FormatError(s.source + ":" + std::to_string(s.line) + ": vocabulary mismatch: tag '" + s.tags[j] +
                          "' (token " + std::to_string(j + 1) + ", '" + s.tokens[j] + "') is not in the model's tag vocabulary");
      t.push_back(tag);
    }
    e.words.push_back(std::move(w));
    e.chars.push_back(std::move(c));
    e.tags.push_back(std::move(t));
    e.tokens += static_cast<std::int64_t>(s.tokens.size());
    e.sentences.push_back(s);
  }

  void encode_all() {
    for (auto* e : {&train_, &dev_, &test_}) *e = Encoded{};
    for (const auto& s : train_raw_) add(train_, s);
    for (const auto& s : dev_raw_) add(dev_, s);
    for (const auto& s : test_raw_) add(test_, s);
    plan_.clear();
    baseline_.clear();
    // After encoding, so that a malformed file (an unknown tag) is reported before its split sizes.
    if (!whole_file_)
      check_split_sizes(source_, "sentences", total_, train_raw_, dev_raw_, test_raw_, config_);
  }

  TrainConfig config_;
  bool data_read_ = false;  // false after prepare_for(..., DataNeed::none): predict only
  bool whole_file_ = false;  // eval --data FILE of another file than the training one: all of it is test
  std::string source_;
  std::int64_t total_ = 0;  // sentences read, before the split
  data::Vocabulary words_, chars_, tags_{false};
  std::unique_ptr<BiLSTMCNNCRFTagger> model_;
  std::vector<data::TaggedSentence> train_raw_, dev_raw_, test_raw_;
  Encoded train_, dev_, test_;
  std::vector<std::vector<std::int64_t>> plan_;
  std::map<int, double> baseline_;
};

}  // namespace

std::unique_ptr<Task> make_pos_task() { return std::make_unique<PosTask>(); }

}  // namespace birnn::tasks
