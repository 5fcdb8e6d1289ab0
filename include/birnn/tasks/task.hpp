// A task ties a data set to a ready model: it reads and splits the data, builds vocabularies and the
// model, cuts batches, and knows its metric. `birnn train|eval|predict` run any task the same way:
//
//   auto task = make_task("pos");                 // pos | spam | charlm | births (see task_names())
//   task->prepare(config);                        // data (cache or --data file), vocabularies, model
//   Trainer trainer(task->model(), opt, ...);
//   trainer.fit(task->batches_per_epoch(), [&](auto epoch, auto b) { if (b == 0) task->start_epoch(epoch);
//                                                                   return task->batch_loss(b); });
//   EvalResult r = task->evaluate(Split::test);
//
// Splits: each data set's held-out part (datasets.hpp documents the rule) is `test`; `dev` is carved from
// the training part (every 20th training example, deterministic) and is what picks the best checkpoint,
// so the test part never steers training.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "birnn/checkpoint.hpp"
#include "birnn/models/model.hpp"
#include "birnn/tensor.hpp"

namespace birnn::tasks {

/// The usual knobs (CLI flags or a JSON config file). 0, -1 or "" mean "the task's default".
/// Bounds of the training knobs, one set for the CLI flags, a --config file, a checkpoint's sidecar and the
/// tasks' own checks (each may be the first to see a value).
namespace limits {
inline constexpr std::int64_t kMaxLayers = 16, kMaxWidth = 8192, kMaxBatch = 65536, kMaxEpochs = 100000,
                              kMaxLength = std::int64_t{1} << 24, kMaxLrDecayAfter = 100000;
inline constexpr double kMinLr = 1e-8, kMaxLr = 10.0, kMaxDropout = 0.95, kMinLrDecay = 1e-6, kMaxClip = 1e6;
}  // namespace limits

struct TrainConfig {
  std::string task;             ///< pos | spam | charlm | births
  std::string data;             ///< "" = the real data set (cache; fetched if missing); else a file in a generic format
  std::string cell;             ///< rnn | lstm | gru
  int bidirectional = -1;       ///< -1 default, 0 no, 1 yes
  std::int64_t layers = 0, hidden = 0, embedding = 0;
  double dropout = -1;
  std::string optimizer = "adam";  ///< adam | adamw | sgd
  double lr = 0;
  /// Step decay: from epoch lr_decay_after + 1 on (1-based), each epoch's lr is the previous one's times
  /// lr_decay (lr * lr_decay^(epoch - lr_decay_after)). A closed form of the epoch, so --resume continues it
  /// exactly. 0 = the task's default (1 = no decay for every task but charlm).
  double lr_decay = 0;
  std::int64_t lr_decay_after = -1;  ///< -1 = the task's default
  std::int64_t batch = 0, epochs = 0;
  double clip = 5.0;            ///< global gradient-norm clip; 0 = off
  std::uint64_t seed = 1;
  std::int64_t limit = 0;       ///< use at most this many training examples (0 = all): quick runs, tests
  std::int64_t max_length = 0;  ///< longest sequence accepted (0 = the task's limit); longer input is an error naming file and line

  /// The lr of epoch `epoch` (0-based) under the decay above; `lr` and `lr_decay` must be filled in.
  double lr_at_epoch(std::int64_t epoch) const;

  std::string to_json() const;
  static TrainConfig from_json(const std::string& text);  ///< OptionError naming a bad field
  /// OptionError("<what>: field 'layers' (--layers) must be in 1..16 ..., got 20") unless every field is its
  /// "task default" value or within the range the train flags accept (layers 1..16, hidden 1..8192,
  /// lr [1e-8, 10], ...). The one range check of the knobs: from_json calls it (a --config file, a checkpoint's
  /// sidecar), and each task again before filling in its defaults (a config built in C++ bypasses both).
  void check_ranges(const std::string& what) const;
};

/// The checkpoint extra under which `birnn train --data FILE` records FILE's content: "sha256:<hex>".
inline constexpr const char* kTrainDataKey = "train_data_sha256";
/// "sha256:<hex>" of the file's bytes; FormatError naming the file if it cannot be read.
std::string data_file_fingerprint(const std::string& path);

/// Whether `birnn eval CKPT --data FILE` scores every example of FILE: FILE is not the file the checkpoint was
/// trained on. The training file itself keeps its held-out split, so a model is never scored on the examples
/// it was trained on: the path of its train_config (the same string, or the same file by
/// std::filesystem::equivalent, even if edited since) or the same content (kTrainDataKey: a copy, or a
/// relative path from another folder). A checkpoint that records no training config keeps the split.
bool scores_whole_file(const CheckpointInfo& info, const std::string& data);

enum class Split { train, dev, test };
const char* split_name(Split s);

/// Metrics of one evaluation; `primary` decides the best checkpoint.
struct EvalResult {
  std::vector<std::pair<std::string, double>> metrics;  ///< e.g. {"accuracy", 0.97}, {"loss", 0.08}
  std::string primary;                                  ///< name of the metric that picks the best model
  bool higher_is_better = true;
  /// How many units (tokens, examples) the metrics are over, when the task says (pos: tokens); 0 = not given.
  /// Decides whether a difference in accuracy is larger than chance (birnn compare).
  std::int64_t count = 0;
  double value(const std::string& name) const;          ///< OptionError if absent
  double primary_value() const { return value(primary); }
  bool better_than(const EvalResult& other) const;
  std::string summary() const;                          ///< "accuracy 0.9712 loss 0.0843"
};

/// What Task::prepare_for reads besides the checkpoint.
enum class DataNeed { splits, none };

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  /// One line for `birnn train --help`.
  virtual std::string description() const = 0;
  /// Reads the data, builds vocabularies from the training part and a fresh model from the config.
  virtual void prepare(const TrainConfig& config) = 0;
  /// Loads an existing model (vocabularies come from its checkpoint) for eval or predict. With
  /// DataNeed::splits it also reads the data set's splits (evaluate() needs them); with DataNeed::none it
  /// reads no data set, so predict() starts at once (births still reads its small series: an undated
  /// predict input is taken to end on the series' last day).
  virtual void prepare_for(const std::string& checkpoint, const TrainConfig& config, DataNeed need) = 0;

  virtual Model& model() = 0;
  virtual std::map<std::string, std::vector<std::string>> vocabularies() const = 0;
  /// The task's default knobs filled in (what a checkpoint records).
  virtual const TrainConfig& config() const = 0;

  virtual std::int64_t batches_per_epoch() const = 0;
  /// Reshuffles (with birnn::generator()) and plans the epoch's batches.
  virtual void start_epoch(std::int64_t epoch) = 0;
  /// The loss of batch b of the current epoch, with its graph.
  virtual Tensor batch_loss(std::int64_t b) = 0;
  /// How many units (tokens, characters, sequences, windows) batch b holds, and their name.
  virtual std::int64_t batch_units(std::int64_t b) const = 0;
  virtual std::string unit() const = 0;

  /// Metrics on a split, in eval mode, no gradients.
  virtual EvalResult evaluate(Split split) = 0;
  /// Reads input (one example per line, or the task's file format) and writes predictions.
  virtual void predict(std::istream& in, std::ostream& out) = 0;
};

/// Every task name, in the order `birnn train --help` lists them.
std::vector<std::string> task_names();
/// A new task; OptionError listing the known names for an unknown one.
std::unique_ptr<Task> make_task(const std::string& name);

}  // namespace birnn::tasks
