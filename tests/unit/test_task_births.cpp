// The births task through the Task API on a committed generic CSV (tests/data/generic/births.csv: the
// first 200 days of the CDC births file as date,value): prepare, a tiny training run whose loss falls,
// metrics, predict's format, a checkpoint round trip and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <streambuf>

#include "birnn/birnn.hpp"
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
  c.task = "births";
  c.data = sample("generic/births.csv");
  c.hidden = 16;
  c.layers = 1;
  c.batch = 16;
  c.max_length = 14;  // the window
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

TEST(TaskBirths, PreparesTrainsEvaluatesAndPredicts) {
  birnn::manual_seed(3);
  auto task = bt::make_task("births");
  task->prepare(small_config());
  EXPECT_EQ(task->config().max_length, 14);
  EXPECT_EQ(task->config().cell, "lstm");
  EXPECT_GT(task->batches_per_epoch(), 0);
  EXPECT_EQ(task->unit(), "windows");
  birnn::Adam opt(task->model().parameters(), birnn::AdamOptions(1e-2));
  const double first = epoch_loss(*task, opt, 0);
  double last = first;
  for (int e = 1; e < 8; ++e) last = epoch_loss(*task, opt, e);
  EXPECT_LT(last, first * 0.8);

  const bt::EvalResult r = task->evaluate(bt::Split::test);
  EXPECT_EQ(r.primary, "mape");
  EXPECT_FALSE(r.higher_is_better);
  for (const char* m : {"mape", "naive_mape", "improvement_pct", "mae", "rmse", "loss"}) EXPECT_TRUE(std::isfinite(r.value(m))) << m;
  EXPECT_GT(r.value("mape"), 0);
  EXPECT_LT(r.value("mape"), 50);
  EXPECT_NEAR(r.value("improvement_pct"), 100 * (1 - r.value("mape") / r.value("naive_mape")), 1e-9);

  std::istringstream in("1969-01-01 8486,9002 9542 8960 8390 9560 9738 9734 9434 10042 9112 8216 9736 9700\n"
                        "\n"
                        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  std::ostringstream out;
  task->predict(in, out);
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(std::count(line.begin(), line.end(), ','), 27) << line;
  std::getline(lines, line);
  EXPECT_EQ(line, "");
  std::getline(lines, line);
  EXPECT_EQ(std::count(line.begin(), line.end(), ','), 27) << line;
}

TEST(TaskBirths, CheckpointRoundTripGivesTheSameMetrics) {
  birnn::manual_seed(4);
  TempDir dir;
  auto task = bt::make_task("births");
  task->prepare(small_config());
  const bt::EvalResult before = task->evaluate(bt::Split::dev);
  birnn::save_model(dir.path() + "/m", task->model(), task->vocabularies());
  auto again = bt::make_task("births");
  again->prepare_for(dir.path() + "/m", task->config(), bt::DataNeed::splits);
  const bt::EvalResult after = again->evaluate(bt::Split::dev);
  EXPECT_DOUBLE_EQ(before.value("mape"), after.value("mape"));
  EXPECT_DOUBLE_EQ(before.value("loss"), after.value("loss"));
}

TEST(TaskBirths, BadInputIsATypedErrorNamingTheFileOrLine) {
  TempDir dir;
  auto expect_error = [](const bt::TrainConfig& c, const std::string& needle) {
    const std::string msg = birnn::testing::error_of([&] { bt::make_task("births")->prepare(c); });
    EXPECT_TRUE(birnn::testing::contains(msg, needle)) << c.data << ": " << msg;
  };
  bt::TrainConfig c = small_config();
  c.data = dir.write("cols.csv", "day,births\n2000-01-01,3\n");
  expect_error(c, "cols.csv");
  c.data = dir.write("gap.csv", "date,value\n2000-01-01,3\n2000-01-03,4\n");
  expect_error(c, "gap.csv");
  c.data = dir.write("bad.csv", "date,value\n2000-01-01,3\n2000-01-02,x\n");
  expect_error(c, "bad.csv:3");
  c.data = dir.write("short.csv", "date,value\n2000-01-01,3\n2000-01-02,4\n");
  expect_error(c, "short.csv");
  c.data = dir.write("empty.csv", "");
  expect_error(c, "empty.csv");
  c.data = dir.write("latin1.csv", "date,value\n2000-01-01,3\xe9\n");
  expect_error(c, "latin1.csv");
  c.data = dir.path() + "/missing.csv";
  expect_error(c, "missing.csv");

  auto task = bt::make_task("births");
  task->prepare(small_config());
  for (const std::string bad : {"1 2 3\n", "1969-02-30 1 2 3 4 5 6 7 8 9 10 11 12 13 14\n", "1 2 x 4 5 6 7 8 9 10 11 12 13 14\n"}) {
    std::istringstream in("1 2 3 4 5 6 7 8 9 10 11 12 13 14\n" + bad);
    std::ostringstream out;
    try {
      task->predict(in, out);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const birnn::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("input:2"), std::string::npos) << e.what();
    }
  }
}


// --max-length is the window; below the weekly season (7) every evaluation failed, after a whole epoch,
// leaving a `last` checkpoint that could not be evaluated. Now prepare refuses it.
TEST(TaskBirths, AWindowShorterThanAWeekIsRefusedAtPrepare) {
  for (std::int64_t w = 1; w <= 6; ++w) {
    bt::TrainConfig c = small_config();
    c.max_length = w;
    const std::string msg = birnn::testing::error_of<birnn::OptionError>([&] { bt::make_task("births")->prepare(c); });
    EXPECT_TRUE(birnn::testing::contains(msg, "max_length (--max-length)")) << msg;
    EXPECT_TRUE(birnn::testing::contains(msg, "at least 7")) << msg;
    EXPECT_TRUE(birnn::testing::contains(msg, "got " + std::to_string(w))) << msg;
  }
  bt::TrainConfig c = small_config();
  c.max_length = 7;
  bt::make_task("births")->prepare(c);
}

// Values float cannot hold (they made every metric NaN, exit 0) and hexadecimal values are refused,
// naming file and line, in the CSV and in predict's input.
TEST(TaskBirths, ValuesBeyondFloatAndHexadecimalAreRefused) {
  TempDir dir;
  std::ifstream f(sample("generic/births.csv"));
  std::string header, row;
  std::getline(f, header);
  std::string csv = header + "\n";
  for (int i = 0; i < 120 && std::getline(f, row); ++i) csv += row + "\n";
  for (const std::string bad : {"1e39", "0x10", "-3.5e38", "inf"}) {
    std::string text = csv;
    const std::size_t line3 = text.find('\n', text.find('\n') + 1) + 1;  // the second data row, line 3
    const std::size_t comma = text.find(',', line3);
    text.replace(comma + 1, text.find('\n', comma) - comma - 1, bad);
    bt::TrainConfig c = small_config();
    c.data = dir.write("bad.csv", text);
    const std::string msg = birnn::testing::error_of<birnn::FormatError>([&] { bt::make_task("births")->prepare(c); });
    EXPECT_TRUE(birnn::testing::contains(msg, "bad.csv:3: value \"" + bad + "\"")) << msg;
  }
  auto task = bt::make_task("births");
  task->prepare(small_config());
  for (const std::string bad : {"0x10", "1e39"}) {
    std::istringstream in("1 2 3 4 5 6 7 8 9 10 11 12 13 14\n1 2 3 4 5 6 7 8 9 10 11 12 13 " + bad + "\n");
    std::ostringstream out;
    const std::string msg = birnn::testing::error_of<birnn::FormatError>([&] { task->predict(in, out); });
    EXPECT_TRUE(birnn::testing::contains(msg, "input:2: '" + bad + "' is not a finite number")) << msg;
  }
}

// eval --data FILE of another file scores every window of it (it used to score every 10th: a file of 9
// windows had none and was refused).
TEST(TaskBirths, EvalOnAnotherFileScoresEveryWindow) {
  birnn::manual_seed(5);
  TempDir dir;
  auto task = bt::make_task("births");
  task->prepare(small_config());
  birnn::save_model(dir.path() + "/m", task->model(), task->vocabularies(), {{"train_config", task->config().to_json()}});
  std::ifstream f(sample("generic/births.csv"));
  std::string csv, row;
  for (int i = 0; i < 1 + 14 + 28 + 8 && std::getline(f, row); ++i) csv += row + "\n";  // header + 9 windows of 14 + 28 days
  bt::TrainConfig c = task->config();
  c.data = dir.write("nine_windows.csv", csv);
  auto other = bt::make_task("births");
  other->prepare_for(dir.path() + "/m", c, bt::DataNeed::splits);
  const bt::EvalResult r = other->evaluate(bt::Split::test);
  EXPECT_TRUE(std::isfinite(r.value("mape")));
  EXPECT_TRUE(birnn::testing::contains(birnn::testing::error_of<birnn::DataError>([&] { other->evaluate(bt::Split::dev); }),
                                       "there is no dev split"));
}

TEST(TaskBirths, KnobsOutOfRangeAreOptionErrorsNamingTheField) {
  birnn::testing::expect_knob_errors("births", [] { return small_config(); });
}

TEST(TaskBirths, PredictBoundsItsLines) {
  auto task = bt::make_task("births");
  task->prepare(small_config());
  birnn::testing::EndlessBuf endless('1');
  std::istream in(&endless);
  std::ostringstream out;
  EXPECT_EQ(birnn::testing::error_of<birnn::FormatError>([&] { task->predict(in, out); }), "input line 1 is longer than 33554432 bytes");
}

}  // namespace
