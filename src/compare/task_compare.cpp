// `birnn compare TASK`: prepare every form, train each with the Trainer, then time them interleaved.
#include "birnn/compare/task_compare.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "birnn/autograd.hpp"
#include "birnn/compare/cost.hpp"
#include "birnn/error.hpp"
#include "birnn/memory.hpp"
#include "birnn/random.hpp"
#include "birnn/report/markdown.hpp"
#include "birnn/trainer.hpp"

namespace birnn::compare {

namespace {

using Clock = std::chrono::steady_clock;
using report::fmt;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool ends_with_layer_index(const std::string& s, std::size_t from) {
  // "l<digits>" then the end or "_reverse".
  if (from >= s.size() || s[from] != 'l') return false;
  std::size_t i = from + 1;
  const std::size_t digits = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == digits) return false;
  return i == s.size() || s.compare(i, std::string::npos, "_reverse") == 0;
}

// Each form's task, what its training produced, and its timing samples.
struct Form {
  CellVariant variant;
  std::unique_ptr<tasks::Task> task;
  TaskRun run;
  std::vector<double> fwd, bwd;  // per repetition: summed over the timed batches, ms
  double cpu = 0, wall = 0;
};

void train_form(Form& f, const TaskCompareOptions& o, const OptimizerFactory& make_optimizer, const LogFn& log) {
  tasks::Task& task = *f.task;
  const tasks::TrainConfig& cfg = task.config();
  Model& model = task.model();
  manual_seed(o.config.seed + 1);  // every form starts from the same shuffle
  std::unique_ptr<Optimizer> opt = make_optimizer ? make_optimizer(cfg, model.parameters())
                                                  : std::make_unique<Adam>(model.parameters(), AdamOptions(cfg.lr > 0 ? cfg.lr : 1e-3));
  Trainer trainer(model, *opt, TrainerOptions().epochs(cfg.epochs).clip_grad_norm(cfg.clip));
  const std::int64_t per_epoch = task.batches_per_epoch();
  const std::int64_t every = o.loss_every > 0 ? o.loss_every : std::max<std::int64_t>(1, per_epoch * cfg.epochs / 40);

  TaskRun& r = f.run;
  std::map<std::string, Tensor> best_state;
  double epoch_sum = 0, window_sum = 0;
  std::int64_t epoch_n = 0, window_n = 0;
  auto epoch_t0 = Clock::now();
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  double eval_s = 0, eval_cpu = 0;
  trainer.fit(
      per_epoch,
      [&](std::int64_t epoch, std::int64_t b) {
        if (b == 0) {
          task.start_epoch(epoch);
          epoch_t0 = Clock::now();
        }
        return task.batch_loss(b);
      },
      [&](const StepReport& s) {
        epoch_sum += s.loss, ++epoch_n;
        window_sum += s.loss, ++window_n;
        if (window_n == every) {
          r.loss_steps.push_back(static_cast<double>(s.step));
          r.loss_values.push_back(window_sum / static_cast<double>(window_n));
          window_sum = 0, window_n = 0;
        }
      },
      [&](std::int64_t epoch) {
        EpochRecord e;
        e.epoch = epoch + 1;
        e.seconds = seconds_since(epoch_t0);
        e.train_loss = epoch_n > 0 ? epoch_sum / static_cast<double>(epoch_n) : 0;
        epoch_sum = 0, epoch_n = 0;
        const auto e0 = Clock::now();
        const double ec0 = cpu_seconds();
        const tasks::EvalResult dev = task.evaluate(tasks::Split::dev);
        eval_s += seconds_since(e0), eval_cpu += cpu_seconds() - ec0;
        e.dev = dev.primary_value();
        const bool improved = r.best_epoch == 0 || dev.better_than(r.best_dev);
        if (improved) {
          r.best_epoch = e.epoch, r.best_dev = dev;
          for (auto& [n, t] : model.state_dict()) best_state[n] = t.clone();  // state_dict shares storage
        }
        r.epochs.push_back(e);
        if (log)
          log(task.name() + " " + f.variant.label() + ": epoch " + std::to_string(e.epoch) + "/" + std::to_string(cfg.epochs) +
              " train loss " + fmt(e.train_loss, 4) + ", dev " + dev.primary + " " + fmt(e.dev, 4) + (improved ? " (best)" : "") + ", " +
              fmt(e.seconds, 3) + " s");
      });
  if (window_n > 0) {
    r.loss_steps.push_back(static_cast<double>(trainer.global_step()));
    r.loss_values.push_back(window_sum / static_cast<double>(window_n));
  }
  r.train_seconds = seconds_since(t0) - eval_s;
  r.train_cpu_seconds = cpu_seconds() - c0 - eval_cpu;
  if (!best_state.empty()) model.load_state_dict(best_state);
  r.test = task.evaluate(tasks::Split::test);
  if (log)
    log(task.name() + " " + f.variant.label() + ": held-out " + r.test.summary() + " (weights of epoch " + std::to_string(r.best_epoch) +
        ")");
}

// One repetition of the timed batches for one form: forward (batch_loss) and backward, summed.
void time_form(Form& f, std::int64_t batches, bool keep) {
  tasks::Task& task = *f.task;
  Model& model = task.model();
  double fsum = 0, bsum = 0, csum = 0;
  for (std::int64_t b = 0; b < batches; ++b) {
    model.zero_grad();
    const std::size_t live_before = tensor_bytes_live();
    reset_peak_tensor_bytes();
    const double c0 = cpu_seconds();
    auto t0 = Clock::now();
    Tensor loss = task.batch_loss(b);
    fsum += seconds_since(t0) * 1e3;
    t0 = Clock::now();
    loss.backward();
    bsum += seconds_since(t0) * 1e3;
    csum += (cpu_seconds() - c0) * 1e3;
    const std::size_t peak = peak_tensor_bytes();
    if (keep) f.run.peak_bytes = std::max(f.run.peak_bytes, peak > live_before ? peak - live_before : 0);
  }
  model.zero_grad();
  if (!keep) return;
  f.fwd.push_back(fsum), f.bwd.push_back(bsum);
  f.cpu += csum, f.wall += fsum + bsum;
}

}  // namespace

void TaskCompareOptions::validate() const {
  if (task.empty()) throw OptionError("compare: no task given");
  if (cells.empty()) throw OptionError("compare: no cells to compare");
  if (cost_batches < 1) throw OptionError("compare: cost_batches must be >= 1, got " + std::to_string(cost_batches));
  if (cost_reps < 1 || cost_warmup < 0)
    throw OptionError("compare: cost repetitions must be >= 1 and warm-up >= 0, got " + std::to_string(cost_reps) + " and " +
                      std::to_string(cost_warmup));
  if (loss_every < 0) throw OptionError("compare: loss_every must be >= 0, got " + std::to_string(loss_every));
  if (threads < 1) throw OptionError("compare: threads must be >= 1, got " + std::to_string(threads));
}

const TaskRun* TaskCompareResult::run(const std::string& cell_id) const {
  for (const auto& r : runs)
    if (r.variant.id() == cell_id) return &r;
  return nullptr;
}

std::int64_t recurrent_parameter_count(const Module& model) {
  std::int64_t n = 0;
  for (const auto& [name, p] : model.named_parameters()) {
    const std::size_t dot = name.rfind('.');
    const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    for (const char* prefix : {"weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_", "weight_hr_"}) {
      const std::string pre = prefix;
      if (leaf.compare(0, pre.size(), pre) == 0 && ends_with_layer_index(leaf, pre.size())) {
        n += p.numel();
        break;
      }
    }
  }
  return n;
}

double accuracy_difference_se(double p1, double p2, std::int64_t n) {
  if (n < 1) return 0;
  return std::sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / static_cast<double>(n));
}

TaskCompareResult run_task_compare(const TaskCompareOptions& o, const LogFn& log, const OptimizerFactory& make_optimizer) {
  o.validate();
  const auto t0 = Clock::now();
  TaskCompareResult res;
  // Every form is prepared first, so a form the task refuses (or bad data) fails before any training.
  std::vector<Form> forms;
  for (const auto& v : o.cells) {
    Form f;
    f.variant = v;
    f.task = tasks::make_task(o.task);
    tasks::TrainConfig c = o.config;
    c.task = o.task;
    c.cell = CellVariant{v.cell, false}.id();  // rnn | lstm | gru
    c.bidirectional = v.bidirectional ? 1 : 0;
    manual_seed(o.config.seed);  // the same initial draws for every form
    f.task->prepare(c);
    f.run.variant = v;
    f.run.parameters = f.task->model().parameter_count();
    f.run.recurrent_parameters = recurrent_parameter_count(f.task->model());
    if (log)
      log(o.task + " " + v.label() + ": " + std::to_string(f.run.parameters) + " parameters (" +
          std::to_string(f.run.recurrent_parameters) + " in the recurrent layer), " + std::to_string(f.task->batches_per_epoch()) +
          " batches per epoch");
    forms.push_back(std::move(f));
  }
  res.config = forms.front().task->config();
  res.unit = forms.front().task->unit();

  // One untimed batch per form first: the first batches of a process pay for the allocator's block
  // cache and page faults, which would otherwise inflate the training time of whichever form goes first.
  for (auto& f : forms) {
    manual_seed(o.config.seed + 2);
    f.task->start_epoch(0);
    time_form(f, 1, false);
  }
  for (auto& f : forms) train_form(f, o, make_optimizer, log);

  // Timing: one shuffled epoch plan with the same seed gives every form the same batches.
  std::int64_t batches = o.cost_batches;
  for (auto& f : forms) {
    manual_seed(o.config.seed + 2);
    f.task->start_epoch(0);
    batches = std::min(batches, f.task->batches_per_epoch());
  }
  res.cost_batches = batches;
  for (std::int64_t b = 0; b < batches; ++b) res.cost_units += static_cast<double>(forms.front().task->batch_units(b));
  if (log) log("timing " + std::to_string(batches) + " batches x " + std::to_string(o.cost_reps) + " repetitions per form, interleaved");
  for (int r = 0; r < o.cost_warmup + o.cost_reps; ++r)
    for (auto& f : forms) time_form(f, batches, r >= o.cost_warmup);
  for (auto& f : forms) {
    TaskRun& run = f.run;
    const double fwd = median_of(f.fwd), bwd = median_of(f.bwd);
    run.forward_ms = fwd / static_cast<double>(batches);
    run.backward_ms = bwd / static_cast<double>(batches);
    run.tokens_per_s = fwd + bwd > 0 ? res.cost_units / ((fwd + bwd) / 1e3) : 0;
    run.cpu_share = f.wall > 0 ? f.cpu / f.wall : 0;
    res.runs.push_back(std::move(run));
  }
  // The recurrent layer alone, at the sizes it has inside the model.
  std::int64_t input = 0;
  for (const auto& [name, p] : forms.front().task->model().named_parameters())
    if (name.size() >= 12 && name.compare(name.size() - 12, 12, "weight_ih_l0") == 0) input = p.size(1);
  if (input > 0 && batches > 0) {
    CostOptions c;
    c.batch = res.config.batch;
    c.seq_len = std::max<std::int64_t>(1, std::llround(res.cost_units / static_cast<double>(batches * c.batch)));
    c.input_size = input, c.hidden_size = res.config.hidden;
    // A layer step takes about a millisecond: ten times the repetitions keep its median steady on a busy machine.
    c.reps = 10 * o.cost_reps, c.warmup = o.cost_warmup + 2, c.seed = o.config.seed;
    res.layer_cost_options = c;
    res.layer_costs = measure_costs(o.cells, c);
  }
  res.seconds = seconds_since(t0);
  return res;
}

}  // namespace birnn::compare
