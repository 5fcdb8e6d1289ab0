// The births task through the Task API on a committed generic CSV (tests/data/generic/births.csv: the
// first 200 days of the CDC births file as date,value): prepare, a tiny training run whose loss falls,
// metrics, predict's format, a checkpoint round trip and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "birnn/birnn.hpp"
#include "birnn/tasks/task.hpp"
#include "data_test_util.hpp"
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

}  // namespace
