// The `spam` task through the Task API: data on the committed samples (a label<TAB>text file, a JSONL
// file and the SpamAssassin sample as a cached data set), a tiny training run whose loss falls, metrics,
// predict's format, a checkpoint round trip and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <streambuf>

#include "birnn/birnn.hpp"
#include "birnn/data/data.hpp"
#include "birnn/models/model.hpp"
#include "birnn/tasks/task.hpp"
#include "stream_test_util.hpp"
#include "task_test_util.hpp"
#include "test_util.hpp"

using namespace birnn;
using birnn::testing::contains;
using birnn::testing::error_of;
using birnn::testing::sample;
using birnn::testing::TempDir;

namespace {

tasks::TrainConfig small_config(const std::string& data) {
  tasks::TrainConfig c;
  c.task = "spam";
  c.data = data;
  c.hidden = 8;
  c.embedding = 8;
  c.dropout = 0.0;
  c.batch = 4;
  return c;
}

}  // namespace

TEST(TaskSpam, PreparesSplitsAndVocabularyFromTsv) {
  manual_seed(1);
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  // 40 lines: 4 held out (i % 10 == 9), 36 in the training part, 1 of them dev (i % 20 == 19).
  EXPECT_EQ(task->batches_per_epoch(), 9);  // 35 / 4
  const auto v = task->vocabularies();
  EXPECT_EQ(v.at("words")[1], "<unk>");
  EXPECT_EQ(v.at("labels"), (std::vector<std::string>{"ham", "spam"}));
  EXPECT_EQ(task->config().cell, "gru");
  EXPECT_EQ(task->config().max_length, 800);
}

TEST(TaskSpam, LossFallsAndMetricsAreSane) {
  set_num_threads(1);
  manual_seed(2);
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  const auto losses = birnn::testing::train_task(*task, 8, 0.02);
  EXPECT_LT(losses.back(), 0.5 * losses.front());
  EXPECT_GT(task->batch_units(0), 0);
  const tasks::EvalResult train = task->evaluate(tasks::Split::train);
  EXPECT_GE(train.value("accuracy"), 0.9);
  for (auto split : {tasks::Split::dev, tasks::Split::test}) {
    const tasks::EvalResult r = task->evaluate(split);
    EXPECT_EQ(r.primary, "accuracy");
    for (const char* m : {"accuracy", "precision", "recall", "f1"}) {
      EXPECT_GE(r.value(m), 0.0) << m;
      EXPECT_LE(r.value(m), 1.0) << m;
    }
    EXPECT_GT(r.value("loss"), 0.0);
  }
}

TEST(TaskSpam, PredictWritesLabelTabProbability) {
  manual_seed(3);
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  std::istringstream in("free money click here now!!!\n\nmeeting notes attached\n");
  std::ostringstream out;
  task->predict(in, out);
  std::istringstream lines(out.str());
  int n = 0;
  for (std::string l; std::getline(lines, l); ++n) {
    const auto tab = l.find('\t');
    ASSERT_NE(tab, std::string::npos) << l;
    const std::string label = l.substr(0, tab);
    const double p = std::stod(l.substr(tab + 1));
    EXPECT_TRUE(label == "spam" || label == "ham") << l;
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
    EXPECT_EQ(label == "spam", p >= 0.5) << l;
  }
  EXPECT_EQ(n, 3);  // one line out per line in, the empty one too
}

TEST(TaskSpam, CheckpointRoundTripAndJsonl) {
  set_num_threads(1);
  manual_seed(4);
  TempDir d;
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  birnn::testing::train_task(*task, 1, 0.01);
  const std::string ckpt = d.path() + "/best";
  save_model(ckpt, task->model(), task->vocabularies(), {{"train_config", task->config().to_json()}});
  auto again = tasks::make_task("spam");
  again->prepare_for(ckpt, task->config(), tasks::DataNeed::splits);
  EXPECT_DOUBLE_EQ(again->evaluate(tasks::Split::test).value("accuracy"), task->evaluate(tasks::Split::test).value("accuracy"));
  EXPECT_DOUBLE_EQ(again->evaluate(tasks::Split::dev).value("loss"), task->evaluate(tasks::Split::dev).value("loss"));

  // The same model on a JSONL file (chosen by the extension), scored whole (eval --data FILE); an unknown
  // label names label, file and line.
  tasks::TrainConfig c = task->config();
  c.data = d.write("mails.jsonl", "{\"label\": \"spam\", \"text\": \"free money\"}\n{\"label\": \"ham\", \"text\": \"see you at lunch\"}\n");
  auto on_jsonl = tasks::make_task("spam");
  on_jsonl->prepare_for(ckpt, c, tasks::DataNeed::splits);
  EXPECT_GE(on_jsonl->evaluate(tasks::Split::test).value("accuracy"), 0.0);
  c.data = d.write("odd.jsonl", "{\"label\": \"spam\", \"text\": \"free money\"}\n{\"label\": \"phishing\", \"text\": \"verify now\"}\n");
  const std::string msg = error_of([&] { tasks::make_task("spam")->prepare_for(ckpt, c, tasks::DataNeed::splits); });
  EXPECT_NE(msg.find("phishing"), std::string::npos) << msg;
  EXPECT_NE(msg.find(c.data + ":2"), std::string::npos) << msg;
}

TEST(TaskSpam, ReadsTheSpamAssassinDataSetFromTheCache) {
  TempDir d;
  const std::string cache = birnn::testing::fake_cache(d, "spam-assassin", "spam-assassin");
  birnn::testing::ScopedEnvVar env("BIRNN_DATA_DIR", cache);
  manual_seed(5);
  // The sample's 11 mails leave 10 for training: too few for a dev mail (every 20th).
  const std::string msg = error_of<DataError>([&] { tasks::make_task("spam")->prepare(small_config("")); });
  EXPECT_TRUE(contains(msg, "spam-assassin: 11 examples give 10 training, 0 dev and 1 test examples")) << msg;
  // Two more copies of each mail under other names (so the split by file name differs) are enough.
  namespace fs = std::filesystem;
  for (const auto& group : fs::directory_iterator(fs::path(cache) / "spam-assassin" / "data")) {
    std::vector<fs::path> mails;
    for (const auto& f : fs::directory_iterator(group.path()))
      if (f.path().extension() == ".txt") mails.push_back(f.path());
    for (const auto& m : mails)
      for (const char* copy : {"copy1-", "copy2-"}) fs::copy_file(m, m.parent_path() / (copy + m.filename().string()));
  }
  auto task = tasks::make_task("spam");
  task->prepare(small_config(""));
  EXPECT_GT(task->batches_per_epoch(), 0);
  const tasks::EvalResult r = task->evaluate(tasks::Split::train);
  EXPECT_GE(r.value("accuracy"), 0.0);
}

TEST(TaskSpam, BadInputGivesTypedErrorsNamingFileAndLine) {
  TempDir d;
  auto prepare = [&](const std::string& path) { tasks::make_task("spam")->prepare(small_config(path)); };
  const std::string missing = d.path() + "/missing.tsv";
  EXPECT_NE(error_of([&] { prepare(missing); }).find(missing), std::string::npos);
  const std::string no_tab = d.write("no_tab.tsv", "ham\thello there\nspam free money\n");
  EXPECT_NE(error_of([&] { prepare(no_tab); }).find(no_tab + ":2"), std::string::npos) << error_of([&] { prepare(no_tab); });
  const std::string bad_label = d.write("bad_label.tsv", "ham\thello there\nmaybe\tfree money\n");
  EXPECT_NE(error_of([&] { prepare(bad_label); }).find(bad_label + ":2"), std::string::npos) << error_of([&] { prepare(bad_label); });
  const std::string bad_json = d.write("bad.jsonl", "{\"label\": \"ham\", \"text\": \"hi\"}\n{not json\n");
  EXPECT_NE(error_of([&] { prepare(bad_json); }).find(bad_json + ":2"), std::string::npos) << error_of([&] { prepare(bad_json); });
  const std::string bad_utf8 = d.write("bad.tsv", "ham\thello\nspam\tfr\xff" "ee\n");
  EXPECT_NE(error_of([&] { prepare(bad_utf8); }).find(bad_utf8 + ":2"), std::string::npos);
  const std::string empty = d.write("empty.tsv", "");
  EXPECT_NE(error_of([&] { prepare(empty); }).find(empty), std::string::npos);
  auto c = small_config(sample("tasks/spam_sample.tsv"));
  c.bidirectional = 0;
  EXPECT_THROW(tasks::make_task("spam")->prepare(c), OptionError);
}

// An empty dev or test split is refused before training (a 9-line file used to be scored
// "accuracy 0.0000" by eval, and --limit 10 gave a dev accuracy of 0 every epoch).
TEST(TaskSpam, AnEmptySplitIsRefusedBeforeTraining) {
  TempDir d;
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += (i % 2 ? "ham\tsee you at lunch\n" : "spam\tfree money now\n");
  std::string msg = error_of<DataError>([&] { tasks::make_task("spam")->prepare(small_config(d.write("nine.tsv", nine))); });
  EXPECT_TRUE(contains(msg, "nine.tsv: 9 examples give 9 training, 0 dev and 0 test examples")) << msg;
  EXPECT_TRUE(contains(msg, "the file needs at least 22 examples")) << msg;
  auto c = small_config(sample("tasks/spam_sample.tsv"));
  c.limit = 10;
  msg = error_of<DataError>([&] { tasks::make_task("spam")->prepare(c); });
  EXPECT_TRUE(contains(msg, "spam_sample.tsv: 40 examples give 10 training, 0 dev and 4 test examples (with --limit 10)")) << msg;
}

// eval --data FILE of another file scores every example of it (it used to score every 10th: none of a
// 9-line file); the accuracy is the share of the file's lines that predict gets right.
TEST(TaskSpam, EvalOnAnotherFileScoresEveryExample) {
  set_num_threads(1);
  manual_seed(6);
  TempDir d;
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  birnn::testing::train_task(*task, 2, 0.02);
  const std::string ckpt = d.path() + "/best";
  save_model(ckpt, task->model(), task->vocabularies(), {{"train_config", task->config().to_json()}});
  const auto all = data::read_tsv_labeled(sample("tasks/spam_sample.tsv"));
  std::string nine, texts;
  for (std::size_t i = 0; i < 9; ++i) nine += all[i].label + "\t" + all[i].text + "\n", texts += all[i].text + "\n";
  tasks::TrainConfig c = task->config();
  c.data = d.write("nine.tsv", nine);
  auto other = tasks::make_task("spam");
  other->prepare_for(ckpt, c, tasks::DataNeed::splits);
  std::istringstream in(texts);
  std::ostringstream out;
  other->predict(in, out);
  std::istringstream said(out.str());
  int right = 0;
  std::string line;
  for (std::size_t i = 0; std::getline(said, line); ++i) right += line.substr(0, line.find('\t')) == all[i].label;
  EXPECT_DOUBLE_EQ(other->evaluate(tasks::Split::test).value("accuracy"), right / 9.0);
  EXPECT_GT(other->evaluate(tasks::Split::test).value("loss"), 0.0);
  EXPECT_TRUE(contains(error_of<DataError>([&] { other->evaluate(tasks::Split::dev); }), "there is no dev split"));
}

// Knobs out of range from a config file or a checkpoint are OptionErrors naming the field: a negative
// max_length used to end in "internal error: vector::_M_default_append".
TEST(TaskSpam, KnobsOutOfRangeAreOptionErrorsNamingTheField) {
  birnn::testing::expect_knob_errors("spam", [] { return small_config(sample("tasks/spam_sample.tsv")); });
}


// predict stops an endless line at 16 MB (the limit of the generic format) instead of growing without end.
TEST(TaskSpam, PredictBoundsItsLines) {
  manual_seed(7);
  auto task = tasks::make_task("spam");
  task->prepare(small_config(sample("tasks/spam_sample.tsv")));
  birnn::testing::EndlessBuf endless;
  std::istream in(&endless);
  std::ostringstream out;
  EXPECT_EQ(error_of<FormatError>([&] { task->predict(in, out); }), "input line 1 is longer than 16777216 bytes");
  std::istringstream ok("a\r\nb");  // CRLF and a last line without a newline
  task->predict(ok, out);
  const std::string written = out.str();
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 2);
}
