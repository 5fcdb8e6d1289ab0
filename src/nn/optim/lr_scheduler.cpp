// Learning-rate schedules: the formulas of torch/optim/lr_scheduler.py (PyTorch 1.13), evaluated in the
// same order so the values match PyTorch's to the last bit or two.
#include <algorithm>
#include <cmath>

#include "birnn/schedule.hpp"

namespace birnn {

namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void bad_state(const std::string& what) { throw StateDictError("scheduler state: " + what); }

double get(const std::map<std::string, double>& h, const std::string& key) {
  auto it = h.find(key);
  if (it == h.end()) bad_state("missing scalar '" + key + "'");
  if (!std::isfinite(it->second)) bad_state("scalar '" + key + "' is not finite");
  return it->second;
}

std::int64_t get_int(const std::map<std::string, double>& h, const std::string& key, std::int64_t min) {
  const double v = get(h, key);
  if (!(v == std::floor(v) && v >= static_cast<double>(min) && v <= 9007199254740992.0))
    bad_state("scalar '" + key + "' must be a whole number >= " + std::to_string(min) + ", got " + std::to_string(v));
  return static_cast<std::int64_t>(v);
}

// Exactly `keys`, nothing else.
void only_keys(const std::map<std::string, double>& h, const std::vector<std::string>& keys, const char* who) {
  for (const auto& [k, v] : h)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) bad_state(std::string("unexpected scalar '") + k + "' for " + who);
}

// Runs a constructor's validation on restored values, as a StateDictError.
template <class F>
void check_as_state(F&& validate) {
  try {
    validate();
  } catch (const OptionError& e) {
    bad_state(e.what());
  }
}

void validate_step(std::int64_t step_size, double gamma) {
  if (step_size < 1) throw OptionError("StepLR: step_size must be >= 1, got " + std::to_string(step_size));
  if (!(std::isfinite(gamma) && gamma >= 0)) throw OptionError("StepLR: gamma must be finite and >= 0, got " + std::to_string(gamma));
}

void validate_linear(double start, double end, std::int64_t total) {
  // PyTorch accepts start_factor 0 but then divides by zero at epoch 1.
  if (!(start > 0 && start <= 1)) throw OptionError("LinearLR: start_factor must be in (0, 1], got " + std::to_string(start));
  if (!(end >= 0 && end <= 1)) throw OptionError("LinearLR: end_factor must be in [0, 1], got " + std::to_string(end));
  if (total < 1) throw OptionError("LinearLR: total_iters must be >= 1, got " + std::to_string(total));
}

void validate_cosine(std::int64_t T_max, double eta_min) {
  if (T_max < 1) throw OptionError("CosineAnnealingLR: T_max must be >= 1, got " + std::to_string(T_max));
  if (!(std::isfinite(eta_min) && eta_min >= 0))
    throw OptionError("CosineAnnealingLR: eta_min must be finite and >= 0, got " + std::to_string(eta_min));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Base

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
  if (!optimizer.initial_learning_rate()) optimizer.set_initial_learning_rate(optimizer.learning_rate());
  base_lr_ = *optimizer.initial_learning_rate();
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  LRScheduler::step();
}

void LRScheduler::apply(double lr) {
  optimizer_->set_learning_rate(lr);  // throws OptionError if lr overflowed (gamma > 1 for too long)
  last_lr_ = lr;
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  apply(chained_lr());
}

void LRScheduler::step_to(std::int64_t epoch) {
  ++step_count_;
  last_epoch_ = epoch;
  apply(closed_form_lr());
}

SchedulerState LRScheduler::state() const {
  SchedulerState s;
  s.type = type();
  s.scalars = hyperparameters();
  s.scalars["last_epoch"] = static_cast<double>(last_epoch_);
  s.scalars["step_count"] = static_cast<double>(step_count_);
  s.scalars["base_lr"] = base_lr_;
  s.scalars["last_lr"] = last_lr_;
  s.children = child_states();
  return s;
}

void LRScheduler::check_children(const std::vector<SchedulerState>& children) const {
  if (!children.empty()) bad_state(std::string(type()) + " has no child schedulers, the state lists " + std::to_string(children.size()));
}

void LRScheduler::check_state(const SchedulerState& s) const {
  if (s.type != type()) bad_state("it was saved by " + (s.type.empty() ? std::string("an unnamed scheduler") : s.type) + ", this scheduler is " + type());
  get_int(s.scalars, "last_epoch", -1);
  get_int(s.scalars, "step_count", 0);
  if (get(s.scalars, "base_lr") < 0 || get(s.scalars, "last_lr") < 0) bad_state("'base_lr' and 'last_lr' must be >= 0");
  std::map<std::string, double> h = s.scalars;
  for (const char* k : {"last_epoch", "step_count", "base_lr", "last_lr"}) h.erase(k);
  check_hyperparameters(h);
  check_children(s.children);
}

void LRScheduler::commit_state(const SchedulerState& s) {
  std::map<std::string, double> h = s.scalars;
  last_epoch_ = static_cast<std::int64_t>(h.at("last_epoch"));
  step_count_ = static_cast<std::int64_t>(h.at("step_count"));
  base_lr_ = h.at("base_lr");
  last_lr_ = h.at("last_lr");
  for (const char* k : {"last_epoch", "step_count", "base_lr", "last_lr"}) h.erase(k);
  set_hyperparameters(h);
  set_children(s.children);
}

void LRScheduler::load_state(const SchedulerState& s) {
  check_state(s);
  commit_state(s);
}

// ---------------------------------------------------------------------------------------------
// StepLR (each constructor validates before the base one runs, so a rejected scheduler leaves the
// optimizer's initial_lr untouched)

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler((validate_step(step_size, gamma), optimizer)), step_size_(step_size), gamma_(gamma) {
  initial_step();
}

double StepLR::chained_lr() const {
  const double lr = optimizer_->learning_rate();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lr;
  return lr * gamma_;
}

double StepLR::closed_form_lr() const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_));
}

std::map<std::string, double> StepLR::hyperparameters() const {
  return {{"step_size", static_cast<double>(step_size_)}, {"gamma", gamma_}};
}

void StepLR::check_hyperparameters(const std::map<std::string, double>& h) const {
  only_keys(h, {"step_size", "gamma"}, "StepLR");
  const std::int64_t step_size = get_int(h, "step_size", 1);
  check_as_state([&] { validate_step(step_size, get(h, "gamma")); });
}

void StepLR::set_hyperparameters(const std::map<std::string, double>& h) {
  step_size_ = static_cast<std::int64_t>(h.at("step_size"));
  gamma_ = h.at("gamma");
}

// ---------------------------------------------------------------------------------------------
// LinearLR

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : LRScheduler((validate_linear(start_factor, end_factor, total_iters), optimizer)),
      start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  initial_step();
}

double LinearLR::chained_lr() const {
  const double lr = optimizer_->learning_rate();
  if (last_epoch_ == 0) return lr * start_factor_;
  if (last_epoch_ > total_iters_) return lr;
  const double span = end_factor_ - start_factor_;
  return lr * (1. + span / (static_cast<double>(total_iters_) * start_factor_ + static_cast<double>(last_epoch_ - 1) * span));
}

double LinearLR::closed_form_lr() const {
  const double span = end_factor_ - start_factor_;
  return base_lr_ * (start_factor_ + span * static_cast<double>(std::min(total_iters_, last_epoch_)) / static_cast<double>(total_iters_));
}

std::map<std::string, double> LinearLR::hyperparameters() const {
  return {{"start_factor", start_factor_}, {"end_factor", end_factor_}, {"total_iters", static_cast<double>(total_iters_)}};
}

void LinearLR::check_hyperparameters(const std::map<std::string, double>& h) const {
  only_keys(h, {"start_factor", "end_factor", "total_iters"}, "LinearLR");
  const std::int64_t total = get_int(h, "total_iters", 1);
  check_as_state([&] { validate_linear(get(h, "start_factor"), get(h, "end_factor"), total); });
}

void LinearLR::set_hyperparameters(const std::map<std::string, double>& h) {
  start_factor_ = h.at("start_factor");
  end_factor_ = h.at("end_factor");
  total_iters_ = static_cast<std::int64_t>(h.at("total_iters"));
}

// ---------------------------------------------------------------------------------------------
// CosineAnnealingLR

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler((validate_cosine(T_max, eta_min), optimizer)), T_max_(T_max), eta_min_(eta_min) {
  initial_step();
}

double CosineAnnealingLR::chained_lr() const {
  const double lr = optimizer_->learning_rate(), T = static_cast<double>(T_max_), e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lr;
  if (step_count_ == 1 && last_epoch_ > 0) return eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(e * kPi / T)) / 2;
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) return lr + (base_lr_ - eta_min_) * (1 - std::cos(kPi / T)) / 2;
  return (1 + std::cos(kPi * e / T)) / (1 + std::cos(kPi * (e - 1) / T)) * (lr - eta_min_) + eta_min_;
}

double CosineAnnealingLR::closed_form_lr() const {
  return eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(kPi * static_cast<double>(last_epoch_) / static_cast<double>(T_max_))) / 2;
}

std::map<std::string, double> CosineAnnealingLR::hyperparameters() const {
  return {{"T_max", static_cast<double>(T_max_)}, {"eta_min", eta_min_}};
}

void CosineAnnealingLR::check_hyperparameters(const std::map<std::string, double>& h) const {
  only_keys(h, {"T_max", "eta_min"}, "CosineAnnealingLR");
  const std::int64_t T_max = get_int(h, "T_max", 1);
  check_as_state([&] { validate_cosine(T_max, get(h, "eta_min")); });
}

void CosineAnnealingLR::set_hyperparameters(const std::map<std::string, double>& h) {
  T_max_ = static_cast<std::int64_t>(h.at("T_max"));
  eta_min_ = h.at("eta_min");
}

// ---------------------------------------------------------------------------------------------
// SequentialLR

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  if (schedulers_.empty()) throw OptionError("SequentialLR: needs at least one scheduler");
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    if (!schedulers_[i]) throw OptionError("SequentialLR: scheduler " + std::to_string(i) + " is null");
    if (schedulers_[i]->optimizer_ != &optimizer)
      throw OptionError("SequentialLR: scheduler " + std::to_string(i) + " drives another optimizer");
    if (dynamic_cast<SequentialLR*>(schedulers_[i].get()))
      throw OptionError("SequentialLR: scheduler " + std::to_string(i) + " is a SequentialLR; nesting them is not supported (nor in PyTorch)");
  }
  if (milestones_.size() + 1 != schedulers_.size())
    throw OptionError("SequentialLR: " + std::to_string(schedulers_.size()) + " schedulers need " +
                      std::to_string(schedulers_.size() - 1) + " milestones, got " + std::to_string(milestones_.size()));
  for (std::size_t i = 0; i < milestones_.size(); ++i)
    if (milestones_[i] < 1 || (i > 0 && milestones_[i] <= milestones_[i - 1]))
      throw OptionError("SequentialLR: milestones must be >= 1 and strictly increasing; milestone " + std::to_string(i) +
                        " is " + std::to_string(milestones_[i]));
  // As PyTorch: back to the initial lr, undo the children's construction steps, restart the first.
  last_epoch_ = 0;
  optimizer.set_learning_rate(*optimizer.initial_learning_rate());
  for (auto& s : schedulers_) s->last_epoch_ -= 1;
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->last_lr_;
}

std::size_t SequentialLR::active() const {
  return static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
}

void SequentialLR::step() {
  ++last_epoch_;
  const std::size_t i = active();
  LRScheduler& s = *schedulers_[i];
  if (i > 0 && milestones_[i - 1] == last_epoch_) s.step_to(0);
  else s.step();
  last_lr_ = s.last_lr_;
}

// Never reached: SequentialLR cannot be nested, so nothing calls these on it.
double SequentialLR::chained_lr() const { return last_lr_; }
double SequentialLR::closed_form_lr() const { return last_lr_; }

std::map<std::string, double> SequentialLR::hyperparameters() const {
  std::map<std::string, double> h;
  for (std::size_t i = 0; i < milestones_.size(); ++i) h["milestone." + std::to_string(i)] = static_cast<double>(milestones_[i]);
  return h;
}

void SequentialLR::check_hyperparameters(const std::map<std::string, double>& h) const {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < milestones_.size(); ++i) keys.push_back("milestone." + std::to_string(i));
  only_keys(h, keys, "SequentialLR (its number of schedulers is fixed at construction)");
  std::int64_t previous = 0;
  for (const auto& k : keys) {
    const std::int64_t m = get_int(h, k, 1);
    if (m <= previous) bad_state("SequentialLR milestones must be strictly increasing ('" + k + "')");
    previous = m;
  }
}

void SequentialLR::set_hyperparameters(const std::map<std::string, double>& h) {
  for (std::size_t i = 0; i < milestones_.size(); ++i) milestones_[i] = static_cast<std::int64_t>(h.at("milestone." + std::to_string(i)));
}

std::vector<SchedulerState> SequentialLR::child_states() const {
  std::vector<SchedulerState> v;
  for (const auto& s : schedulers_) v.push_back(s->state());
  return v;
}

void SequentialLR::check_children(const std::vector<SchedulerState>& children) const {
  if (children.size() != schedulers_.size())
    bad_state("SequentialLR has " + std::to_string(schedulers_.size()) + " schedulers, the state lists " + std::to_string(children.size()));
  for (std::size_t i = 0; i < children.size(); ++i) {
    try {
      schedulers_[i]->check_state(children[i]);
    } catch (const StateDictError& e) {
      std::string why = e.what();
      if (why.rfind("scheduler state: ", 0) == 0) why.erase(0, 17);
      bad_state("SequentialLR scheduler " + std::to_string(i) + ": " + why);
    }
  }
}

void SequentialLR::set_children(const std::vector<SchedulerState>& children) {
  for (std::size_t i = 0; i < children.size(); ++i) schedulers_[i]->commit_state(children[i]);
}

std::unique_ptr<SequentialLR> warmup_cosine(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor,
                                            std::int64_t T_max, double eta_min) {
  auto warmup = std::make_shared<LinearLR>(optimizer, start_factor, 1.0, warmup_steps);
  auto cosine = std::make_shared<CosineAnnealingLR>(optimizer, T_max, eta_min);
  return std::make_unique<SequentialLR>(optimizer, std::vector<std::shared_ptr<LRScheduler>>{warmup, cosine},
                                        std::vector<std::int64_t>{warmup_steps});
}

}  // namespace birnn
