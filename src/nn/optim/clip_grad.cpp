// torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (PyTorch 1.13), accumulated in double.
#include <cmath>
#include <limits>

#include "birnn/optim.hpp"
#include "core/dispatch.hpp"
#include "kernels/optim_kernels.hpp"

namespace birnn {

namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& params, const char* who) {
  std::vector<Tensor> grads;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined()) throw OptionError(std::string(who) + ": parameter " + std::to_string(i) + " is an undefined tensor");
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    if (g.dtype() == DType::i64) throw ShapeError(std::string(who) + ": the gradient of parameter " + std::to_string(i) + " is int64");
    grads.push_back(g);
  }
  return grads;
}

template <class F>
void for_each_value(const Tensor& g, F&& f) {
  dispatch_floating(g.dtype(), "clip_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* d = g.data<T>();
    const std::int64_t n = g.numel();
    for (std::int64_t i = 0; i < n; ++i) f(static_cast<double>(d[i]));
  });
}

template <class F>
void transform_values(Tensor& g, F&& f) {
  dispatch_floating(g.dtype(), "clip_grad", [&](auto tag) {
    using T = decltype(tag);
    T* d = g.data<T>();
    const std::int64_t n = g.numel();
    for (std::int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(f(static_cast<double>(d[i])));
  });
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm > 0)) throw OptionError("clip_grad_norm: max_norm must be > 0, got " + std::to_string(max_norm));
  if (!(norm_type > 0)) throw OptionError("clip_grad_norm: norm_type must be > 0 or INFINITY, got " + std::to_string(norm_type));
  std::vector<Tensor> grads = defined_grads(params, "clip_grad_norm");
  if (grads.empty()) return 0.0;

  double total = 0;
  const bool inf = std::isinf(norm_type);
  for (const Tensor& g : grads) {
    if (norm_type == 2 && g.dtype() == DType::f32) {  // the common case, vectorized (summation order differs)
      total += kernels::sum_of_squares(g.data<float>(), g.numel());
      continue;
    }
    for_each_value(g, [&](double v) {
      const double a = std::abs(v);
      if (inf) total = std::isnan(a) || std::isnan(total) ? std::numeric_limits<double>::quiet_NaN() : std::max(total, a);
      else total += norm_type == 2 ? a * a : norm_type == 1 ? a : std::pow(a, norm_type);
    });
  }
  if (!inf) total = norm_type == 2 ? std::sqrt(total) : norm_type == 1 ? total : std::pow(total, 1 / norm_type);

  if (error_if_nonfinite && !std::isfinite(total))
    throw Error("clip_grad_norm: the total norm of order " + std::to_string(norm_type) + " of the gradients is non-finite (" +
                std::to_string(total) + "), so it cannot be clipped (error_if_nonfinite is set)");
  const double coef = max_norm / (total + 1e-6);
  const double clamped = std::isnan(coef) ? coef : std::min(coef, 1.0);  // torch.clamp(max=1) keeps NaN
  if (clamped != 1.0)
    for (Tensor& g : grads) transform_values(g, [&](double v) { return v * clamped; });
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0)) throw OptionError("clip_grad_value: clip_value must be >= 0, got " + std::to_string(clip_value));
  std::vector<Tensor> grads = defined_grads(params, "clip_grad_value");
  for (Tensor& g : grads)
    transform_values(g, [&](double v) { return v < -clip_value ? -clip_value : v > clip_value ? clip_value : v; });
}

}  // namespace birnn
