// BiLSTMCNNCRFTagger (models/bilstm_cnn_crf_tagger.hpp): learning a generated tagging task that needs the
// characters (unknown words) and the left neighbour, float64 gradient checks of the whole model, padding
// invariance, dropout modes, pretrained/frozen word vectors, options JSON, save/load, and bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "birnn/models/bilstm_cnn_crf_tagger.hpp"
#include "unit/gradcheck.hpp"
#include "unit/model_test_util.hpp"

namespace birnn::testing {
namespace {

using I64 = std::vector<std::int64_t>;
using Opts = BiLSTMCNNCRFTaggerOptions;

// ---- the generated task ----
// Characters: 0 padding, 1 unknown, 2..7 stem letters, 8/9/10 the suffix that gives the word's class
// A/B/C. A word is 1-3 stem letters + its suffix. Tags: A -> 0, B -> 1, C -> 2 if the previous word is an
// A, else 3. Known words have ids 2..; unknown words (id 1) keep their characters, so only the character
// CNN can tell their class, and tags 2/3 need the left neighbour.
struct Sentence {
  I64 words, tags;
  std::vector<I64> chars;
};

struct Task {
  std::vector<I64> spelling;  // word id -> characters (ids 0, 1 unused)
  std::vector<std::int64_t> word_class;
  static constexpr std::int64_t kCharVocab = 11, kTags = 4, kMaxChars = 4;

  explicit Task(std::int64_t words_per_class) : spelling(2), word_class(2, -1) {
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t i = 0; i < words_per_class; ++i) spelling.push_back(spell(c)), word_class.push_back(c);
  }
  std::int64_t vocab() const { return static_cast<std::int64_t>(spelling.size()); }
  static I64 spell(std::int64_t cls) {
    I64 s;
    const auto n = 1 + static_cast<std::int64_t>(random_below(3));
    for (std::int64_t i = 0; i < n; ++i) s.push_back(2 + static_cast<std::int64_t>(random_below(6)));
    s.push_back(8 + cls);
    return s;
  }
  Sentence sentence(double p_unknown) const {
    Sentence s;
    const auto T = 3 + static_cast<std::int64_t>(random_below(6));
    std::int64_t prev = -1;
    for (std::int64_t t = 0; t < T; ++t) {
      const auto cls = static_cast<std::int64_t>(random_below(3));
      if (uniform(0, 1) < p_unknown) {
        s.words.push_back(1);
        s.chars.push_back(spell(cls));
      } else {
        const std::int64_t per = (vocab() - 2) / 3;
        const std::int64_t id = 2 + cls * per + static_cast<std::int64_t>(random_below(static_cast<std::uint64_t>(per)));
        s.words.push_back(id);
        s.chars.push_back(spelling[static_cast<std::size_t>(id)]);
      }
      s.tags.push_back(cls < 2 ? cls : (prev == 0 ? 2 : 3));
      prev = cls;
    }
    return s;
  }
};

struct Batch {
  Tensor words, chars, lengths, tags;
  std::int64_t tokens = 0;
};

Batch make_batch(const std::vector<Sentence>& ss) {
  const auto B = static_cast<std::int64_t>(ss.size());
  std::int64_t T = 1;
  for (auto& s : ss) T = std::max<std::int64_t>(T, static_cast<std::int64_t>(s.words.size()));
  const std::int64_t C = Task::kMaxChars;
  I64 w(static_cast<std::size_t>(B * T), 0), y(static_cast<std::size_t>(B * T), 0), c(static_cast<std::size_t>(B * T * C), 0), len;
  Batch out;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& s = ss[static_cast<std::size_t>(b)];
    len.push_back(static_cast<std::int64_t>(s.words.size()));
    out.tokens += len.back();
    for (std::size_t t = 0; t < s.words.size(); ++t) {
      w[static_cast<std::size_t>(b * T) + t] = s.words[t];
      y[static_cast<std::size_t>(b * T) + t] = s.tags[t];
      for (std::size_t k = 0; k < s.chars[t].size(); ++k) c[(static_cast<std::size_t>(b * T) + t) * C + k] = s.chars[t][k];
    }
  }
  out.words = Tensor::from_vector(w, {B, T});
  out.chars = Tensor::from_vector(c, {B, T, C});
  out.lengths = Tensor::from_vector(len, {B});
  out.tags = Tensor::from_vector(y, {B, T});
  return out;
}

std::vector<Batch> make_batches(const Task& task, std::int64_t n_batches, std::int64_t batch, double p_unknown) {
  std::vector<Batch> v;
  for (std::int64_t i = 0; i < n_batches; ++i) {
    std::vector<Sentence> ss;
    for (std::int64_t b = 0; b < batch; ++b) ss.push_back(task.sentence(p_unknown));
    v.push_back(make_batch(ss));
  }
  return v;
}

double majority_baseline(const std::vector<Batch>& data) {
  std::map<std::int64_t, std::int64_t> count;
  std::int64_t total = 0;
  for (auto& b : data)
    for (std::int64_t i = 0; i < b.lengths.size(0); ++i)
      for (std::int64_t t = 0; t < b.lengths.data<std::int64_t>()[i]; ++t) ++count[b.tags.data<std::int64_t>()[i * b.tags.size(1) + t]], ++total;
  std::int64_t best = 0;
  for (auto& [k, n] : count) best = std::max(best, n);
  return static_cast<double>(best) / static_cast<double>(total);
}

double accuracy_on(const BiLSTMCNNCRFTagger& m, const std::vector<Batch>& data) {
  std::int64_t correct = 0, total = 0;
  for (auto& b : data) {
    correct += BiLSTMCNNCRFTagger::count_correct(m.decode(b.words, b.chars, b.lengths), b.tags);
    total += b.tokens;
  }
  return static_cast<double>(correct) / static_cast<double>(total);
}

struct Trained {
  double first_loss = 0, last_loss = 0, heldout_acc = 0, baseline = 0;
  Tensor transitions;  // the CRF's, if any
};

// One thread for the tiny learning runs (restored after): with OpenMP's spinning workers, a machine
// busy with other jobs makes these small ops many times slower on two threads than on one.
struct OneThread {
  int saved = num_threads();
  OneThread() { set_num_threads(1); }
  ~OneThread() { set_num_threads(saved); }
};

Trained train_on_task(Opts o, int epochs) {
  const OneThread one_thread;
  manual_seed(7);
  const Task task(6);
  const auto train = make_batches(task, 4, 16, 0.2), heldout = make_batches(task, 4, 16, 0.5);
  o.word_vocab(task.vocab());
  BiLSTMCNNCRFTagger model(o);
  Adam opt(model.parameters(), 0.03);
  Trained r;
  for (int e = 0; e < epochs; ++e) {
    double total = 0;
    for (auto& b : train) {
      Tensor loss = model.loss(b.words, b.chars, b.lengths, b.tags);
      opt.zero_grad();
      loss.backward();
      opt.step();
      total += loss.item();
    }
    if (e == 0) r.first_loss = total / static_cast<double>(train.size());
    r.last_loss = total / static_cast<double>(train.size());
  }
  model.eval();
  r.heldout_acc = accuracy_on(model, heldout);
  r.baseline = majority_baseline(heldout);
  if (o.use_crf()) r.transitions = model.state_dict().at("crf.transitions");
  return r;
}

Opts task_options() {
  return Opts(2, Task::kCharVocab, Task::kTags).word_dim(8).char_dim(8).char_filters(12).hidden(12).dropout(0.0);
}

TEST(BiLSTMCNNCRFTagger, LearnsATaskThatNeedsCharactersAndContext) {
  const auto t0 = std::chrono::steady_clock::now();
  const Trained r = train_on_task(task_options(), 25);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("CRF + char CNN: loss %.4f -> %.4f, held-out accuracy %.4f (majority %.4f), %.2f s\n", r.first_loss, r.last_loss,
              r.heldout_acc, r.baseline, secs);
  EXPECT_LT(r.last_loss, 0.5 * r.first_loss);
  EXPECT_GT(r.heldout_acc, 0.9);
  EXPECT_LT(r.baseline, 0.5);
  // The CRF learned the rule "a C word is tagged 2 after an A, else 3": from tag 0 (A) the transition to
  // 2 scores higher than to 3; from tags 1 and 3 (B, C) the reverse.
  auto tr = [&](int i, int j) { return r.transitions.item(i * Task::kTags + j); };
  std::printf("transitions 0->2 %.3f 0->3 %.3f 1->2 %.3f 1->3 %.3f\n", tr(0, 2), tr(0, 3), tr(1, 2), tr(1, 3));
  EXPECT_GT(tr(0, 2), tr(0, 3));
  EXPECT_GT(tr(1, 3), tr(1, 2));
  EXPECT_GT(tr(3, 3), tr(3, 2));
}

TEST(BiLSTMCNNCRFTagger, WithoutCharactersUnknownWordsAreGuesses) {
  // Half the held-out words are unknown: without the character CNN their class cannot be known.
  const Trained r = train_on_task(task_options().use_char_cnn(false), 25);
  std::printf("CRF, words only: loss %.4f -> %.4f, held-out accuracy %.4f\n", r.first_loss, r.last_loss, r.heldout_acc);
  EXPECT_LT(r.heldout_acc, 0.8);
}

TEST(BiLSTMCNNCRFTagger, SoftmaxVariantAlsoLearns) {
  const Trained r = train_on_task(task_options().use_crf(false), 25);
  std::printf("softmax + char CNN: loss %.4f -> %.4f, held-out accuracy %.4f\n", r.first_loss, r.last_loss, r.heldout_acc);
  EXPECT_LT(r.last_loss, 0.5 * r.first_loss);
  EXPECT_GT(r.heldout_acc, 0.85);
}

// The other recurrent layers (options cell, bidirectional) learn the same task: it needs only the left
// neighbour, so one direction suffices.
TEST(BiLSTMCNNCRFTagger, GRUAndOneDirectionalVariantsLearn) {
  for (const auto& [cell, bi] : std::vector<std::pair<std::string, bool>>{{"gru", true}, {"lstm", false}, {"gru", false}}) {
    const Trained r = train_on_task(task_options().cell(cell).bidirectional(bi), 25);
    std::printf("%s, %s: loss %.4f -> %.4f, held-out accuracy %.4f\n", cell.c_str(), bi ? "bidirectional" : "one direction",
                r.first_loss, r.last_loss, r.heldout_acc);
    EXPECT_LT(r.last_loss, 0.5 * r.first_loss) << cell << " bi " << bi;
    EXPECT_GT(r.heldout_acc, 0.9) << cell << " bi " << bi;
  }
}

// ---- a tiny batch for the remaining tests ----
// Three sentences of lengths 4, 2, 1; words up to 4 characters; the padded words hold junk characters.
struct Tiny {
  Tensor words = Tensor::from_vector(I64{2, 1, 3, 4, 3, 2, 0, 0, 4, 0, 0, 0}, {3, 4});
  Tensor chars = Tensor::from_vector(I64{2, 3, 4, 0, 1, 0, 0, 0, 4, 4, 2, 3, 2, 3, 0, 0,  //
                                         3, 0, 0, 0, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 5, 5,  //
                                         4, 2, 0, 0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5},
                                     {3, 4, 4});
  Tensor lengths = Tensor::from_vector(I64{4, 2, 1}, {3});
  Tensor tags = Tensor::from_vector(I64{0, 1, 2, 1, 2, 0, 9, 9, 1, 9, 9, 9}, {3, 4});  // 9 at padding: never read
};

Opts tiny_options() {
  return Opts(5, 6, 3).word_dim(3).char_dim(2).char_filters(3).hidden(2).num_layers(2).dropout(0.0);
}

TEST(BiLSTMCNNCRFTagger, GradcheckWholeModelFloat64) {
  const OneThread one_thread;  // ~1000 tiny forward passes
  const Tiny d;
  for (bool crf : {true, false}) {
    SCOPED_TRACE(crf ? "crf" : "softmax");
    manual_seed(11);
    BiLSTMCNNCRFTagger m(tiny_options().use_crf(crf).loss_reduction(crf ? "token_mean" : "mean"));
    m.to(DType::f64);
    m.eval();
    // Spread the CRF parameters beyond their small init so the transitions matter.
    for (auto& [n, p] : m.named_parameters())
      if (n.rfind("crf.", 0) == 0)
        for (std::int64_t i = 0; i < p.numel(); ++i) p.data<double>()[i] = uniform(-1, 1);
    // Every parameter but char_embedding's: its padding row 0 is read by the windows past a short word's
    // end, and by design receives no gradient, so central differences would see what autograd does not.
    std::vector<Tensor> params;
    for (auto& [n, p] : m.named_parameters())
      if (n != "char_embedding.weight") params.push_back(p);
    auto loss = [&](const std::vector<Tensor>&) { return m.loss(d.words, d.chars, d.lengths, d.tags); };
    EXPECT_EQ(gradcheck(loss, params), "");
    // char_embedding too, on words that fill all 4 characters (no window reads the padding row).
    const Tensor full = Tensor::from_vector(I64{2, 3, 4, 5, 1, 1, 2, 2, 4, 4, 2, 3, 2, 3, 5, 5,  //
                                                3, 5, 4, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                                4, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                            {3, 4, 4});
    Tensor ce;
    for (auto& [n, p] : m.named_parameters())
      if (n == "char_embedding.weight") ce = p;
    EXPECT_EQ(gradcheck([&](const std::vector<Tensor>&) { return m.loss(d.words, full, d.lengths, d.tags); }, {ce}), "");
  }
}

TEST(BiLSTMCNNCRFTagger, GradcheckOtherCellsAndOneDirectionFloat64) {
  const OneThread one_thread;
  const Tiny d;
  for (const auto& [cell, bi] : std::vector<std::pair<std::string, bool>>{{"gru", true}, {"gru", false}, {"lstm", false}, {"rnn", true}}) {
    SCOPED_TRACE(cell + (bi ? " bidirectional" : " one direction"));
    manual_seed(12);
    BiLSTMCNNCRFTagger m(tiny_options().cell(cell).bidirectional(bi));
    m.to(DType::f64);
    m.eval();
    for (auto& [n, p] : m.named_parameters())
      if (n.rfind("crf.", 0) == 0)
        for (std::int64_t i = 0; i < p.numel(); ++i) p.data<double>()[i] = uniform(-1, 1);
    std::vector<Tensor> params;  // char_embedding aside, as in the test above
    for (auto& [n, p] : m.named_parameters())
      if (n != "char_embedding.weight") params.push_back(p);
    EXPECT_EQ(gradcheck([&](const std::vector<Tensor>&) { return m.loss(d.words, d.chars, d.lengths, d.tags); }, params), "");
  }
}

TEST(BiLSTMCNNCRFTagger, PaddingNeverChangesARealWord) {
  const Tiny d;
  manual_seed(3);
  BiLSTMCNNCRFTagger m(tiny_options());
  m.eval();
  const Tensor em = m.emissions(d.words, d.chars, d.lengths);
  // Sentence 1 alone (T = 2, and only its own characters) must give the same emissions.
  const Tensor w1 = Tensor::from_vector(I64{3, 2}, {1, 2});
  const Tensor c1 = Tensor::from_vector(I64{3, 0, 0, 0, 2, 2, 2, 2}, {1, 2, 4});
  const Tensor em1 = m.emissions(w1, c1, Tensor());
  for (std::int64_t t = 0; t < 2; ++t)
    for (std::int64_t k = 0; k < 3; ++k) EXPECT_NEAR(em.item((1 * 4 + t) * 3 + k), em1.item(t * 3 + k), 1e-6) << t << " " << k;
  // Other junk in the padded words, explicit char lengths equal to the derived ones: nothing changes.
  Tensor junk = d.chars.clone();
  for (std::int64_t i = 0; i < 4; ++i) junk.data<std::int64_t>()[(1 * 4 + 3) * 4 + i] = 1;
  const Tensor clen = Tensor::from_vector(I64{3, 1, 4, 2, 1, 4, 7, 7, 2, 0, 0, 0}, {3, 4});
  const Tensor em2 = m.emissions(d.words, junk, d.lengths, clen);
  for (std::int64_t i = 0; i < em.numel(); ++i) EXPECT_EQ(em.item(i), em2.item(i)) << i;
  // Char features are zero at padded words.
  const Tensor cf = m.char_features(d.words, d.chars, d.lengths);
  for (std::int64_t f = 0; f < 3; ++f) EXPECT_EQ(cf.item((2 * 4 + 1) * 3 + f), 0.0);
}

TEST(BiLSTMCNNCRFTagger, DropoutOnlyInTraining) {
  const Tiny d;
  manual_seed(4);
  BiLSTMCNNCRFTagger m(tiny_options().dropout(0.5));
  testing::expect_dropout_only_in_training(m, [&] { return m.emissions(d.words, d.chars, d.lengths); });
}

TEST(BiLSTMCNNCRFTagger, DecodeAndAccuracy) {
  const Tiny d;
  manual_seed(5);
  BiLSTMCNNCRFTagger m(tiny_options());
  m.eval();
  const auto paths = m.decode(d.words, d.chars, d.lengths);
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0].size(), 4u);
  EXPECT_EQ(paths[1].size(), 2u);
  EXPECT_EQ(paths[2].size(), 1u);
  // Gold = the decoded paths: accuracy 1; one tag changed: 6 of 7.
  Tensor gold = Tensor::zeros({3, 4}, DType::i64);
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t t = 0; t < paths[b].size(); ++t) gold.data<std::int64_t>()[b * 4 + t] = paths[b][t];
  EXPECT_DOUBLE_EQ(m.accuracy(d.words, d.chars, d.lengths, gold), 1.0);
  gold.data<std::int64_t>()[4] = (gold.data<std::int64_t>()[4] + 1) % 3;
  EXPECT_DOUBLE_EQ(m.accuracy(d.words, d.chars, d.lengths, gold), 6.0 / 7.0);
  // Without the CRF, decode is the argmax of the emissions.
  BiLSTMCNNCRFTagger s(tiny_options().use_crf(false));
  s.eval();
  const Tensor em = s.emissions(d.words, d.chars, d.lengths);
  const auto sp = s.decode(d.words, d.chars, d.lengths);
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t t = 0; t < sp[b].size(); ++t) {
      const std::int64_t base = (static_cast<std::int64_t>(b) * 4 + static_cast<std::int64_t>(t)) * 3;
      for (std::int64_t k = 0; k < 3; ++k) EXPECT_GE(em.item(base + sp[b][t]), em.item(base + k));
    }
}

TEST(BiLSTMCNNCRFTagger, PretrainedWordVectorsAndFreeze) {
  const Tiny d;
  Tensor vec = Tensor::empty({5, 3});
  for (std::int64_t i = 0; i < 15; ++i) vec.data<float>()[i] = static_cast<float>(i) * 0.1f;
  for (bool freeze : {true, false}) {
    manual_seed(6);
    BiLSTMCNNCRFTagger m(tiny_options().freeze_word_embedding(freeze));
    m.set_word_vectors(vec);
    EXPECT_EQ(m.state_dict().at("word_embedding.weight").item(7), vec.item(7));
    SGD opt(m.parameters(), 0.5);
    Tensor loss = m.loss(d.words, d.chars, d.lengths, d.tags);
    opt.zero_grad();
    loss.backward();
    opt.step();
    const Tensor w = m.state_dict().at("word_embedding.weight");
    double moved = 0;
    for (std::int64_t i = 0; i < 15; ++i) moved = std::max(moved, std::abs(w.item(i) - vec.item(i)));
    if (freeze) EXPECT_EQ(moved, 0.0);
    else EXPECT_GT(moved, 0.0);
    EXPECT_EQ(w.item(0), vec.item(0)) << "the padding row never moves";
  }
  BiLSTMCNNCRFTagger m(tiny_options());
  EXPECT_TRUE(contains(error_of([&] { m.set_word_vectors(Tensor::zeros({4, 3})); }), "(5, 3)"));
}

TEST(BiLSTMCNNCRFTagger, ParameterNamesMatchTheReferenceModel) {
  BiLSTMCNNCRFTagger full(tiny_options().num_layers(1));
  std::vector<std::string> names;
  for (auto& [n, p] : full.named_parameters()) names.push_back(n);
  const std::vector<std::string> want{"word_embedding.weight", "char_embedding.weight", "char_conv.weight", "char_conv.bias",
                                      "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                                      "lstm.weight_ih_l0_reverse", "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse",
                                      "lstm.bias_hh_l0_reverse", "fc.weight", "fc.bias", "crf.start_transitions",
                                      "crf.end_transitions", "crf.transitions"};
  EXPECT_EQ(names, want);
  BiLSTMCNNCRFTagger bare(tiny_options().num_layers(1).use_char_cnn(false).use_crf(false));
  EXPECT_EQ(bare.named_parameters().size(), 11u);
  EXPECT_EQ(full.state_dict().at("lstm.weight_ih_l0").size(1), 3 + 3);  // word_dim + char_filters
  // Other cells: the submodule is named after the cell (torch's attribute), one direction has no _reverse.
  BiLSTMCNNCRFTagger gru(tiny_options().num_layers(1).cell("gru").bidirectional(false).use_char_cnn(false).use_crf(false));
  names.clear();
  for (auto& [n, p] : gru.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"word_embedding.weight", "gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0",
                                             "gru.bias_hh_l0", "fc.weight", "fc.bias"}));
  EXPECT_EQ(gru.state_dict().at("gru.weight_ih_l0").size(0), 3 * 2);  // 3 gates x hidden
  EXPECT_EQ(gru.state_dict().at("fc.weight").size(1), 2);             // one direction: hidden, not 2 * hidden
  BiLSTMCNNCRFTagger rnn(tiny_options().num_layers(1).cell("rnn"));
  EXPECT_EQ(rnn.state_dict().at("rnn.weight_hh_l0_reverse").size(0), 2);
  EXPECT_EQ(rnn.state_dict().at("fc.weight").size(1), 4);
}

TEST(BiLSTMCNNCRFTagger, OptionsJsonRoundTripAndErrors) {
  const Opts o = Opts(100, 50, 5)
                     .word_dim(7)
                     .char_dim(9)
                     .char_filters(11)
                     .char_kernel(5)
                     .char_activation("relu")
                     .hidden(13)
                     .num_layers(2)
                     .dropout(0.25)
                     .use_char_cnn(false)
                     .loss_reduction("sum")
                     .freeze_word_embedding(true)
                     .crf_constraints(CRFConstraints::bio({"O", "B-X", "I-X", "B-Y", "I-Y"}).forbid_end(1));
  const Opts back = testing::json_round_trip(o);
  EXPECT_EQ(back.word_vocab(), 100);
  EXPECT_EQ(back.char_kernel(), 5);
  EXPECT_EQ(back.char_activation(), "relu");
  EXPECT_EQ(back.dropout(), 0.25);
  EXPECT_FALSE(back.use_char_cnn());
  EXPECT_EQ(back.crf_constraints().transitions(), o.crf_constraints().transitions());
  EXPECT_EQ(back.crf_constraints().start(), o.crf_constraints().start());
  EXPECT_EQ(back.crf_constraints().end(), (std::set<std::int64_t>{1}));
  // Defaults fill missing optional fields.
  const Opts d = Opts::from_json(R"({"word_vocab": 10, "char_vocab": 20, "num_tags": 3})");
  EXPECT_EQ(d.hidden(), 200);
  EXPECT_TRUE(d.use_crf());
  EXPECT_EQ(d.cell(), "lstm");  // checkpoints written before the option are BiLSTMs
  EXPECT_TRUE(d.bidirectional());
  const Opts g = testing::json_round_trip(Opts(10, 20, 3).cell("gru").bidirectional(false));
  EXPECT_EQ(g.cell(), "gru");
  EXPECT_FALSE(g.bidirectional());
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"word_vocab": 10, "char_vocab": 2, "num_tags": 3, "cell": "transformer"})"); }),
                       "cell must be \"lstm\", \"gru\" or \"rnn\", got \"transformer\""));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"word_vocab": 10, "char_vocab": 2, "num_tags": 3, "bidirectional": "yes"})"); }),
                       "bidirectional"));

  EXPECT_TRUE(contains(error_of([] { Opts::from_json("{not json"); }), "not valid JSON"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"word_vocab": 10, "num_tags": 3})"); }), "char_vocab"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"word_vocab": 10, "char_vocab": 2, "num_tags": "x"})"); }), "num_tags"));
  EXPECT_TRUE(contains(error_of([] { Opts::from_json(R"({"word_vocab": 10, "char_vocab": 2, "num_tags": 3, "hidden": 0})"); }),
                       "hidden must be >= 1, got 0"));
  EXPECT_THROW(Opts::from_json("[1, 2]"), OptionError);

  auto bad = [](const Opts& opts) { return error_of([&] { BiLSTMCNNCRFTagger m(opts); }); };
  EXPECT_TRUE(contains(bad(Opts(0, 5, 3)), "word_vocab must be >= 1, got 0"));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).char_kernel(4)), "char_kernel must be odd"));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).char_activation("sigmoid")), "\"sigmoid\""));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).dropout(1.0)), "dropout"));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).loss_reduction("avg")), "loss_reduction"));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).crf_constraints(CRFConstraints().forbid(0, 3))), "tag 3 is outside 0..2"));
  EXPECT_TRUE(contains(bad(Opts(5, 5, 3).use_crf(false).crf_constraints(CRFConstraints().forbid(0, 1))), "use_crf is false"));
  EXPECT_NO_THROW(BiLSTMCNNCRFTagger(Opts(5, 0, 3).use_char_cnn(false)));  // char_vocab unused then
}

TEST(BiLSTMCNNCRFTagger, SaveLoadRoundTripIsBitIdentical) {
  const Tiny d;
  manual_seed(8);
  BiLSTMCNNCRFTagger m(tiny_options().crf_constraints(CRFConstraints().forbid(2, 2).forbid_start(1)));
  m.eval();
  CheckpointInfo info;
  auto loaded = testing::save_and_reload(m, "tagger", {{"tags", {"A", "B", "C"}}}, &info);
  loaded->eval();
  EXPECT_EQ(info.vocabularies.at("tags"), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(loaded->config_json(), m.config_json());
  const Tensor a = m.emissions(d.words, d.chars, d.lengths), b = loaded->emissions(d.words, d.chars, d.lengths);
  for (std::int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.item(i), b.item(i)) << i;
  EXPECT_EQ(m.decode(d.words, d.chars, d.lengths), loaded->decode(d.words, d.chars, d.lengths));

  testing::expect_refuses_other_model<BiLSTMCNNCRFTagger>();

  // A one-directional GRU tagger comes back as one (options from the sidecar, weights by name).
  manual_seed(10);
  BiLSTMCNNCRFTagger g(tiny_options().cell("gru").bidirectional(false));
  g.eval();
  auto g2 = testing::save_and_reload(g, "tagger_gru", {{"tags", {"A", "B", "C"}}});
  g2->eval();
  EXPECT_EQ(g2->options().cell(), "gru");
  EXPECT_FALSE(g2->options().bidirectional());
  const Tensor ga = g.emissions(d.words, d.chars, d.lengths), gb = g2->emissions(d.words, d.chars, d.lengths);
  for (std::int64_t i = 0; i < ga.numel(); ++i) EXPECT_EQ(ga.item(i), gb.item(i)) << i;
}

TEST(BiLSTMCNNCRFTagger, BadInputThrowsNamedErrors) {
  const Tiny d;
  manual_seed(9);
  BiLSTMCNNCRFTagger m(tiny_options().crf_constraints(CRFConstraints().forbid(0, 1)));
  auto em = [&](const Tensor& w, const Tensor& c, const Tensor& l) { return error_of([&] { m.emissions(w, c, l); }); };
  auto ls = [&](const Tensor& y) { return error_of([&] { m.loss(d.words, d.chars, d.lengths, y); }); };

  EXPECT_TRUE(contains(em(Tensor::from_vector(I64{1, 2, 3}, {3}), d.chars, Tensor()), "words must be int64 (B, T)"));
  EXPECT_TRUE(contains(em(Tensor::zeros({3, 4}), d.chars, d.lengths), "words must be int64"));
  Tensor big = d.words.clone();
  big.data<std::int64_t>()[5] = 5;
  EXPECT_TRUE(contains(em(big, d.chars, d.lengths), "words[1][1] = 5 is outside 0..4"));
  EXPECT_TRUE(contains(em(d.words, d.chars, Tensor::from_vector(I64{4, 0, 1}, {3})), "lengths[1] = 0 is outside 1..4"));
  EXPECT_TRUE(contains(em(d.words, d.chars, Tensor::from_vector(I64{5, 1, 1}, {3})), "lengths[0] = 5"));
  EXPECT_TRUE(contains(em(d.words, d.chars, Tensor::from_vector(I64{4, 1}, {2})), "lengths must be int64 (B) = (3)"));
  // chars shape mismatch with words, wrong rank, undefined with the CNN on.
  EXPECT_TRUE(contains(em(d.words, Tensor::zeros({3, 3, 4}, DType::i64), d.lengths), "chars must be int64 (B, T, C) = (3, 4, C >= 1)"));
  EXPECT_TRUE(contains(em(d.words, Tensor::zeros({3, 4}, DType::i64), d.lengths), "got (3, 4)"));
  EXPECT_TRUE(contains(em(d.words, Tensor(), d.lengths), "chars must be"));
  Tensor badc = d.chars.clone();
  badc.data<std::int64_t>()[(0 * 4 + 2) * 4 + 1] = 6;
  EXPECT_TRUE(contains(em(d.words, badc, d.lengths), "chars[0][2][1] = 6 is outside 0..5"));
  Tensor empty_word = d.chars.clone();
  for (std::int64_t i = 0; i < 4; ++i) empty_word.data<std::int64_t>()[(1 * 4 + 1) * 4 + i] = 0;
  EXPECT_TRUE(contains(em(d.words, empty_word, d.lengths), "chars[1][1] of a real word are all padding"));
  EXPECT_TRUE(contains(error_of([&] { m.emissions(d.words, d.chars, d.lengths, Tensor::zeros({3, 4}, DType::i64)); }),
                       "char_lengths[0][0] = 0 is outside 1..4"));
  EXPECT_TRUE(contains(error_of([&] { m.emissions(d.words, d.chars, d.lengths, Tensor::zeros({3}, DType::i64)); }),
                       "char_lengths must be int64 (B, T)"));
  // Tags: out of range at a real word, wrong shape, a forbidden gold transition.
  Tensor y = d.tags.clone();
  y.data<std::int64_t>()[5] = 3;
  EXPECT_TRUE(contains(ls(y), "tags[1][1] = 3 is outside 0..2"));
  y.data<std::int64_t>()[5] = -1;
  EXPECT_TRUE(contains(ls(y), "tags[1][1] = -1"));
  EXPECT_TRUE(contains(ls(Tensor::zeros({3, 5}, DType::i64)), "tags must be int64 (B, T) = (3, 4)"));
  Tensor forbidden = Tensor::from_vector(I64{0, 1, 2, 2, 2, 2, 0, 0, 1, 0, 0, 0}, {3, 4});  // 0 -> 1 is forbidden
  EXPECT_THROW(m.loss(d.words, d.chars, d.lengths, forbidden), ShapeError);
  // Emissions of the wrong shape, given directly.
  EXPECT_TRUE(contains(error_of([&] { m.decode_emissions(Tensor::zeros({3, 4, 2}), d.lengths); }), "num_tags = 3"));
  EXPECT_TRUE(contains(error_of([&] { m.loss_from_emissions(Tensor::zeros({3, 4, 3}), Tensor::from_vector(I64{1, 1, 9}, {3}), d.tags); }),
                       "lengths[2] = 9 is outside 1..4"));
  // Words-only model: chars may be undefined.
  BiLSTMCNNCRFTagger w(tiny_options().use_char_cnn(false));
  EXPECT_NO_THROW(w.loss(d.words, Tensor(), d.lengths, d.tags));
  EXPECT_THROW(w.char_features(d.words, d.chars, d.lengths), OptionError);
}

}  // namespace
}  // namespace birnn::testing
