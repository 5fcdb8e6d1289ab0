// torch.optim.SGD (PyTorch 1.13, _single_tensor_sgd), computed in double per element and stored in
// the parameter's dtype.
#include <cmath>

#include "birnn/optim.hpp"
#include "core/dispatch.hpp"
#include "nn/optim/optim_internal.hpp"

namespace birnn {

void SGDOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw OptionError("SGD: " + what);
  };
  need(std::isfinite(lr_) && lr_ > 0, "lr must be > 0, got " + std::to_string(lr_));
  need(std::isfinite(momentum_) && momentum_ >= 0, "momentum must be >= 0, got " + std::to_string(momentum_));
  need(std::isfinite(dampening_), "dampening must be finite");
  need(std::isfinite(weight_decay_) && weight_decay_ >= 0, "weight_decay must be >= 0, got " + std::to_string(weight_decay_));
  need(!nesterov_ || (momentum_ > 0 && dampening_ == 0), "nesterov momentum needs momentum > 0 and dampening 0");
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options) : Optimizer(std::move(params)), options_(options) {
  options_.validate();
  lr_ = options_.lr();
}

void SGD::step() {
  const std::vector<bool> has_grad = check_gradients();
  const double lr = lr_, mu = options_.momentum(), damp = options_.dampening(), wd = options_.weight_decay();
  const bool nesterov = options_.nesterov(), maximize = options_.maximize();
  for (std::size_t k = 0; k < params_.size(); ++k) {
    if (!has_grad[k]) continue;
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    const bool first = !has_buffer(k, "momentum_buffer");
    Tensor buf = mu != 0 ? buffer(k, "momentum_buffer") : Tensor();
    dispatch_floating(p.dtype(), "SGD", [&](auto tag) {
      using T = decltype(tag);
      T* w = p.data<T>();
      const T* gr = g.data<T>();
      T* b = buf.defined() ? buf.data<T>() : nullptr;
      const std::int64_t n = p.numel();
      for (std::int64_t i = 0; i < n; ++i) {
        double d = maximize ? -static_cast<double>(gr[i]) : static_cast<double>(gr[i]);
        if (wd != 0) d = d + wd * static_cast<double>(w[i]);
        if (b) {
          b[i] = static_cast<T>(first ? d : mu * static_cast<double>(b[i]) + (1 - damp) * d);
          d = nesterov ? d + mu * static_cast<double>(b[i]) : static_cast<double>(b[i]);
        }
        w[i] = static_cast<T>(static_cast<double>(w[i]) - lr * d);
      }
    });
    p.bump_version();
  }
}

std::map<std::string, double> SGD::hyperparameters() const {
  return {{"momentum", options_.momentum()},         {"dampening", options_.dampening()},
          {"nesterov", options_.nesterov() ? 1 : 0}, {"weight_decay", options_.weight_decay()},
          {"maximize", options_.maximize() ? 1 : 0}};
}

void SGD::set_hyperparameters(const std::map<std::string, double>& h, double lr) {
  check_hyperparameter_keys("SGD", h, {"momentum", "dampening", "nesterov", "weight_decay", "maximize"});
  SGDOptions o(lr > 0 ? lr : 1.0);  // a schedule may have driven lr to 0; validate() wants > 0
  o.momentum(h.at("momentum")).dampening(h.at("dampening")).nesterov(state_flag(h, "nesterov"))
      .weight_decay(h.at("weight_decay")).maximize(state_flag(h, "maximize"));
  try {
    o.validate();
  } catch (const OptionError& e) {
    throw StateDictError(std::string("optimizer state: ") + e.what());
  }
  options_ = o.lr(lr);
}

}  // namespace birnn
