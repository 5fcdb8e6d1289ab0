// Learning-rate schedules with torch.optim.lr_scheduler's semantics (PyTorch 1.13), value for value.
//
//   Adam opt(params, 1e-3);
//   auto sched = warmup_cosine(opt, /*warmup_steps=*/100, /*start_factor=*/0.01, /*T_max=*/900);
//   for each step: ... opt.step(); sched->step();
//
// As in PyTorch, constructing a scheduler already performs its first step (epoch 0), which may change
// the optimizer's lr at once (LinearLR starts at start_factor * lr); call step() after optimizer.step().
// Each step() computes the new lr from the optimizer's current one (PyTorch's chainable get_lr());
// base_lr is the optimizer's lr when its first scheduler was created (param_group["initial_lr"]).
//
//   StepLR:            lr * gamma every step_size epochs          base_lr * gamma^(epoch / step_size)
//   LinearLR:          factor from start_factor to end_factor over total_iters epochs, then constant
//   CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (continues
//                      periodically past T_max, as PyTorch's does)
//   SequentialLR:      schedulers[i] runs from milestones[i-1]; at a milestone it restarts at epoch 0
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "birnn/optim.hpp"

namespace birnn {

/// A scheduler's state for checkpoints: "last_epoch", "step_count", "base_lr", "last_lr" and its
/// hyperparameters as scalars; SequentialLR's children in order.
struct SchedulerState {
  std::string type;  ///< "StepLR", "LinearLR", "CosineAnnealingLR", "SequentialLR"
  std::map<std::string, double> scalars;
  std::vector<SchedulerState> children;
};

/// Base of the schedulers (PyTorch's _LRScheduler). Holds a reference: the optimizer must outlive it.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch (or iteration) and sets the optimizer's lr.
  virtual void step();
  /// The lr the last step set (PyTorch's get_last_lr()[0]).
  double last_lr() const { return last_lr_; }
  /// Epochs stepped since construction (0 right after it).
  std::int64_t last_epoch() const { return last_epoch_; }
  double base_lr() const { return base_lr_; }
  Optimizer& optimizer() const { return *optimizer_; }
  virtual const char* type() const = 0;

  SchedulerState state() const;
  /// Restores what state() returned, hyperparameters included (as PyTorch's load_state_dict does).
  /// Checks the type and every value first; throws StateDictError naming the entry at fault and
  /// leaves the scheduler unchanged. Does not touch the optimizer: its lr is part of its own state.
  void load_state(const SchedulerState& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// The first step, at the end of each subclass constructor (a base constructor cannot call virtuals).
  void initial_step();
  /// Epoch `epoch` by the closed form (PyTorch's step(epoch)); SequentialLR uses it at milestones.
  void step_to(std::int64_t epoch);
  /// PyTorch's get_lr(): the lr for last_epoch_ from the optimizer's current lr.
  virtual double chained_lr() const = 0;
  /// PyTorch's _get_closed_form_lr(): the lr for last_epoch_ from base_lr_.
  virtual double closed_form_lr() const = 0;
  /// Hyperparameters for state().
  virtual std::map<std::string, double> hyperparameters() const = 0;
  /// Throws StateDictError unless h holds exactly this type's hyperparameters, valid (for load_state()).
  virtual void check_hyperparameters(const std::map<std::string, double>& h) const = 0;
  /// Applies hyperparameters that passed check_hyperparameters().
  virtual void set_hyperparameters(const std::map<std::string, double>& h) = 0;
  /// SequentialLR's children; the others have none.
  virtual std::vector<SchedulerState> child_states() const { return {}; }
  virtual void check_children(const std::vector<SchedulerState>& children) const;
  virtual void set_children(const std::vector<SchedulerState>& /*children*/) {}

  Optimizer* optimizer_;
  double base_lr_ = 0, last_lr_ = 0;
  std::int64_t last_epoch_ = -1, step_count_ = 0;

 private:
  void check_state(const SchedulerState& state) const;  // everything load_state() checks
  void commit_state(const SchedulerState& state);       // then applies
  void apply(double lr);

  friend class SequentialLR;
};

/// torch.optim.lr_scheduler.StepLR: multiplies the lr by gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  /// step_size >= 1; gamma finite and >= 0 (OptionError otherwise).
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  const char* type() const override { return "StepLR"; }

 protected:
  double chained_lr() const override;
  double closed_form_lr() const override;
  std::map<std::string, double> hyperparameters() const override;
  void check_hyperparameters(const std::map<std::string, double>& h) const override;
  void set_hyperparameters(const std::map<std::string, double>& h) override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// torch.optim.lr_scheduler.LinearLR: scales the lr by a factor going linearly from start_factor
/// (epoch 0) to end_factor (epoch total_iters), then keeps it. Used for warm-up.
class LinearLR : public LRScheduler {
 public:
  /// start_factor in (0, 1], end_factor in [0, 1], total_iters >= 1 (OptionError otherwise).
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, std::int64_t total_iters = 5);
  const char* type() const override { return "LinearLR"; }

 protected:
  double chained_lr() const override;
  double closed_form_lr() const override;
  std::map<std::string, double> hyperparameters() const override;
  void check_hyperparameters(const std::map<std::string, double>& h) const override;
  void set_hyperparameters(const std::map<std::string, double>& h) override;

 private:
  double start_factor_, end_factor_;
  std::int64_t total_iters_;
};

/// torch.optim.lr_scheduler.CosineAnnealingLR (without restarts).
class CosineAnnealingLR : public LRScheduler {
 public:
  /// T_max >= 1; eta_min finite and >= 0 (OptionError otherwise).
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);
  const char* type() const override { return "CosineAnnealingLR"; }

 protected:
  double chained_lr() const override;
  double closed_form_lr() const override;
  std::map<std::string, double> hyperparameters() const override;
  void check_hyperparameters(const std::map<std::string, double>& h) const override;
  void set_hyperparameters(const std::map<std::string, double>& h) override;

 private:
  std::int64_t T_max_;
  double eta_min_;
};

/// torch.optim.lr_scheduler.SequentialLR: schedulers[0] until milestones[0], then schedulers[1]
/// (restarted at its epoch 0), and so on. All schedulers must drive `optimizer`; construct them
/// first, as in PyTorch (their construction steps are undone here).
class SequentialLR : public LRScheduler {
 public:
  /// milestones: one fewer than schedulers, strictly increasing, each >= 1 (OptionError otherwise).
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers, std::vector<std::int64_t> milestones);
  void step() override;
  const char* type() const override { return "SequentialLR"; }
  const std::vector<std::shared_ptr<LRScheduler>>& schedulers() const { return schedulers_; }
  const std::vector<std::int64_t>& milestones() const { return milestones_; }

 protected:
  double chained_lr() const override;
  double closed_form_lr() const override;
  std::map<std::string, double> hyperparameters() const override;
  void check_hyperparameters(const std::map<std::string, double>& h) const override;
  void set_hyperparameters(const std::map<std::string, double>& h) override;
  std::vector<SchedulerState> child_states() const override;
  void check_children(const std::vector<SchedulerState>& children) const override;
  void set_children(const std::vector<SchedulerState>& children) override;

 private:
  std::size_t active() const;  // index of the scheduler for last_epoch_
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

/// Linear warm-up then cosine annealing, the usual pairing:
/// SequentialLR({LinearLR(start_factor, 1, warmup_steps), CosineAnnealingLR(T_max, eta_min)}, {warmup_steps}).
/// The lr rises from start_factor * lr to lr over warmup_steps steps, then falls to eta_min over T_max.
std::unique_ptr<SequentialLR> warmup_cosine(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor,
                                            std::int64_t T_max, double eta_min = 0.0);

}  // namespace birnn
