// A small training loop for the ready models: optimizer steps with gradient clipping and an optional
// schedule, checkpoints, and a guard against NaN/Inf. The CLI's `birnn train` is built on it.
//
//   Trainer trainer(model, opt, TrainerOptions().epochs(10).clip_grad_norm(5.0).checkpoint("runs/tagger/last"));
//   trainer.fit(batches_per_epoch, [&](std::int64_t epoch, std::int64_t b) { return model.loss(...); });
//
// NaN/Inf: before any weight moves, the loss and then every gradient are checked. A non-finite value stops
// training with NonFiniteLossError naming the step (the failing step's number, counting from 1), the epoch
// and batch, and the parameter whose gradient broke; the weights stay as the last good step left them,
// and the checkpoint on disk is the last good one (checkpoints are written only after good steps, and
// atomically: see checkpoint.hpp).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "birnn/error.hpp"
#include "birnn/models/model.hpp"
#include "birnn/optim.hpp"
#include "birnn/schedule.hpp"

namespace birnn {

/// A loss or a gradient became NaN or infinite; what() names the step.
class NonFiniteLossError : public Error {
 public:
  NonFiniteLossError(const std::string& message, std::int64_t step) : Error(message), step_(step) {}
  /// The step that failed (1-based count of optimizer steps; that step did not update anything).
  std::int64_t step() const { return step_; }

 private:
  std::int64_t step_;
};

class TrainerOptions {
 public:
  /// Passes over the data in fit().
  TrainerOptions& epochs(std::int64_t v) { epochs_ = v; return *this; }
  /// Clip the global gradient norm to this value before each step; 0 = no clipping.
  TrainerOptions& clip_grad_norm(double v) { clip_grad_norm_ = v; return *this; }
  /// Checkpoint path stem (checkpoint.hpp); "" = write none.
  TrainerOptions& checkpoint(std::string v) { checkpoint_ = std::move(v); return *this; }
  /// Also checkpoint every N steps (0 = only at the end of each epoch).
  TrainerOptions& checkpoint_every(std::int64_t v) { checkpoint_every_ = v; return *this; }
  /// Step the scheduler after every optimizer step (true) or after every epoch (false, the default).
  TrainerOptions& schedule_per_step(bool v) { schedule_per_step_ = v; return *this; }
  /// Vocabularies stored with every checkpoint (e.g. {"words", ...}).
  TrainerOptions& vocabularies(std::map<std::string, std::vector<std::string>> v) { vocabularies_ = std::move(v); return *this; }
  /// Free-form notes stored with every checkpoint (CheckpointInfo::extra), e.g. the task and its config.
  TrainerOptions& extra(std::map<std::string, std::string> v) { extra_ = std::move(v); return *this; }

  std::int64_t epochs() const { return epochs_; }
  double clip_grad_norm() const { return clip_grad_norm_; }
  const std::string& checkpoint() const { return checkpoint_; }
  std::int64_t checkpoint_every() const { return checkpoint_every_; }
  bool schedule_per_step() const { return schedule_per_step_; }
  const std::map<std::string, std::vector<std::string>>& vocabularies() const { return vocabularies_; }
  const std::map<std::string, std::string>& extra() const { return extra_; }
  void validate() const;  // OptionError naming the field

 private:
  std::int64_t epochs_ = 1, checkpoint_every_ = 0;
  double clip_grad_norm_ = 0.0;
  std::string checkpoint_;
  bool schedule_per_step_ = false;
  std::map<std::string, std::vector<std::string>> vocabularies_;
  std::map<std::string, std::string> extra_;
};

/// What the step callback sees after each good step.
struct StepReport {
  std::int64_t step = 0;   ///< optimizer steps done, this one included
  std::int64_t epoch = 0;  ///< 0-based
  std::int64_t batch = 0;  ///< 0-based within the epoch
  double loss = 0.0;
  double grad_norm = 0.0;  ///< before clipping
  double lr = 0.0;         ///< the learning rate this step used
};

class Trainer {
 public:
  /// loss_fn(epoch, batch) builds the scalar loss of one batch (training mode is set by fit()).
  using LossFn = std::function<Tensor(std::int64_t epoch, std::int64_t batch)>;
  /// Called after every good step.
  using StepFn = std::function<void(const StepReport&)>;
  /// Called at the end of each epoch, after the epoch's checkpoint was written (e.g. validation).
  using EpochFn = std::function<void(std::int64_t epoch)>;

  /// The trainer keeps references: model, optimizer and scheduler must outlive it.
  Trainer(Model& model, Optimizer& optimizer, TrainerOptions options = {}, LRScheduler* scheduler = nullptr);

  /// One optimizer step on `loss` (a scalar with a graph): checks the loss, runs backward, checks every
  /// gradient, clips, steps the optimizer (and a per-step schedule). Throws NonFiniteLossError before
  /// anything is updated. Returns the report of the step.
  StepReport step(const Tensor& loss, std::int64_t epoch = 0, std::int64_t batch = 0);

  /// Epochs from the one after resume() (or 0) up to options.epochs(), batches_per_epoch steps each, in
  /// training mode; checkpoints per the options. Sets eval mode before returning (also on error).
  void fit(std::int64_t batches_per_epoch, const LossFn& loss_fn, const StepFn& on_step = {},
           const EpochFn& on_epoch_end = {});

  /// Continues a run: loads the checkpoint at `path` into model, optimizer, scheduler and the generator
  /// (checkpoint.hpp checks type, vocabularies, sizes and sums) and takes its step and epoch counters, so
  /// fit() carries on with the next epoch. Returns the epochs already done. Resuming from an end-of-epoch
  /// checkpoint reaches bit-for-bit the weights of an uninterrupted run (same threads, and the caller
  /// draws its shuffles from birnn::generator()); a mid-epoch one (checkpoint_every) restarts its epoch.
  std::int64_t resume(const std::string& path);

  /// Asks fit() to stop after the step in progress (it only sets a lock-free atomic flag, so any thread may
  /// call it). fit() then writes a checkpoint (if a path is set) and returns; stopped() is true.
  /// For Ctrl-C, call it from a thread that waits for the signal (sigwait), not from a signal handler that
  /// can run on a thread inside birnn: oneDNN's JIT GEMM code runs with the stack pointer in a heap block, and
  /// a handler's frame is written below it, over heap memory (how the birnn CLI does it: tools/interrupt.cpp).
  void request_stop() { stop_requested_.store(true); }
  bool stopped() const { return stopped_; }

  /// Writes a checkpoint now (model, optimizer, scheduler, RNG, counters) to options.checkpoint().
  void save_checkpoint_now(std::int64_t epochs_done);

  std::int64_t global_step() const { return step_; }
  /// Path stem of the last checkpoint written, "" if none yet.
  const std::string& last_checkpoint() const { return last_checkpoint_; }
  std::int64_t last_checkpoint_step() const { return last_checkpoint_step_; }

 private:
  [[noreturn]] void fail(const std::string& what, std::int64_t epoch, std::int64_t batch) const;

  Model& model_;
  Optimizer& optimizer_;
  TrainerOptions options_;
  LRScheduler* scheduler_;
  std::int64_t step_ = 0, epochs_done_ = 0, last_checkpoint_step_ = -1;
  std::string last_checkpoint_;
  std::atomic<bool> stop_requested_{false};
  bool stopped_ = false;
  static_assert(std::atomic<bool>::is_always_lock_free);
};

}  // namespace birnn
