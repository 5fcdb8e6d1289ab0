#include "birnn/optim.hpp"

#include <cmath>

#include "core/dispatch.hpp"

namespace birnn {

namespace {
// Applies f(i, param_value&, grad_value) over a parameter in its own dtype.
template <class F>
void for_each_element(Tensor& p, F&& f) {
  Tensor g = p.grad();
  dispatch_floating(p.dtype(), "optimizer", [&](auto tag) {
    using T = decltype(tag);
    T* w = p.data<T>();
    const T* gr = g.data<T>();
    for (std::int64_t i = 0; i < p.numel(); ++i) {
      double v = w[i];
      f(i, v, static_cast<double>(gr[i]));
      w[i] = static_cast<T>(v);
    }
  });
}
}  // namespace

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, bool nesterov, double weight_decay)
    : Optimizer(std::move(params)), momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {
  if (!(lr > 0)) throw OptionError("SGD: lr must be > 0");
  if (momentum < 0) throw OptionError("SGD: momentum must be >= 0");
  if (nesterov && momentum <= 0) throw OptionError("SGD: nesterov needs momentum > 0");
  lr_ = lr;
  buf_.resize(params_.size());
}

void SGD::step() {
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    if (!p.grad().defined()) continue;
    auto& b = buf_[k];
    const bool first = b.empty();
    if (momentum_ > 0 && first) b.assign(static_cast<std::size_t>(p.numel()), 0.0);
    for_each_element(p, [&](std::int64_t i, double& w, double g) {
      g += weight_decay_ * w;
      if (momentum_ > 0) {
        b[i] = first ? g : momentum_ * b[i] + g;
        g = nesterov_ ? g + momentum_ * b[i] : b[i];
      }
      w -= lr_ * g;
    });
  }
}

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled)
    : Optimizer(std::move(params)), b1_(beta1), b2_(beta2), eps_(eps), wd_(weight_decay), decoupled_(decoupled) {
  if (!(lr > 0)) throw OptionError("Adam: lr must be > 0");
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw OptionError("Adam: betas must be in [0, 1)");
  lr_ = lr;
  m_.resize(params_.size());
  v_.resize(params_.size());
}

void Adam::step() {
  ++t_;
  const double bc1 = 1 - std::pow(b1_, static_cast<double>(t_)), bc2 = 1 - std::pow(b2_, static_cast<double>(t_));
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    if (!p.grad().defined()) continue;
    auto& m = m_[k];
    auto& v = v_[k];
    if (m.empty()) m.assign(static_cast<std::size_t>(p.numel()), 0.0), v.assign(static_cast<std::size_t>(p.numel()), 0.0);
    for_each_element(p, [&](std::int64_t i, double& w, double g) {
      if (decoupled_) w *= 1 - lr_ * wd_;
      else g += wd_ * w;
      m[i] = b1_ * m[i] + (1 - b1_) * g;
      v[i] = b2_ * v[i] + (1 - b2_) * g * g;
      w -= lr_ * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps_);
    });
  }
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  double sq = 0;
  for (const auto& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    for (std::int64_t i = 0; i < g.numel(); ++i) sq += g.item(i) * g.item(i);
  }
  const double norm = std::sqrt(sq);
  if (norm > max_norm && norm > 0) {
    const double s = max_norm / (norm + 1e-6);
    for (const auto& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        T* d = g.data<T>();
        for (std::int64_t i = 0; i < g.numel(); ++i) d[i] = static_cast<T>(d[i] * s);
      });
    }
  }
  return norm;
}

}  // namespace birnn
