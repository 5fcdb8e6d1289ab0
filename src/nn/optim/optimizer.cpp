// Optimizer base: parameter checks, per-parameter buffers, and state export / import for checkpoints.
#include <algorithm>
#include <cmath>

#include "birnn/optim.hpp"
#include "nn/optim/optim_internal.hpp"

namespace birnn {

namespace {

std::string list(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "'" : ", '") + x + "'";
  return s;
}

// "state.<i>.<name>" -> (i, name); nullopt for anything else.
std::optional<std::pair<std::size_t, std::string>> parse_state_key(const std::string& key) {
  const std::string prefix = "state.";
  if (key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::size_t dot = key.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size() || dot - prefix.size() > 9) return std::nullopt;
  std::size_t i = 0;
  for (std::size_t k = prefix.size(); k < dot; ++k) {
    if (key[k] < '0' || key[k] > '9') return std::nullopt;
    i = i * 10 + static_cast<std::size_t>(key[k] - '0');
  }
  return std::make_pair(i, key.substr(dot + 1));
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
  if (params_.empty()) throw OptionError("optimizer: the parameter list is empty");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined()) throw OptionError("optimizer: parameter " + std::to_string(i) + " is an undefined tensor");
    if (p.dtype() == DType::i64)
      throw OptionError("optimizer: parameter " + std::to_string(i) + " is int64; only float32/float64 tensors can be optimized");
    if (p.grad_fn()) throw OptionError("optimizer: parameter " + std::to_string(i) + " is the output of an op, not a leaf tensor");
    for (std::size_t j = 0; j < i; ++j)
      if (params_[j].impl() == p.impl())
        throw OptionError("optimizer: parameter " + std::to_string(i) + " is the same tensor as parameter " + std::to_string(j));
  }
  buffers_.resize(params_.size());
  steps_.assign(params_.size(), 0);
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

void Optimizer::set_learning_rate(double lr) {
  if (!(std::isfinite(lr) && lr >= 0)) throw OptionError(std::string(type()) + ": learning rate must be finite and >= 0, got " + std::to_string(lr));
  lr_ = lr;
}

void Optimizer::set_initial_learning_rate(double lr) {
  if (!(std::isfinite(lr) && lr >= 0)) throw OptionError(std::string(type()) + ": initial learning rate must be finite and >= 0, got " + std::to_string(lr));
  initial_lr_ = lr;
}

std::vector<bool> Optimizer::check_gradients() const {
  std::vector<bool> has(params_.size(), false);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    if (g.shape() != params_[i].shape() || g.dtype() != params_[i].dtype())
      throw ShapeError(std::string(type()) + ": the gradient of parameter " + std::to_string(i) + " is " + dtype_name(g.dtype()) +
                       " " + shape_str(g.shape()) + ", but the parameter is " + dtype_name(params_[i].dtype()) + " " +
                       shape_str(params_[i].shape()));
    has[i] = true;
  }
  return has;
}

Tensor& Optimizer::buffer(std::size_t i, const std::string& name) {
  Tensor& b = buffers_[i][name];
  if (!b.defined()) b = Tensor::zeros(params_[i].shape(), params_[i].dtype());
  return b;
}

bool Optimizer::has_buffer(std::size_t i, const std::string& name) const { return buffers_[i].count(name) != 0; }

OptimizerState Optimizer::state() const {
  OptimizerState s;
  s.type = type();
  s.scalars = hyperparameters();
  s.scalars["lr"] = lr_;
  s.scalars["param_count"] = static_cast<double>(params_.size());
  if (initial_lr_) s.scalars["initial_lr"] = *initial_lr_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (buffers_[i].empty()) continue;
    const std::string prefix = "state." + std::to_string(i) + ".";
    for (const auto& [name, t] : buffers_[i]) s.tensors[prefix + name] = t.clone();
    if (has_step_count()) s.scalars[prefix + "step"] = static_cast<double>(steps_[i]);
  }
  return s;
}

void Optimizer::load_state(const OptimizerState& s) {
  const std::string who = std::string("optimizer state: ");
  if (s.type != type()) throw StateDictError(who + "it was saved by " + (s.type.empty() ? "an unnamed optimizer" : s.type) + ", this optimizer is " + type());
  auto scalar = [&](const std::string& k) -> double {
    auto it = s.scalars.find(k);
    if (it == s.scalars.end()) throw StateDictError(who + "missing scalar '" + k + "'");
    return it->second;
  };
  const double count = scalar("param_count");
  if (count != static_cast<double>(params_.size()))
    throw StateDictError(who + "it is for " + std::to_string(count) + " parameters, this optimizer has " + std::to_string(params_.size()));
  const double lr = scalar("lr");
  if (!(std::isfinite(lr) && lr >= 0)) throw StateDictError(who + "'lr' must be finite and >= 0, got " + std::to_string(lr));
  std::optional<double> initial;
  if (s.scalars.count("initial_lr")) {
    initial = scalar("initial_lr");
    if (!(std::isfinite(*initial) && *initial >= 0)) throw StateDictError(who + "'initial_lr' must be finite and >= 0");
  }

  // Buffers: known names, existing parameters, matching shapes; all required ones once any is given.
  const auto names = buffer_names(), required = required_buffers();
  std::vector<std::map<std::string, Tensor>> buffers(params_.size());
  for (const auto& [key, t] : s.tensors) {
    const auto parsed = parse_state_key(key);
    if (!parsed || std::find(names.begin(), names.end(), parsed->second) == names.end())
      throw StateDictError(who + "unexpected tensor '" + key + "' (" + type() + " keeps " + list(names) + " as state.<i>.<name>)");
    const auto [i, name] = *parsed;
    if (i >= params_.size())
      throw StateDictError(who + "tensor '" + key + "' is for parameter " + std::to_string(i) + ", this optimizer has " + std::to_string(params_.size()));
    if (!t.defined() || t.dtype() == DType::i64 || t.shape() != params_[i].shape())
      throw StateDictError(who + "tensor '" + key + "' is " + (t.defined() ? std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()) : "undefined") +
                           ", parameter " + std::to_string(i) + " is " + dtype_name(params_[i].dtype()) + " " + shape_str(params_[i].shape()));
    buffers[i][name] = t;
  }
  std::vector<std::int64_t> steps(params_.size(), 0);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = "state." + std::to_string(i) + ".";
    if (!buffers[i].empty())
      for (const auto& r : required)
        if (!buffers[i].count(r)) throw StateDictError(who + "missing tensor '" + prefix + r + "'");
    if (!has_step_count()) continue;
    const bool has_step = s.scalars.count(prefix + "step") != 0;
    if (has_step != !buffers[i].empty())
      throw StateDictError(who + (has_step ? "scalar '" + prefix + "step' has no buffers" : "missing scalar '" + prefix + "step'"));
    if (!has_step) continue;
    const double st = scalar(prefix + "step");
    if (!(st >= 0 && st <= 9007199254740992.0 && st == std::floor(st)))
      throw StateDictError(who + "'" + prefix + "step' must be a whole number >= 0, got " + std::to_string(st));
    steps[i] = static_cast<std::int64_t>(st);
  }

  // Whatever is left are the hyperparameters; the subclass checks them and, last, applies them.
  std::map<std::string, double> hyper;
  for (const auto& [k, v] : s.scalars) {
    if (k == "lr" || k == "param_count" || k == "initial_lr") continue;
    if (const auto parsed = parse_state_key(k); parsed && parsed->second == "step" && has_step_count()) {
      if (parsed->first >= params_.size()) throw StateDictError(who + "scalar '" + k + "' is for a parameter this optimizer does not have");
      continue;
    }
    hyper[k] = v;
  }
  set_hyperparameters(hyper, lr);

  // Nothing below throws.
  lr_ = lr;
  initial_lr_ = initial;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    buffers_[i].clear();
    for (const auto& [name, t] : buffers[i]) buffers_[i][name] = t.dtype() == params_[i].dtype() ? t.clone() : t.to(params_[i].dtype());
  }
  steps_ = steps;
}

// Shared by the subclasses' set_hyperparameters: exactly `keys`, all finite.
void check_hyperparameter_keys(const char* who, const std::map<std::string, double>& h, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    auto it = h.find(k);
    if (it == h.end()) throw StateDictError(std::string("optimizer state: missing scalar '") + k + "' for " + who);
    if (!std::isfinite(it->second)) throw StateDictError(std::string("optimizer state: scalar '") + k + "' is not finite");
  }
  for (const auto& [k, v] : h)
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      throw StateDictError(std::string("optimizer state: unexpected scalar '") + k + "' for " + who);
}

bool state_flag(const std::map<std::string, double>& h, const std::string& key) {
  const double v = h.at(key);
  if (v != 0 && v != 1) throw StateDictError("optimizer state: scalar '" + key + "' must be 0 or 1, got " + std::to_string(v));
  return v == 1;
}

}  // namespace birnn
