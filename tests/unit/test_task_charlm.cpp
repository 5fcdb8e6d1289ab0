// The charlm task through the Task API on a committed plain-text sample (tests/data/generic/charlm.txt:
// 30 sentences of Moby Dick's chapter 1, one paragraph each): prepare, truncated-BPTT training whose loss
// falls, bits/char, predict's format, a checkpoint round trip, the bidirectional warning and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <streambuf>

#include "birnn/birnn.hpp"
#include "birnn/data/text.hpp"
#include "birnn/tasks/task.hpp"
#include "data_test_util.hpp"
#include "stream_test_util.hpp"
#include "task_test_util.hpp"
#include "test_util.hpp"

namespace {

using birnn::testing::sample;
using birnn::testing::TempDir;
namespace bt = birnn::tasks;

bt::TrainConfig small_config() {
  bt::TrainConfig c;
  c.task = "charlm";
  c.data = sample("generic/charlm.txt");
  c.hidden = 32;
  c.layers = 1;
  c.embedding = 16;
  c.batch = 8;
  c.max_length = 20;
  c.dropout = 0;
  return c;
}

double epoch_loss(bt::Task& task, birnn::Optimizer& opt, std::int64_t epoch) {
  task.model().train();
  task.start_epoch(epoch);
  double sum = 0;
  for (std::int64_t b = 0; b < task.batches_per_epoch(); ++b) {
    opt.zero_grad();
    birnn::Tensor l = task.batch_loss(b);
    l.backward();
    opt.step();
    sum += l.item();
  }
  return sum / static_cast<double>(task.batches_per_epoch());
}

TEST(TaskCharlm, PreparesTrainsEvaluatesAndPredicts) {
  birnn::manual_seed(5);
  auto task = bt::make_task("charlm");
  task->prepare(small_config());
  EXPECT_EQ(task->unit(), "chars");
  const auto vocab = task->vocabularies().at("chars");
  EXPECT_EQ(vocab[0], "<pad>");
  EXPECT_EQ(vocab[1], "<unk>");
  // ~1700 training characters in 8 streams of chunks of 20.
  EXPECT_GE(task->batches_per_epoch(), 8);
  std::int64_t units = 0;
  task->start_epoch(0);
  for (std::int64_t b = 0; b < task->batches_per_epoch(); ++b) units += task->batch_units(b);
  EXPECT_GT(units, 1500);

  birnn::Adam opt(task->model().parameters(), birnn::AdamOptions(1e-2));
  const double first = epoch_loss(*task, opt, 0);
  double last = first;
  for (int e = 1; e < 6; ++e) last = epoch_loss(*task, opt, e);
  EXPECT_LT(last, first * 0.8);

  const bt::EvalResult r = task->evaluate(bt::Split::test);
  EXPECT_EQ(r.primary, "bits_per_char");
  EXPECT_FALSE(r.higher_is_better);
  EXPECT_NEAR(r.value("bits_per_char"), r.value("loss") / std::log(2.0), 1e-9);
  EXPECT_GT(r.value("bits_per_char"), 1.0);
  EXPECT_LT(r.value("bits_per_char"), std::log2(static_cast<double>(vocab.size())) + 1.0);

  std::istringstream in("Call me\n\nQ\xc3\xa9\n");
  std::ostringstream out;
  task->predict(in, out);
  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line.rfind("Call me", 0), 0u);
  EXPECT_EQ(birnn::data::utf8_chars(line).size(), 7u + 200u);
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(birnn::data::utf8_chars(line).size(), 200u);
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line.rfind("Q\xc3\xa9", 0), 0u);
  EXPECT_FALSE(std::getline(lines, line));
  // Seeded: the same prompt gives the same text.
  std::istringstream in2("Call me\n");
  std::ostringstream out2;
  task->predict(in2, out2);
  EXPECT_EQ(out2.str(), out.str().substr(0, out2.str().size()));
}

TEST(TaskCharlm, CheckpointRoundTripGivesTheSameMetrics) {
  birnn::manual_seed(6);
  TempDir dir;
  auto task = bt::make_task("charlm");
  task->prepare(small_config());
  const bt::EvalResult before = task->evaluate(bt::Split::dev);
  birnn::save_model(dir.path() + "/m", task->model(), task->vocabularies());
  auto again = bt::make_task("charlm");
  again->prepare_for(dir.path() + "/m", task->config(), bt::DataNeed::splits);
  EXPECT_EQ(again->vocabularies(), task->vocabularies());
  EXPECT_DOUBLE_EQ(before.value("bits_per_char"), again->evaluate(bt::Split::dev).value("bits_per_char"));

  // Predict only: no data set is read (a missing data file is no error), the continuation is the same,
  // and evaluate() says why it cannot run.
  bt::TrainConfig gone = task->config();
  gone.data = dir.path() + "/no-such-file.txt";
  auto predict_only = bt::make_task("charlm");
  predict_only->prepare_for(dir.path() + "/m", gone, bt::DataNeed::none);
  std::istringstream in1("Call me\n"), in2("Call me\n");
  std::ostringstream o1, o2;
  again->predict(in1, o1);
  predict_only->predict(in2, o2);
  EXPECT_EQ(o1.str(), o2.str());
  EXPECT_NE(birnn::testing::error_of([&] { predict_only->evaluate(bt::Split::dev); }).find("without its data"), std::string::npos);
}

TEST(TaskCharlm, BidirectionalWarnsAndRefusesToGenerate) {
  bt::TrainConfig c = small_config();
  c.bidirectional = 1;
  auto task = bt::make_task("charlm");
  ::testing::internal::CaptureStderr();
  task->prepare(c);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("charlm: warning:"), std::string::npos) << err;
  EXPECT_NE(err.find("not a language-model score"), std::string::npos) << err;
  std::istringstream in("Call me\n");
  std::ostringstream out;
  EXPECT_THROW(task->predict(in, out), birnn::OptionError);
}

TEST(TaskCharlm, BadInputIsATypedErrorNamingTheFile) {
  TempDir dir;
  auto expect_error = [](const bt::TrainConfig& c, const std::string& needle) {
    const std::string msg = birnn::testing::error_of([&] { bt::make_task("charlm")->prepare(c); });
    EXPECT_TRUE(birnn::testing::contains(msg, needle)) << c.data << ": " << msg;
  };
  bt::TrainConfig c = small_config();
  c.data = dir.write("empty.txt", "");
  expect_error(c, "empty.txt");
  c.data = dir.write("few.txt", "one paragraph\n\nanother\n");
  expect_error(c, "few.txt");
  c.data = dir.write("latin1.txt", "caf\xe9\n");
  expect_error(c, "latin1.txt");
  c.data = dir.path() + "/missing.txt";
  expect_error(c, "missing.txt");

  auto task = bt::make_task("charlm");
  task->prepare(small_config());
  std::istringstream in("fine\nbad \xff byte\n");
  std::ostringstream out;
  try {
    task->predict(in, out);
    ADD_FAILURE() << "no error for invalid UTF-8";
  } catch (const birnn::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("input:2"), std::string::npos) << e.what();
  }
}


// eval --data FILE of another file scores all of it (it used to need 20 paragraphs to cut a test split
// from, and scored only every 10th paragraph).
TEST(TaskCharlm, EvalOnAnotherFileScoresAllOfIt) {
  birnn::manual_seed(7);
  TempDir dir;
  auto task = bt::make_task("charlm");
  task->prepare(small_config());
  birnn::save_model(dir.path() + "/m", task->model(), task->vocabularies(), {{"train_config", task->config().to_json()}});
  bt::TrainConfig c = task->config();
  c.data = dir.write("two.txt", "Call me Ishmael.\n\nSome years ago, never mind how long precisely.\n");
  auto other = bt::make_task("charlm");
  other->prepare_for(dir.path() + "/m", c, bt::DataNeed::splits);
  EXPECT_GT(other->evaluate(bt::Split::test).value("bits_per_char"), 0.0);
  EXPECT_TRUE(birnn::testing::contains(birnn::testing::error_of<birnn::DataError>([&] { other->evaluate(bt::Split::dev); }),
                                       "there is no dev split"));
}

// Knobs out of range are OptionErrors naming the field (negative ones used to mean the default).
TEST(TaskCharlm, KnobsOutOfRangeAreOptionErrorsNamingTheField) {
  birnn::testing::expect_knob_errors("charlm", [] { return small_config(); });
}

// predict stops a prompt at 1 MB as it reads it (it used to read the whole line first).
TEST(TaskCharlm, PredictBoundsItsLines) {
  auto task = bt::make_task("charlm");
  task->prepare(small_config());
  birnn::testing::EndlessBuf endless;
  std::istream in(&endless);
  std::ostringstream out;
  EXPECT_EQ(birnn::testing::error_of<birnn::FormatError>([&] { task->predict(in, out); }), "input line 1 is longer than 1048576 bytes");
}

}  // namespace
