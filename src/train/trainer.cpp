#include "birnn/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>

#include "birnn/checkpoint.hpp"

namespace birnn {

namespace {

// The index of the first NaN/Inf element of t, or -1. Every step checks every gradient, so blocks are
// first tested without branches (all exponent bits set = NaN/Inf; the compiler vectorizes the OR), and only
// a flagged block is searched element by element.
template <class T, class Bits>
std::int64_t first_non_finite(const Tensor& t) {
  static_assert(sizeof(T) == sizeof(Bits));
  constexpr Bits kExp = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  constexpr std::int64_t kBlock = 1024;
  const T* p = t.data<T>();
  const std::int64_t n = t.numel();
  for (std::int64_t b = 0; b < n; b += kBlock) {
    const std::int64_t e = std::min(n, b + kBlock);
    Bits bad = 0;
    for (std::int64_t i = b; i < e; ++i) {
      Bits u;
      std::memcpy(&u, p + i, sizeof u);
      bad |= (u & kExp) == kExp;
    }
    if (!bad) continue;
    for (std::int64_t i = b; i < e; ++i)
      if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

std::int64_t first_non_finite_any(const Tensor& t) {
  return t.dtype() == DType::f64 ? first_non_finite<double, std::uint64_t>(t) : first_non_finite<float, std::uint32_t>(t);
}

// Restores eval mode when fit() leaves, normally or by an exception.
struct EvalOnExit {
  Module& m;
  ~EvalOnExit() { m.eval(); }
};

}  // namespace

void TrainerOptions::validate() const {
  if (epochs_ < 1) throw OptionError("TrainerOptions: epochs must be >= 1, got " + std::to_string(epochs_));
  if (!(clip_grad_norm_ >= 0) || !std::isfinite(clip_grad_norm_))
    throw OptionError("TrainerOptions: clip_grad_norm must be finite and >= 0 (0 = off), got " + std::to_string(clip_grad_norm_));
  if (checkpoint_every_ < 0)
    throw OptionError("TrainerOptions: checkpoint_every must be >= 0, got " + std::to_string(checkpoint_every_));
  if (checkpoint_every_ > 0 && checkpoint_.empty())
    throw OptionError("TrainerOptions: checkpoint_every is set but no checkpoint path is given");
}

Trainer::Trainer(Model& model, Optimizer& optimizer, TrainerOptions options, LRScheduler* scheduler)
    : model_(model), optimizer_(optimizer), options_(std::move(options)), scheduler_(scheduler) {
  options_.validate();
  if (scheduler_ && &scheduler_->optimizer() != &optimizer_)
    throw OptionError("Trainer: the scheduler drives another optimizer than the one given");
}

void Trainer::fail(const std::string& what, std::int64_t epoch, std::int64_t batch) const {
  std::ostringstream m;
  m << what << " at step " << step_ + 1 << " (epoch " << epoch + 1 << ", batch " << batch + 1
    << "); training stopped and the weights were not updated by that step. ";
  if (last_checkpoint_.empty())
    m << "No checkpoint had been written yet.";
  else
    m << "The last good checkpoint is kept: " << last_checkpoint_ << " (step " << last_checkpoint_step_ << ").";
  m << " Try a lower learning rate or gradient clipping.";
  throw NonFiniteLossError(m.str(), step_ + 1);
}

StepReport Trainer::step(const Tensor& loss, std::int64_t epoch, std::int64_t batch) {
  if (!loss.defined() || loss.numel() != 1)
    throw ShapeError("Trainer::step: the loss must be a scalar tensor");
  const double value = loss.item();
  if (!std::isfinite(value)) fail(std::string("the loss is ") + (std::isnan(value) ? "NaN" : "infinite"), epoch, batch);

  optimizer_.zero_grad();
  loss.backward();
  for (const auto& [name, p] : model_.named_parameters()) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const std::int64_t i = first_non_finite_any(g);
    if (i >= 0) {
      optimizer_.zero_grad();  // leave no broken gradient behind
      fail("the gradient of '" + name + "' is not finite (element " + std::to_string(i) + ")", epoch, batch);
    }
  }
  StepReport r;
  r.grad_norm = options_.clip_grad_norm() > 0 ? clip_grad_norm(optimizer_.parameters(), options_.clip_grad_norm())
                                               : clip_grad_norm(optimizer_.parameters(), INFINITY);
  r.lr = optimizer_.learning_rate();
  optimizer_.step();
  if (scheduler_ && options_.schedule_per_step()) scheduler_->step();
  ++step_;
  r.step = step_;
  r.epoch = epoch;
  r.batch = batch;
  r.loss = value;
  return r;
}

void Trainer::save_checkpoint_now(std::int64_t epochs_done) {
  if (options_.checkpoint().empty()) throw OptionError("Trainer: no checkpoint path was given");
  CheckpointInfo info;
  info.model_type = model_.model_type();
  info.config_json = model_.config_json();
  info.vocabularies = options_.vocabularies();
  info.extra = options_.extra();
  info.step = step_;
  info.epoch = epochs_done;
  save_checkpoint(options_.checkpoint(), model_, info, &optimizer_, scheduler_);
  last_checkpoint_ = options_.checkpoint();
  last_checkpoint_step_ = step_;
}

std::int64_t Trainer::resume(const std::string& path) {
  CheckpointLoadOptions check;
  check.model_type(model_.model_type());
  for (const auto& [name, words] : options_.vocabularies()) check.vocabulary(name, words);
  const CheckpointInfo info = load_checkpoint(path, model_, &optimizer_, scheduler_, check);
  step_ = info.step;
  epochs_done_ = info.epoch;
  last_checkpoint_ = path;
  last_checkpoint_step_ = step_;
  return epochs_done_;
}

void Trainer::fit(std::int64_t batches_per_epoch, const LossFn& loss_fn, const StepFn& on_step,
                  const EpochFn& on_epoch_end) {
  if (batches_per_epoch < 1)
    throw OptionError("Trainer::fit: batches_per_epoch must be >= 1, got " + std::to_string(batches_per_epoch));
  EvalOnExit restore{model_};
  for (std::int64_t epoch = epochs_done_; epoch < options_.epochs(); ++epoch) {
    for (std::int64_t b = 0; b < batches_per_epoch; ++b) {
      model_.train();
      const StepReport r = step(loss_fn(epoch, b), epoch, b);
      if (on_step) on_step(r);
      if (stop_requested_.load()) {
        stopped_ = true;
        if (!options_.checkpoint().empty()) save_checkpoint_now(epoch);  // `epoch` epochs are complete
        return;
      }
      if (options_.checkpoint_every() > 0 && step_ % options_.checkpoint_every() == 0)
        save_checkpoint_now(epoch);  // mid-epoch: `epoch` epochs are complete
    }
    if (scheduler_ && !options_.schedule_per_step()) scheduler_->step();
    epochs_done_ = epoch + 1;
    if (!options_.checkpoint().empty()) save_checkpoint_now(epochs_done_);
    if (on_epoch_end) on_epoch_end(epoch);
  }
}

}  // namespace birnn
