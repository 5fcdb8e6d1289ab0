// BiLSTM-CNN-CRF part-of-speech tagger on a generated toy language.
//
// Words are made of syllables plus a suffix that hints at the part of speech: "-ness" nouns, "-ly"
// adverbs, "-ing" verbs, except that an "-ing" word right after "the" is a noun ("the building").
// Held-out sentences contain words never seen in training: the character CNN tags them from their
// spelling, the BiLSTM and the CRF use the neighbours.
//
//   example_bilstm_cnn_crf_tagger           train for a few epochs and tag a sentence
//   example_bilstm_cnn_crf_tagger --quick   a few steps (smoke test)
#include <birnn/birnn.hpp>
#include <birnn/models/bilstm_cnn_crf_tagger.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace birnn;

namespace {

const std::vector<std::string> kTags = {"DET", "NOUN", "VERB", "ADV"};
const std::vector<std::string> kSyllables = {"ka", "lo", "mi", "ru", "te", "zo", "ba", "ne"};
constexpr std::int64_t kMaxChars = 12;

struct Sentence {
  std::vector<std::string> words;
  std::vector<std::int64_t> tags;
};

std::string pseudo_word(const char* suffix) {
  std::string w;
  const auto n = 1 + random_below(2);
  for (std::uint64_t i = 0; i < n; ++i) w += kSyllables[random_below(kSyllables.size())];
  return w + suffix;
}

// DET? (NOUN | VERB | ADV)+ with the "the + -ing = NOUN" rule. `fresh`: probability of an unseen word.
Sentence make_sentence(const std::vector<std::string>& lexicon, double fresh) {
  static const char* suffix[] = {"ness", "ing", "ly"};
  Sentence s;
  const auto len = 3 + random_below(6);
  for (std::uint64_t i = 0; i < len; ++i) {
    if (random_below(4) == 0) {
      s.words.push_back(random_below(2) ? "the" : "a");
      s.tags.push_back(0);
      continue;
    }
    const auto kind = random_below(3);
    std::string w;
    if (uniform(0, 1) < fresh) {
      w = pseudo_word(suffix[kind]);
    } else {
      do w = lexicon[random_below(lexicon.size())];
      while (w.size() < std::strlen(suffix[kind]) || w.compare(w.size() - std::strlen(suffix[kind]), std::string::npos, suffix[kind]) != 0);
    }
    const bool after_the = !s.words.empty() && s.words.back() == "the";
    s.words.push_back(w);
    s.tags.push_back(kind == 0 ? 1 : kind == 2 ? 3 : (after_the ? 1 : 2));
  }
  return s;
}

struct Vocab {
  std::map<std::string, std::int64_t> word_id{{"<pad>", 0}, {"<unk>", 1}};
  std::vector<std::string> words{"<pad>", "<unk>"};
  std::int64_t id(const std::string& w) const {
    auto it = word_id.find(w);
    return it == word_id.end() ? 1 : it->second;
  }
  void add(const std::string& w) {
    if (word_id.emplace(w, static_cast<std::int64_t>(words.size())).second) words.push_back(w);
  }
};

// Characters: 0 padding, 1 unknown, 'a'..'z' -> 2..27.
std::int64_t char_id(char c) { return c >= 'a' && c <= 'z' ? 2 + (c - 'a') : 1; }

struct Batch {
  Tensor words, chars, lengths, tags;
};

Batch make_batch(const std::vector<Sentence>& ss, const Vocab& v) {
  const auto B = static_cast<std::int64_t>(ss.size());
  std::int64_t T = 1;
  for (auto& s : ss) T = std::max<std::int64_t>(T, static_cast<std::int64_t>(s.words.size()));
  std::vector<std::int64_t> w(B * T, 0), y(B * T, 0), c(B * T * kMaxChars, 0), len;
  for (std::int64_t b = 0; b < B; ++b) {
    const Sentence& s = ss[b];
    len.push_back(static_cast<std::int64_t>(s.words.size()));
    for (std::size_t t = 0; t < s.words.size(); ++t) {
      w[b * T + t] = v.id(s.words[t]);
      y[b * T + t] = s.tags[t];
      for (std::size_t k = 0; k < s.words[t].size() && k < static_cast<std::size_t>(kMaxChars); ++k)
        c[(b * T + t) * kMaxChars + k] = char_id(s.words[t][k]);
    }
  }
  return {Tensor::from_vector(w, {B, T}), Tensor::from_vector(c, {B, T, kMaxChars}), Tensor::from_vector(len, {B}),
          Tensor::from_vector(y, {B, T})};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(42);

  // A lexicon of known words, training and held-out sentences (a third of held-out words are new).
  std::vector<std::string> lexicon;
  for (const char* suf : {"ness", "ing", "ly"})
    for (int i = 0; i < 15; ++i) lexicon.push_back(pseudo_word(suf));
  const int n_train = quick ? 96 : 512, batch = 32, epochs = quick ? 4 : 8;
  std::vector<Sentence> train, dev;
  for (int i = 0; i < n_train; ++i) train.push_back(make_sentence(lexicon, 0.1));
  for (int i = 0; i < 128; ++i) dev.push_back(make_sentence(lexicon, 0.33));
  Vocab vocab;
  for (auto& s : train)
    for (auto& w : s.words) vocab.add(w);

  BiLSTMCNNCRFTagger model(BiLSTMCNNCRFTaggerOptions(static_cast<std::int64_t>(vocab.words.size()), 28, 4)
                               .word_dim(16)
                               .char_dim(16)
                               .char_filters(16)
                               .hidden(32)
                               .dropout(0.2));
  std::printf("BiLSTM-CNN-CRF tagger: %lld parameters, %zu known words\n", static_cast<long long>(model.parameter_count()),
              vocab.words.size());
  Adam opt(model.parameters(), 0.01);
  const Batch dev_batch = make_batch(dev, vocab);

  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0;
    int steps = 0;
    for (int start = 0; start < n_train; start += batch) {
      const Batch b = make_batch({train.begin() + start, train.begin() + std::min(n_train, start + batch)}, vocab);
      Tensor loss = model.loss(b.words, b.chars, b.lengths, b.tags);
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(model.parameters(), 5.0);
      opt.step();
      total += loss.item();
      ++steps;
    }
    model.eval();
    std::printf("epoch %d  loss %.4f  held-out accuracy %.4f\n", epoch, total / steps,
                model.accuracy(dev_batch.words, dev_batch.chars, dev_batch.lengths, dev_batch.tags));
  }

  // Save with the vocabularies, load back, and tag a sentence with words never seen in training.
  const std::string dir = (std::filesystem::temp_directory_path() / "birnn_example_tagger").string();
  std::filesystem::create_directories(dir);
  save_model(dir + "/tagger", model, {{"words", vocab.words}, {"tags", kTags}});
  CheckpointInfo info;
  auto loaded = load_model<BiLSTMCNNCRFTagger>(dir + "/tagger", &info);
  loaded->eval();

  const Sentence s{{"the", "zonebaing", "rukaly", "mitelo" "ing", "a", "kaness"}, {0, 1, 3, 2, 0, 1}};
  const Batch one = make_batch({s}, vocab);
  const auto path = loaded->decode(one.words, one.chars, one.lengths)[0];
  const auto again = model.decode(one.words, one.chars, one.lengths)[0];
  std::printf("tagged:");
  for (std::size_t t = 0; t < s.words.size(); ++t)
    std::printf(" %s%s/%s", s.words[t].c_str(), vocab.id(s.words[t]) == 1 ? "(new)" : "", info.vocabularies.at("tags")[path[t]].c_str());
  std::printf("\nexpected:");
  for (std::size_t t = 0; t < s.words.size(); ++t) std::printf(" %s/%s", s.words[t].c_str(), kTags[s.tags[t]].c_str());
  std::printf("\n");
  std::filesystem::remove_all(dir);
  if (path != again) {
    std::fprintf(stderr, "the loaded model decodes differently from the saved one\n");
    return 1;
  }
  return 0;
}
