// What every task does alike with its input: the refusal of an empty split, the split rule of pos and spam, and
// the error for a split that a file scored whole lacks. (The knobs' ranges: TrainConfig::check_ranges; what
// `birnn eval CKPT --data FILE` scores: scores_whole_file; both in task.hpp.)
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "birnn/error.hpp"
#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

// ---- splits ----

/// How a data set was cut into splits, for the message of an empty split.
struct SplitCounts {
  std::string source;  ///< the file (or data set) read
  std::string unit;    ///< "sentences", "examples"
  std::int64_t total = 0, train = 0, dev = 0, test = 0, limit = 0;
  bool from_file = true;  ///< a --data file (every 10th example is test) rather than a data set with its own split
};

/// DataError unless every split has an example, raised before training starts (an empty dev split used to
/// be reported as "accuracy 0.0000" every epoch, an empty test split as the held-out metric). The rule is
/// the one of pos and spam: test = every 10th example of a --data file, dev = every 20th example of the
/// training part after --limit.
inline void check_splits(const SplitCounts& c) {
  if (c.train > 0 && c.dev > 0 && c.test > 0) return;
  const std::string& u = c.unit;
  std::string msg = c.source + ": " + std::to_string(c.total) + " " + u + " give " + std::to_string(c.train) +
                    " training, " + std::to_string(c.dev) + " dev and " + std::to_string(c.test) + " test " + u;
  if (c.limit > 0) msg += " (with --limit " + std::to_string(c.limit) + ")";
  msg += "; each split needs at least one: ";
  msg += c.from_file ? "test is every 10th of the file's " + u +
                           " and dev every 20th of the rest (after --limit), so the file needs at least 22 " + u
                     : "dev is every 20th of the training " + u + " (after --limit), so there must be at least 20";
  msg += " and --limit, if given, must be at least 20";
  throw DataError(msg);
}

/// The rule check_splits describes, for pos and spam: a --data file gives every 10th example to test
/// (split_off_test returns the rest), then the training part keeps its first --limit examples and gives
/// every 20th of them to dev (split_training_part).
template <class T>
std::vector<T> split_off_test(std::vector<T> all, std::vector<T>& test) {
  std::vector<T> rest;
  for (std::size_t i = 0; i < all.size(); ++i) (i % 10 == 9 ? test : rest).push_back(std::move(all[i]));
  return rest;
}
template <class T>
void split_training_part(std::vector<T> part, std::int64_t limit, std::vector<T>& train, std::vector<T>& dev) {
  if (limit > 0 && static_cast<std::int64_t>(part.size()) > limit) part.resize(static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < part.size(); ++i) (i % 20 == 19 ? dev : train).push_back(std::move(part[i]));
}

/// check_splits for splits made by the two functions above (unit: "sentences", "examples").
template <class T>
void check_split_sizes(const std::string& source, const std::string& unit, std::int64_t total,
                       const std::vector<T>& train, const std::vector<T>& dev, const std::vector<T>& test,
                       const TrainConfig& c) {
  check_splits({source, unit, total, static_cast<std::int64_t>(train.size()), static_cast<std::int64_t>(dev.size()),
                static_cast<std::int64_t>(test.size()), c.limit, !c.data.empty()});
}

// ---- eval --data FILE ----

/// DataError for evaluate(train or dev) after scores_whole_file(): the file has only a test split.
[[noreturn]] inline void throw_no_split_in_eval_file(const std::string& task, const std::string& file, Split split) {
  throw DataError(task + ": " + file + " is scored whole (eval --data FILE): it is the test split, there is no " +
                  split_name(split) + " split");
}

}  // namespace birnn::tasks
