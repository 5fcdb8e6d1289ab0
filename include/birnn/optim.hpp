// Optimizers with PyTorch 1.13's update rules (torch.optim.SGD, Adam, AdamW), gradient clipping
// (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), and state export for checkpoints.
//
//   Adam opt(model.parameters(), AdamOptions(1e-3).betas(0.9, 0.98).weight_decay(1e-5));
//   loss.backward();
//   clip_grad_norm(model.parameters(), 5.0);
//   opt.step();         // updates every parameter that has a gradient (others are skipped, as in PyTorch)
//   opt.zero_grad();
//
// Update rules (g = gradient, w = parameter, t = the parameter's own step count, from 1):
//   SGD:   g += wd*w;  with momentum: b = g (first step) or momentum*b + (1-dampening)*g;
//          g = nesterov ? g + momentum*b : b;  w -= lr*g
//   Adam:  g += wd*w (L2);  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  (amsgrad: v_max = max(v_max, v))
//          w -= lr/(1-b1^t) * m / (sqrt(v or v_max)/sqrt(1-b2^t) + eps)
//   AdamW: w *= 1 - lr*wd (decoupled), then Adam's update without the L2 term.
// maximize(true) negates g first. Buffers are kept in the parameter's dtype, as PyTorch does.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn {

/// An optimizer's state for checkpoints, named as in PyTorch's optimizer.state_dict(): per-parameter
/// buffers "state.<i>.<buffer>" (i = position in the parameter list; "momentum_buffer", "exp_avg",
/// "exp_avg_sq", "max_exp_avg_sq") and scalars: the hyperparameters ("lr", "momentum", "beta1", ...,
/// booleans as 0/1), "param_count", "initial_lr" once a schedule has run, and "state.<i>.step" (Adam).
struct OptimizerState {
  std::string type;                       ///< "SGD", "Adam" or "AdamW"
  std::map<std::string, Tensor> tensors;  ///< deep copies
  std::map<std::string, double> scalars;
};

/// Base of the optimizers: one parameter group (PyTorch's param_groups[0]).
class Optimizer {
 public:
  /// params: float32/float64 leaf tensors, at least one, each at most once (else OptionError).
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient. A gradient whose shape or dtype differs from
  /// its parameter's throws ShapeError (nothing is updated).
  virtual void step() = 0;
  /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  const std::vector<Tensor>& parameters() const { return params_; }
  /// "SGD", "Adam" or "AdamW".
  virtual const char* type() const = 0;

  double learning_rate() const { return lr_; }
  /// What schedules call: any finite lr >= 0 (construction requires lr > 0). OptionError otherwise.
  void set_learning_rate(double lr);
  /// The lr before any schedule changed it (PyTorch's param_group["initial_lr"]); the first
  /// scheduler attached to this optimizer records it.
  std::optional<double> initial_learning_rate() const { return initial_lr_; }
  void set_initial_learning_rate(double lr);

  /// Deep copy of the state, for checkpoints.
  OptimizerState state() const;
  /// Restores what state() returned, hyperparameters included (as PyTorch's load_state_dict does).
  /// Checks the type, parameter count, names, shapes and values first and throws StateDictError
  /// naming the entry at fault, leaving the optimizer unchanged. Buffers are converted to each
  /// parameter's dtype.
  void load_state(const OptimizerState& state);

 protected:
  /// Hyperparameters other than lr, for state() (booleans as 0/1).
  virtual std::map<std::string, double> hyperparameters() const = 0;
  /// Validates and applies hyperparameters read back by load_state(); `lr` is the saved lr. Must not
  /// change anything if it throws.
  virtual void set_hyperparameters(const std::map<std::string, double>& h, double lr) = 0;
  /// The buffers a parameter may have, and which of them must all be present once any is.
  virtual std::vector<std::string> buffer_names() const = 0;
  virtual std::vector<std::string> required_buffers() const = 0;
  /// Whether each parameter has its own step count (Adam's state["step"]).
  virtual bool has_step_count() const { return false; }
  /// Checks every gradient before an update touches anything; returns which parameters have one.
  std::vector<bool> check_gradients() const;
  /// The buffer `name` of parameter i, created as zeros on first use.
  Tensor& buffer(std::size_t i, const std::string& name);
  bool has_buffer(std::size_t i, const std::string& name) const;

  std::vector<Tensor> params_;
  std::vector<std::map<std::string, Tensor>> buffers_;  // per parameter
  std::vector<std::int64_t> steps_;                     // per parameter (Adam's state["step"])
  double lr_ = 1e-3;
  std::optional<double> initial_lr_;
};

// ---------------------------------------------------------------------------------------------
// SGD

class SGDOptions {
 public:
  explicit SGDOptions(double lr) : lr_(lr) {}
  /// Learning rate (> 0).
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  /// Momentum factor (>= 0; 0 is plain SGD).
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  /// Dampening of the momentum update after the first step: b = momentum*b + (1-dampening)*g.
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  /// Nesterov momentum (needs momentum > 0 and dampening 0).
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  /// L2 penalty added to the gradient: g + weight_decay*w (>= 0).
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// Maximize the objective instead of minimizing it.
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }

  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  bool nesterov() const { return nesterov_; }
  double weight_decay() const { return weight_decay_; }
  bool maximize() const { return maximize_; }
  /// Throws OptionError naming the option (PyTorch's checks, plus finiteness).
  void validate() const;

 private:
  double lr_, momentum_ = 0, dampening_ = 0, weight_decay_ = 0;
  bool nesterov_ = false, maximize_ = false;
};

/// torch.optim.SGD.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<Tensor> params, double lr) : SGD(std::move(params), SGDOptions(lr)) {}
  void step() override;
  const char* type() const override { return "SGD"; }
  /// The options, with the current learning rate.
  SGDOptions options() const { return SGDOptions(options_).lr(lr_); }

 protected:
  std::map<std::string, double> hyperparameters() const override;
  void set_hyperparameters(const std::map<std::string, double>& h, double lr) override;
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }
  std::vector<std::string> required_buffers() const override { return {}; }

 private:
  SGDOptions options_;
};

// ---------------------------------------------------------------------------------------------
// Adam and AdamW

/// Options shared by Adam and AdamW (they differ only in how weight decay is applied and its default).
template <class Derived>
class AdamOptionsBase {
 public:
  /// Learning rate (> 0).
  Derived& lr(double v) { lr_ = v; return self(); }
  /// Decay rates of the first and second moment averages, each in [0, 1).
  Derived& betas(double beta1, double beta2) { beta1_ = beta1, beta2_ = beta2; return self(); }
  /// Added to the denominator for numerical stability (>= 0).
  Derived& eps(double v) { eps_ = v; return self(); }
  /// Weight decay (>= 0): an L2 term in the gradient for Adam, decoupled (w *= 1 - lr*wd) for AdamW.
  Derived& weight_decay(double v) { weight_decay_ = v; return self(); }
  /// Use the maximum of past second moments (AMSGrad).
  Derived& amsgrad(bool v) { amsgrad_ = v; return self(); }
  /// Maximize the objective instead of minimizing it.
  Derived& maximize(bool v) { maximize_ = v; return self(); }

  double lr() const { return lr_; }
  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }
  /// Throws OptionError naming the option (PyTorch's checks, plus finiteness).
  void validate(const char* who) const;

 protected:
  AdamOptionsBase(double lr, double weight_decay) : lr_(lr), weight_decay_(weight_decay) {}

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  double lr_, beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8, weight_decay_;
  bool amsgrad_ = false, maximize_ = false;
};

class AdamOptions : public AdamOptionsBase<AdamOptions> {
 public:
  explicit AdamOptions(double lr = 1e-3) : AdamOptionsBase(lr, 0.0) {}
};

/// As AdamOptions, but weight_decay defaults to 0.01 (torch.optim.AdamW's default).
class AdamWOptions : public AdamOptionsBase<AdamWOptions> {
 public:
  explicit AdamWOptions(double lr = 1e-3) : AdamOptionsBase(lr, 0.01) {}
};

extern template class AdamOptionsBase<AdamOptions>;  // validate() is defined in adam.cpp
extern template class AdamOptionsBase<AdamWOptions>;

/// The update shared by Adam and AdamW; construct one of those.
class AdamFamily : public Optimizer {
 public:
  void step() override;

 protected:
  struct Settings {
    double beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize, decoupled;
  };
  AdamFamily(std::vector<Tensor> params, double lr, const Settings& s);
  std::map<std::string, double> hyperparameters() const override;
  void set_hyperparameters(const std::map<std::string, double>& h, double lr) override;
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
  std::vector<std::string> required_buffers() const override { return {"exp_avg", "exp_avg_sq"}; }
  bool has_step_count() const override { return true; }
  Settings settings_;
};

/// torch.optim.Adam (weight decay as an L2 term in the gradient).
class Adam : public AdamFamily {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options);
  explicit Adam(std::vector<Tensor> params, double lr = 1e-3) : Adam(std::move(params), AdamOptions(lr)) {}
  const char* type() const override { return "Adam"; }
  /// The options, with the current learning rate.
  AdamOptions options() const;
};

/// torch.optim.AdamW (decoupled weight decay, default 0.01).
class AdamW : public AdamFamily {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options);
  explicit AdamW(std::vector<Tensor> params, double lr = 1e-3) : AdamW(std::move(params), AdamWOptions(lr)) {}
  const char* type() const override { return "AdamW"; }
  /// The options, with the current learning rate.
  AdamWOptions options() const;
};

// ---------------------------------------------------------------------------------------------
// Gradient clipping (parameters without a gradient are skipped)

/// torch.nn.utils.clip_grad_norm_: the norm of all gradients taken as one vector, of order norm_type
/// (any p > 0, or INFINITY for the largest |g|). Every gradient is multiplied by
/// min(1, max_norm / (norm + 1e-6)). Returns the norm before clipping (0 if no parameter has a
/// gradient). max_norm must be > 0. A non-finite norm throws Error if error_if_nonfinite, else the
/// gradients are scaled by it anyway, as PyTorch does.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false);
/// torch.nn.utils.clip_grad_value_: clamps every gradient element into [-clip_value, clip_value]
/// (clip_value >= 0).
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace birnn
