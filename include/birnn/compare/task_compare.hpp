// `birnn compare TASK` on a real task (pos: Brown POS tagging): every chosen cell form (RNN, LSTM, GRU,
// BiRNN, BiLSTM, BiGRU) built as the task's model with one budget, trained with the Trainer, evaluated on
// dev after every epoch and on the held-out part with the weights of the best dev epoch, then timed on
// the same training batches. Generic over tasks::Task: any task whose TrainConfig accepts `cell` and
// `bidirectional` (pos accepts all six forms; a task that refuses a form fails before anything trains).
//
//   TaskCompareOptions o;  o.task = "pos";  o.config.limit = 8000;  o.config.epochs = 2;  o.config.hidden = 100;
//   TaskCompareResult r = run_task_compare(o, [](const std::string& line) { std::puts(line.c_str()); });
//   report::Report rep = task_report(o, r);
//   write_task_report("out", o, r, rep);          // out/report.md + out/*.svg
//
// What is measured per form:
//   training     mean loss of every `loss_every` steps (the loss curve), and per epoch: mean training loss,
//                dev primary metric, seconds; the held-out metrics of the best dev epoch's weights.
//   cost         forward = task->batch_loss(b) (the whole model in training mode with autograd recording:
//                embeddings, character CNN, recurrent layer, head, loss) and backward = loss.backward(), on
//                the first `cost_batches` batches of one shuffled epoch (the same batches for every form:
//                same data, same seed). Per form and repetition, the times of those batches are summed;
//                forms are interleaved repetition by repetition and the medians are reported, divided by
//                the batch count. tokens/s = units in those batches / (forward + backward) seconds.
//                Peak memory: the highest tensor_bytes_live() above what was live before each batch
//                (memory.hpp: activations, saved state, gradients). Parameters: the whole model and its
//                recurrent layer alone (parameters named like torch.nn.RNN/LSTM/GRU's: weight_ih_l*, ...).
//   layer alone  the same six recurrent layers at the model's sizes (input = weight_ih_l0's columns, hidden,
//                batch, T = mean sentence length of the timed batches) timed by measure_costs (cost.hpp,
//                10 x cost_reps repetitions):
//                what the recurrent layer itself costs, apart from the rest of the model.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "birnn/compare/cells.hpp"
#include "birnn/compare/cost.hpp"
#include "birnn/optim.hpp"
#include "birnn/report/markdown.hpp"
#include "birnn/tasks/task.hpp"

namespace birnn::compare {

struct TaskCompareOptions {
  /// A task name of tasks::task_names() (e.g. "pos").
  std::string task = "pos";
  /// The budget every form shares: data, limit, epochs, hidden, embedding, batch, lr, clip, seed, ...
  /// (cell and bidirectional are set per form; 0 / -1 / "" fields take the task's defaults).
  tasks::TrainConfig config;
  std::vector<CellVariant> cells = all_cell_variants();
  /// Training batches timed per repetition (fewer if an epoch has fewer).
  std::int64_t cost_batches = 8;
  int cost_reps = 5, cost_warmup = 1;
  /// Points of the loss curve: the mean loss of every `loss_every` optimizer steps (0 = about 40 per run).
  std::int64_t loss_every = 0;
  int threads = 1;
  void validate() const;  // OptionError
};

struct EpochRecord {
  std::int64_t epoch = 0;  ///< 1-based
  double train_loss = 0;   ///< mean of the epoch's batch losses
  double dev = 0;          ///< dev primary metric after the epoch
  double seconds = 0;      ///< wall time of the epoch's training (evaluation excluded)
};

struct TaskRun {
  CellVariant variant;
  std::int64_t parameters = 0, recurrent_parameters = 0;
  std::vector<double> loss_steps, loss_values;  ///< the loss curve: step (end of window), mean loss
  std::vector<EpochRecord> epochs;
  std::int64_t best_epoch = 0;    ///< 1-based, by dev primary metric
  tasks::EvalResult best_dev;     ///< dev metrics of that epoch
  tasks::EvalResult test;         ///< held-out metrics with that epoch's weights
  double train_seconds = 0, train_cpu_seconds = 0;
  // Cost per training batch (see the header comment).
  double forward_ms = 0, backward_ms = 0, tokens_per_s = 0;
  std::size_t peak_bytes = 0;
  double cpu_share = 0;           ///< process CPU time / wall time while timing (~threads on a quiet machine)
};

struct TaskCompareResult {
  std::vector<TaskRun> runs;      ///< in options.cells' order
  tasks::TrainConfig config;      ///< the budget with the task's defaults filled in (of the first form)
  std::string unit;               ///< what batch_units counts ("tokens", ...)
  std::int64_t cost_batches = 0;  ///< batches actually timed
  double cost_units = 0;          ///< units in the timed batches
  double seconds = 0;             ///< wall time of the whole comparison
  /// The recurrent layers alone at the model's sizes (empty if the model has no weight_ih_l0).
  std::vector<CellCost> layer_costs;
  CostOptions layer_cost_options;
  const TaskRun* run(const std::string& cell_id) const;
};

using LogFn = std::function<void(const std::string&)>;
/// Builds the optimizer of one form (the CLI passes the one `birnn train` uses); empty = Adam(config.lr).
using OptimizerFactory = std::function<std::unique_ptr<Optimizer>(const tasks::TrainConfig&, std::vector<Tensor>)>;

TaskCompareResult run_task_compare(const TaskCompareOptions& options, const LogFn& log = {},
                                   const OptimizerFactory& make_optimizer = {});

/// Parameters of a model's recurrent layers: those named like torch.nn.RNN/LSTM/GRU's (weight_ih_l*,
/// weight_hh_l*, bias_ih_l*, bias_hh_l*, weight_hr_l*, with or without _reverse).
std::int64_t recurrent_parameter_count(const Module& model);

/// Binomial standard error of the difference of two accuracies p1, p2, each over n trials:
/// sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n). 0 if n < 1.
double accuracy_difference_se(double p1, double p2, std::int64_t n);

/// The report: table rows (task = options.task), the claims (Bi doubles parameters and compute, GRU is
/// cheaper than LSTM, Bi helps <task>), per-epoch results, chart links and how it was measured.
report::Report task_report(const TaskCompareOptions& options, const TaskCompareResult& result);

/// Writes dir/report.md and the charts (<task>_loss.svg, <task>_dev.svg, cost_time.svg,
/// cost_parameters.svg, cost_memory.svg, <task>_heldout.svg). Returns the paths written.
std::vector<std::string> write_task_report(const std::string& dir, const TaskCompareOptions& options,
                                           const TaskCompareResult& result, const report::Report& report);

}  // namespace birnn::compare
