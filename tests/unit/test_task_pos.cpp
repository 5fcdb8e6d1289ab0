// The `pos` task through the Task API: data on the committed samples (CoNLL file and the Brown sample as a
// cached data set), a tiny training run whose loss falls, metrics, predict's format, a checkpoint round
// trip and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <streambuf>

#include "birnn/birnn.hpp"
#include "birnn/data/data.hpp"
#include "birnn/models/bilstm_cnn_crf_tagger.hpp"
#include "birnn/models/model.hpp"
#include "birnn/tasks/task.hpp"
#include "stream_test_util.hpp"
#include "task_test_util.hpp"
#include "test_util.hpp"

using namespace birnn;
using birnn::testing::contains;
using birnn::testing::sample;
using birnn::testing::error_of;
using birnn::testing::TempDir;

namespace {

tasks::TrainConfig small_config(const std::string& data) {
  tasks::TrainConfig c;
  c.task = "pos";
  c.data = data;
  c.hidden = 16;
  c.embedding = 16;
  c.dropout = 0.0;
  c.batch = 4;
  return c;
}

}  // namespace

TEST(TaskPos, PreparesSplitsAndVocabulariesFromConll) {
  manual_seed(1);
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  // 32 sentences: 3 held out (i % 10 == 9), 29 in the training part, 1 of them dev (i % 20 == 19).
  EXPECT_EQ(task->batches_per_epoch(), 7);  // 28 sentences / 4
  const auto v = task->vocabularies();
  ASSERT_EQ(v.count("words") + v.count("chars") + v.count("tags"), 3u);
  EXPECT_EQ(v.at("words")[0], "<pad>");
  EXPECT_EQ(v.at("words")[1], "<unk>");
  EXPECT_EQ(v.at("tags")[0], "nn");  // most frequent tag first, no reserved entries
  EXPECT_EQ(task->config().hidden, 16);
  EXPECT_EQ(task->config().layers, 1);   // defaults filled in
  EXPECT_EQ(task->config().cell, "lstm");
  EXPECT_GT(task->config().epochs, 0);
  EXPECT_EQ(task->unit(), "tokens");
}

TEST(TaskPos, LossFallsAndMetricsAreSane) {
  set_num_threads(1);
  manual_seed(3);
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  const auto losses = birnn::testing::train_task(*task, 6, 0.02);
  EXPECT_LT(losses.back(), 0.6 * losses.front());
  EXPECT_GT(task->batch_units(0), 0);
  for (auto split : {tasks::Split::train, tasks::Split::dev, tasks::Split::test}) {
    const tasks::EvalResult r = task->evaluate(split);
    EXPECT_EQ(r.primary, "accuracy");
    EXPECT_TRUE(r.higher_is_better);
    for (const char* m : {"accuracy", "oov_accuracy", "oov_rate", "baseline"}) {
      EXPECT_GE(r.value(m), 0.0) << m;
      EXPECT_LE(r.value(m), 1.0) << m;
    }
    EXPECT_GT(r.value("loss"), 0.0);
  }
  EXPECT_GT(task->evaluate(tasks::Split::train).value("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(task->evaluate(tasks::Split::train).value("oov_rate"), task->evaluate(tasks::Split::train).value("oov_rate"));
}

TEST(TaskPos, PredictWritesWordSlashTag) {
  manual_seed(4);
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  std::istringstream in("The jury said it\n\n  Zyxwv  ran .\n");
  std::ostringstream out;
  task->predict(in, out);
  const auto tags = task->vocabularies().at("tags");
  std::istringstream lines(out.str());
  std::vector<std::string> got;
  for (std::string l; std::getline(lines, l);) got.push_back(l);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], "");
  const auto first = data::split_whitespace(got[0]), third = data::split_whitespace(got[2]);
  ASSERT_EQ(first.size(), 4u);
  ASSERT_EQ(third.size(), 3u);
  EXPECT_EQ(first[0].rfind("The/", 0), 0u);
  EXPECT_EQ(third[0].rfind("Zyxwv/", 0), 0u);  // words are written as given (unknown ones too)
  for (const auto& w : first) EXPECT_NE(std::find(tags.begin(), tags.end(), w.substr(w.rfind('/') + 1)), tags.end()) << w;
}

TEST(TaskPos, CheckpointRoundTripGivesTheSameMetrics) {
  set_num_threads(1);
  manual_seed(5);
  TempDir d;
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  birnn::testing::train_task(*task, 1, 0.01);
  const std::string ckpt = d.path() + "/best";
  save_model(ckpt, task->model(), task->vocabularies(), {});
  auto again = tasks::make_task("pos");
  again->prepare_for(ckpt, task->config(), tasks::DataNeed::splits);
  for (auto split : {tasks::Split::dev, tasks::Split::test})
    EXPECT_DOUBLE_EQ(again->evaluate(split).value("accuracy"), task->evaluate(split).value("accuracy"));
  std::istringstream in1("The jury said it\n"), in2("The jury said it\n");
  std::ostringstream o1, o2;
  task->predict(in1, o1);
  again->predict(in2, o2);
  EXPECT_EQ(o1.str(), o2.str());
  // Predict only: no data set is read (a missing data file is no error), the same tags come out.
  tasks::TrainConfig gone = task->config();
  gone.data = d.path() + "/no-such-file.conll";
  auto predict_only = tasks::make_task("pos");
  predict_only->prepare_for(ckpt, gone, tasks::DataNeed::none);
  std::istringstream in3("The jury said it\n");
  std::ostringstream o3;
  predict_only->predict(in3, o3);
  EXPECT_EQ(o1.str(), o3.str());
  EXPECT_NE(error_of([&] { predict_only->evaluate(tasks::Split::test); }).find("without its data"), std::string::npos);

  // Data with a tag the model has never had: a vocabulary mismatch naming tag, file and line.
  const std::string other = d.write("other.conll", "The\tat\njury\tnn\n\nA\tzz-new\n");
  tasks::TrainConfig c = task->config();
  c.data = other;
  const std::string msg = error_of([&] { tasks::make_task("pos")->prepare_for(ckpt, c, tasks::DataNeed::splits); });
  EXPECT_NE(msg.find("vocabulary mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("zz-new"), std::string::npos) << msg;
  EXPECT_NE(msg.find(other + ":4"), std::string::npos) << msg;
}

TEST(TaskPos, ReadsTheBrownDataSetFromTheCache) {
  TempDir d;
  birnn::testing::ScopedEnvVar env("BIRNN_DATA_DIR", birnn::testing::fake_cache(d, "brown", "brown"));
  manual_seed(6);
  auto task = tasks::make_task("pos");
  task->prepare(small_config(""));
  // The sample's 29 training sentences (ca01..ca09, cb01): 28 train + 1 dev; ca10 is held out.
  EXPECT_EQ(task->batches_per_epoch(), 7);
  const tasks::EvalResult r = task->evaluate(tasks::Split::test);
  EXPECT_GT(r.value("baseline"), 0.0);
}

TEST(TaskPos, BadInputGivesTypedErrorsNamingFileAndLine) {
  TempDir d;
  auto prepare = [&](const std::string& path, std::int64_t max_length = 0) {
    auto c = small_config(path);
    c.max_length = max_length;
    tasks::make_task("pos")->prepare(c);
  };
  const std::string missing = d.path() + "/missing.conll";
  EXPECT_NE(error_of([&] { prepare(missing); }).find(missing), std::string::npos);
  const std::string no_tab = d.write("no_tab.conll", "The\tat\njury nn\n");
  EXPECT_NE(error_of([&] { prepare(no_tab); }).find(no_tab + ":2"), std::string::npos) << error_of([&] { prepare(no_tab); });
  const std::string empty = d.write("empty.conll", "");
  EXPECT_NE(error_of([&] { prepare(empty); }).find(empty), std::string::npos);
  const std::string bad_utf8 = d.write("bad.conll", "The\tat\nj\xff\tnn\n");
  EXPECT_NE(error_of([&] { prepare(bad_utf8); }).find(bad_utf8 + ":2"), std::string::npos);
  const std::string long_sentence = d.write("long.conll", "a\tat\nb\tnn\nc\tnn\nd\tnn\n\ne\tnn\n");
  EXPECT_NE(error_of([&] { prepare(long_sentence, 3); }).find(long_sentence + ":1"), std::string::npos)
      << error_of([&] { prepare(long_sentence, 3); });
  auto c = small_config(sample("tasks/pos_sample.conll"));
  c.cell = "transformer";
  EXPECT_NE(error_of([&] { tasks::make_task("pos")->prepare(c); }).find("'transformer'"), std::string::npos);
  c.cell = "lstm";
  c.bidirectional = 2;
  EXPECT_THROW(tasks::make_task("pos")->prepare(c), OptionError);
}

// --cell and --unidirectional swap the tagger's recurrent layer; the rest of the model stays.
TEST(TaskPos, OtherCellsAndOneDirectionTrain) {
  set_num_threads(1);
  std::map<std::string, std::int64_t> recurrent;
  for (const char* cell : {"rnn", "lstm", "gru"})
    for (int bi : {0, 1}) {
      SCOPED_TRACE(std::string(cell) + (bi ? " bi" : " uni"));
      manual_seed(7);
      auto c = small_config(sample("tasks/pos_sample.conll"));
      c.cell = cell;
      c.bidirectional = bi;
      auto task = tasks::make_task("pos");
      task->prepare(c);
      EXPECT_EQ(task->config().cell, cell);
      EXPECT_EQ(task->config().bidirectional, bi);
      const auto& tagger = dynamic_cast<const BiLSTMCNNCRFTagger&>(task->model());
      EXPECT_EQ(tagger.options().cell(), cell);
      EXPECT_EQ(tagger.options().bidirectional(), bi == 1);
      std::int64_t n = 0;
      for (auto& [name, p] : task->model().named_parameters())
        if (name.rfind(std::string(cell) + ".", 0) == 0) n += p.numel();
      recurrent[std::string(cell) + std::to_string(bi)] = n;
      const auto losses = birnn::testing::train_task(*task, 3, 0.02);
      EXPECT_LT(losses.back(), losses.front());
    }
  // Gates: LSTM 4, GRU 3, RNN 1 blocks of the same shape; two directions: twice the weights.
  EXPECT_EQ(recurrent["lstm0"], 4 * recurrent["rnn0"]);
  EXPECT_EQ(recurrent["gru0"], 3 * recurrent["rnn0"]);
  for (const char* cell : {"rnn", "lstm", "gru"}) EXPECT_EQ(recurrent[std::string(cell) + "1"], 2 * recurrent[std::string(cell) + "0"]);
}

// An empty dev or test split is refused before training (it used to be scored "accuracy 0.0000"), with
// the split sizes and what each split needs.
TEST(TaskPos, AnEmptySplitIsRefusedBeforeTraining) {
  auto c = small_config(sample("tasks/pos_sample.conll"));
  c.limit = 10;
  std::string msg = error_of<DataError>([&] { tasks::make_task("pos")->prepare(c); });
  EXPECT_TRUE(contains(msg, "pos_sample.conll: 32 sentences give 10 training, 0 dev and 3 test sentences (with --limit 10)")) << msg;
  EXPECT_TRUE(contains(msg, "--limit, if given, must be at least 20")) << msg;
  TempDir d;
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "The\tat\njury\tnn\n\n";
  c = small_config(d.write("nine.conll", nine));
  msg = error_of<DataError>([&] { tasks::make_task("pos")->prepare(c); });
  EXPECT_TRUE(contains(msg, "nine.conll: 9 sentences give 9 training, 0 dev and 0 test sentences")) << msg;
  EXPECT_TRUE(contains(msg, "the file needs at least 22 sentences")) << msg;
  c = small_config(sample("tasks/pos_sample.conll"));
  c.limit = 20;  // the least that leaves a dev sentence
  tasks::make_task("pos")->prepare(c);
}

// eval --data FILE of a file other than the training one scores every sentence of it (it used to score
// only every 10th, the generic format's held-out part); the training file keeps its held-out split.
TEST(TaskPos, EvalOnAnotherFileScoresEverySentence) {
  set_num_threads(1);
  manual_seed(8);
  TempDir d;
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  const std::string ckpt = d.path() + "/best";
  save_model(ckpt, task->model(), task->vocabularies(), {{"train_config", task->config().to_json()}});
  const auto sentences = data::read_conll(sample("tasks/pos_sample.conll"));
  std::string five;
  std::int64_t tokens = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < sentences[i].tokens.size(); ++j) five += sentences[i].tokens[j] + "\t" + sentences[i].tags[j] + "\n";
    five += "\n";
    tokens += static_cast<std::int64_t>(sentences[i].tokens.size());
  }
  tasks::TrainConfig c = task->config();
  c.data = d.write("five.conll", five);
  auto other = tasks::make_task("pos");
  other->prepare_for(ckpt, c, tasks::DataNeed::splits);
  const tasks::EvalResult r = other->evaluate(tasks::Split::test);
  EXPECT_EQ(r.count, tokens);
  EXPECT_GT(r.value("loss"), 0.0);
  EXPECT_EQ(error_of([&] { r.value("baseline"); }), "evaluation has no metric 'baseline'");  // needs the training sentences
  EXPECT_TRUE(contains(error_of<DataError>([&] { other->evaluate(tasks::Split::dev); }), "there is no dev split"));

  c.data = task->config().data;  // the training file: its held-out part, as without --data
  auto same = tasks::make_task("pos");
  same->prepare_for(ckpt, c, tasks::DataNeed::splits);
  EXPECT_EQ(same->evaluate(tasks::Split::test).count, task->evaluate(tasks::Split::test).count);
  EXPECT_DOUBLE_EQ(same->evaluate(tasks::Split::dev).value("accuracy"), task->evaluate(tasks::Split::dev).value("accuracy"));
}

// A CoNLL-U file is read as FORM and UPOS (it used to be read as ID and MISC, whose "_" tag was learnt
// perfectly).
TEST(TaskPos, TrainsOnCoNLLU) {
  manual_seed(9);
  TempDir d;
  std::ifstream f(sample("tasks/pos_sample.conllu"));
  std::stringstream one;
  one << f.rdbuf();
  std::string text;
  for (int i = 0; i < 6; ++i) text += one.str() + "\n";  // 24 sentences: enough for a dev and a test split
  auto task = tasks::make_task("pos");
  task->prepare(small_config(d.write("six.conllu", text)));
  auto tags = task->vocabularies().at("tags");
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{"ADP", "AUX", "CCONJ", "DET", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "VERB"}));
}

// Knobs out of range from a config file or a checkpoint are OptionErrors naming the field, never an
// internal error.
TEST(TaskPos, KnobsOutOfRangeAreOptionErrorsNamingTheField) {
  birnn::testing::expect_knob_errors("pos", [] { return small_config(sample("tasks/pos_sample.conll")); });
}


// predict reads at most 1 MB per line and reports a failed read instead of ending quietly.
TEST(TaskPos, PredictBoundsItsLinesAndReportsAFailedRead) {
  manual_seed(10);
  auto task = tasks::make_task("pos");
  task->prepare(small_config(sample("tasks/pos_sample.conll")));
  birnn::testing::EndlessBuf endless;
  std::istream in(&endless);
  std::ostringstream out;
  EXPECT_EQ(error_of<FormatError>([&] { task->predict(in, out); }), "input line 1 is longer than 1048576 bytes");
  birnn::testing::FailingBuf failing("word\n");
  std::istream bad(&failing);
  std::ostringstream out2;
  EXPECT_TRUE(contains(error_of<FormatError>([&] { task->predict(bad, out2); }), "input: reading line 2 failed")) << out2.str();
  EXPECT_EQ(out2.str().rfind("word/", 0), 0u);  // the line before the failure was answered
}
