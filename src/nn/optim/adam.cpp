// torch.optim.Adam and AdamW (PyTorch 1.13, _single_tensor_adam / _single_tensor_adamw), computed in
// double per element with the buffers stored in the parameter's dtype.
#include <cmath>
#include <type_traits>

#include "birnn/optim.hpp"
#include "core/dispatch.hpp"
#include "kernels/optim_kernels.hpp"
#include "kernels/ref/optim_ref.hpp"
#include "nn/optim/optim_internal.hpp"

namespace birnn {

template <class Derived>
void AdamOptionsBase<Derived>::validate(const char* who) const {
  auto need = [who](bool ok, const std::string& what) {
    if (!ok) throw OptionError(std::string(who) + ": " + what);
  };
  need(std::isfinite(lr_) && lr_ > 0, "lr must be > 0, got " + std::to_string(lr_));
  need(std::isfinite(eps_) && eps_ >= 0, "eps must be >= 0, got " + std::to_string(eps_));
  need(beta1_ >= 0 && beta1_ < 1, "beta1 must be in [0, 1), got " + std::to_string(beta1_));
  need(beta2_ >= 0 && beta2_ < 1, "beta2 must be in [0, 1), got " + std::to_string(beta2_));
  need(std::isfinite(weight_decay_) && weight_decay_ >= 0, "weight_decay must be >= 0, got " + std::to_string(weight_decay_));
}

template class AdamOptionsBase<AdamOptions>;
template class AdamOptionsBase<AdamWOptions>;

namespace {
template <class O>
O with_settings(O o, double lr, double beta1, double beta2, double eps, double wd, bool amsgrad, bool maximize) {
  o.lr(lr).betas(beta1, beta2).eps(eps).weight_decay(wd).amsgrad(amsgrad).maximize(maximize);
  return o;
}
}  // namespace

AdamFamily::AdamFamily(std::vector<Tensor> params, double lr, const Settings& s) : Optimizer(std::move(params)), settings_(s) {
  lr_ = lr;
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& o)
    : AdamFamily(std::move(params), o.lr(), {o.beta1(), o.beta2(), o.eps(), o.weight_decay(), o.amsgrad(), o.maximize(), false}) {
  o.validate("Adam");
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o)
    : AdamFamily(std::move(params), o.lr(), {o.beta1(), o.beta2(), o.eps(), o.weight_decay(), o.amsgrad(), o.maximize(), true}) {
  o.validate("AdamW");
}

AdamOptions Adam::options() const {
  const Settings& s = settings_;
  return with_settings(AdamOptions(), lr_, s.beta1, s.beta2, s.eps, s.weight_decay, s.amsgrad, s.maximize);
}

AdamWOptions AdamW::options() const {
  const Settings& s = settings_;
  return with_settings(AdamWOptions(), lr_, s.beta1, s.beta2, s.eps, s.weight_decay, s.amsgrad, s.maximize);
}

void AdamFamily::step() {
  const std::vector<bool> has_grad = check_gradients();
  const Settings s = settings_;
  const double lr = lr_;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    if (!has_grad[k]) continue;
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    Tensor m_t = buffer(k, "exp_avg"), v_t = buffer(k, "exp_avg_sq");
    Tensor vmax_t = s.amsgrad ? buffer(k, "max_exp_avg_sq") : Tensor();
    const double step = static_cast<double>(++steps_[k]);
    kernels::AdamStep a;
    a.beta1 = s.beta1, a.beta2 = s.beta2, a.eps = s.eps, a.weight_decay = s.weight_decay;
    a.step_size = lr / (1 - std::pow(s.beta1, step)), a.bc2_sqrt = std::sqrt(1 - std::pow(s.beta2, step));
    a.decay = 1 - lr * s.weight_decay;  // AdamW only
    a.decoupled = s.decoupled, a.maximize = s.maximize;
    dispatch_floating(p.dtype(), s.decoupled ? "AdamW" : "Adam", [&](auto tag) {
      using T = decltype(tag);
      T* vmax = s.amsgrad ? vmax_t.data<T>() : nullptr;
      if constexpr (std::is_same_v<T, float>)  // the SIMD kernel: same operations, same result
        kernels::adam_step(a, p.numel(), p.data<T>(), g.data<T>(), m_t.data<T>(), v_t.data<T>(), vmax);
      else
        kernels::ref::adam_step<T>(a, p.numel(), p.data<T>(), g.data<T>(), m_t.data<T>(), v_t.data<T>(), vmax);
    });
    p.bump_version();
  }
}

std::map<std::string, double> AdamFamily::hyperparameters() const {
  const Settings& s = settings_;
  return {{"beta1", s.beta1}, {"beta2", s.beta2},           {"eps", s.eps},
          {"weight_decay", s.weight_decay}, {"amsgrad", s.amsgrad ? 1 : 0}, {"maximize", s.maximize ? 1 : 0}};
}

void AdamFamily::set_hyperparameters(const std::map<std::string, double>& h, double lr) {
  const char* who = type();
  check_hyperparameter_keys(who, h, {"beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"});
  const Settings s{h.at("beta1"), h.at("beta2"), h.at("eps"), h.at("weight_decay"), state_flag(h, "amsgrad"),
                   state_flag(h, "maximize"), settings_.decoupled};
  try {  // a schedule may have driven lr to 0; validate() wants > 0
    with_settings(AdamOptions(), lr > 0 ? lr : 1.0, s.beta1, s.beta2, s.eps, s.weight_decay, s.amsgrad, s.maximize).validate(who);
  } catch (const OptionError& e) {
    throw StateDictError(std::string("optimizer state: ") + e.what());
  }
  settings_ = s;
}

}  // namespace birnn
