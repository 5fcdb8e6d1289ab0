// Helpers for the task tests: a few epochs through the Task API, an environment variable set for a
// test's lifetime, and a data cache holding a committed sample as if `birnn data fetch` had put it there.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include "birnn/birnn.hpp"
#include "birnn/tasks/task.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

namespace birnn::testing {

/// Trains task's model for `epochs` epochs with Adam(lr); returns the mean batch loss of each epoch.
inline std::vector<double> train_task(tasks::Task& task, std::int64_t epochs, double lr) {
  Adam opt(task.model().parameters(), AdamOptions(lr));
  std::vector<double> means;
  for (std::int64_t e = 0; e < epochs; ++e) {
    task.start_epoch(e);
    double sum = 0;
    for (std::int64_t b = 0; b < task.batches_per_epoch(); ++b) {
      Tensor loss = task.batch_loss(b);
      opt.zero_grad();
      loss.backward();
      opt.step();
      sum += loss.item();
    }
    means.push_back(sum / static_cast<double>(task.batches_per_epoch()));
  }
  return means;
}

/// Sets an environment variable for the scope's lifetime.
class ScopedEnvVar {
 public:
  ScopedEnvVar(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvVar() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }
  ScopedEnvVar(const ScopedEnvVar&) = delete;
  ScopedEnvVar& operator=(const ScopedEnvVar&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

/// Copies tests/data/<sample> to <cache>/<name> with the completion marker, so fetch_dataset(name) reads
/// it without the network. Returns the cache folder (for BIRNN_DATA_DIR).
inline std::string fake_cache(const TempDir& d, const std::string& name, const std::string& sample_dir) {
  const std::filesystem::path dst = std::filesystem::path(d.path()) / "cache" / name;
  std::filesystem::create_directories(dst);
  std::filesystem::copy(sample(sample_dir), dst, std::filesystem::copy_options::recursive);
  d.write("cache/" + name + "/.birnn-complete", "package test sample\n");
  return (std::filesystem::path(d.path()) / "cache").string();
}

/// Each knob out of range (too small and too large) makes task.prepare() an OptionError naming the field and its
/// flag ("TASK: field 'FIELD' (--"), also for a config built in C++ that no config file or flag checked:
/// config() gives a config that prepares.
inline void expect_knob_errors(const std::string& task, const std::function<tasks::TrainConfig()>& config) {
  const std::vector<std::pair<std::string, void (*)(tasks::TrainConfig&)>> cases = {
      {"max_length", [](tasks::TrainConfig& c) { c.max_length = -1; }},
      {"max_length", [](tasks::TrainConfig& c) { c.max_length = std::int64_t{1} << 40; }},
      {"hidden", [](tasks::TrainConfig& c) { c.hidden = -3; }},
      {"embedding", [](tasks::TrainConfig& c) { c.embedding = 100000; }},
      {"layers", [](tasks::TrainConfig& c) { c.layers = -1; }},
      {"layers", [](tasks::TrainConfig& c) { c.layers = 17; }},
      {"batch", [](tasks::TrainConfig& c) { c.batch = 1 << 20; }},
      {"epochs", [](tasks::TrainConfig& c) { c.epochs = -1; }},
      {"epochs", [](tasks::TrainConfig& c) { c.epochs = 1000000; }},
      {"limit", [](tasks::TrainConfig& c) { c.limit = -1; }},
      {"dropout", [](tasks::TrainConfig& c) { c.dropout = 1.0; }},
      {"lr", [](tasks::TrainConfig& c) { c.lr = 50.0; }},
      {"lr_decay", [](tasks::TrainConfig& c) { c.lr_decay = 2.0; }},
      {"clip", [](tasks::TrainConfig& c) { c.clip = -1.0; }},
      {"bidirectional", [](tasks::TrainConfig& c) { c.bidirectional = 2; }},
      // Negative values some tasks' defaults used to replace silently (`if (c.lr <= 0) c.lr = ...`).
      {"lr", [](tasks::TrainConfig& c) { c.lr = -1.0; }},
      {"dropout", [](tasks::TrainConfig& c) { c.dropout = -0.5; }},
      {"lr_decay", [](tasks::TrainConfig& c) { c.lr_decay = -1.0; }},
      {"lr_decay_after", [](tasks::TrainConfig& c) { c.lr_decay_after = -3; }},
      {"bidirectional", [](tasks::TrainConfig& c) { c.bidirectional = -2; }}};
  for (const auto& [field, set] : cases) {
    SCOPED_TRACE(task + " " + field);
    tasks::TrainConfig c = config();
    set(c);
    const std::string msg = error_of<OptionError>([&] { tasks::make_task(task)->prepare(c); });
    EXPECT_TRUE(contains(msg, task + ": field '" + field + "' (--")) << msg;
  }
}

}  // namespace birnn::testing
