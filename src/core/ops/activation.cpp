// gelu (exact erf form and the tanh approximation), softmax and log_softmax along one dimension.
#include <algorithm>
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"
#include "core/ops/dims.hpp"

namespace birnn {

namespace {

constexpr double kSqrt2OverPi = 0.79788456080286535588;   // sqrt(2 / pi)
constexpr double kInvSqrt2 = 0.70710678118654752440;       // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;     // 1 / sqrt(2 pi)
constexpr double kGeluCubic = 0.044715;

// Returns gelu(x) and, through dy, its derivative.
template <class T>
T gelu_and_grad(T x, bool tanh_form, T* dy) {
  if (!tanh_form) {
    const T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
    if (dy) *dy = cdf + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    return x * cdf;
  }
  const T u = T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x);
  const T t = std::tanh(u);
  if (dy) *dy = T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * x * x);
  return T(0.5) * x * (T(1) + t);
}

struct GeluNode : autograd::Node {
  bool tanh_form = false;
  const char* name() const override { return "gelu"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::empty(inputs[0].shape(), g[0].dtype());
    dispatch_floating(dx.dtype(), "gelu", [&](auto tag) {
      using T = decltype(tag);
      const T* x = inputs[0].data<T>();
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t i = 0; i < dx.numel(); ++i) {
        T dy;
        gelu_and_grad(x[i], tanh_form, &dy);
        d[i] = go[i] * dy;
      }
    });
    return {dx};
  }
};

// Both softmax forms work on x seen as (outer, D, inner) and reduce along D.
struct SoftmaxNode : autograd::Node {
  bool log = false;
  AroundDim a;
  Tensor y;  // the output: softmax, or log_softmax when log
  const char* name() const override { return log ? "log_softmax" : "softmax"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::empty(y.shape(), y.dtype());
    dispatch_floating(y.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const T* yy = y.data<T>();
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t o = 0; o < a.outer; ++o)
        for (std::int64_t in = 0; in < a.inner; ++in) {
          const std::int64_t base = o * a.mid * a.inner + in;
          // softmax: dx = y * (g - sum(g * y));  log_softmax: dx = g - exp(y) * sum(g)
          double s = 0;
          for (std::int64_t k = 0; k < a.mid; ++k) s += log ? go[base + k * a.inner] : go[base + k * a.inner] * yy[base + k * a.inner];
          for (std::int64_t k = 0; k < a.mid; ++k) {
            const std::int64_t i = base + k * a.inner;
            d[i] = log ? static_cast<T>(go[i] - std::exp(yy[i]) * s) : static_cast<T>(yy[i] * (go[i] - s));
          }
        }
    });
    return {dx};
  }
};

Tensor softmax_impl(const Tensor& x, std::int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  if (!x.defined()) throw ShapeError(std::string(op) + ": no input");
  // A 0-d tensor is treated as a 1-element vector (as torch does).
  const Shape s = x.dim() == 0 ? Shape{1} : x.shape();
  const AroundDim a = around_dim(s, normalize_dim(dim, s, op));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() > 0) dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* y = out.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t in = 0; in < a.inner; ++in) {
        const std::int64_t base = o * a.mid * a.inner + in;
        T mx = v[base];
        for (std::int64_t k = 1; k < a.mid; ++k) mx = std::max(mx, v[base + k * a.inner]);
        double se = 0;  // every exponent is <= 0 after subtracting the max: no overflow
        for (std::int64_t k = 0; k < a.mid; ++k) se += std::exp(static_cast<double>(v[base + k * a.inner] - mx));
        const double lse = std::log(se);
        for (std::int64_t k = 0; k < a.mid; ++k) {
          const double z = static_cast<double>(v[base + k * a.inner] - mx);
          y[base + k * a.inner] = static_cast<T>(log ? z - lse : std::exp(z) / se);
        }
      }
  });
  auto node = std::make_shared<SoftmaxNode>();
  node->inputs = {x};
  node->log = log;
  node->a = a;
  node->y = out.detach();
  autograd::record(node, {&out});
  return out;
}

}  // namespace

Tensor gelu(const Tensor& x, const std::string& approximate) {
  if (approximate != "none" && approximate != "tanh")
    throw OptionError("gelu: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  if (!x.defined()) throw ShapeError("gelu: no input");
  const bool tanh_form = approximate == "tanh";
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "gelu", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) o[i] = gelu_and_grad(v[i], tanh_form, static_cast<T*>(nullptr));
  });
  auto node = std::make_shared<GeluNode>();
  node->inputs = {x};
  node->tanh_form = tanh_form;
  autograd::record(node, {&out});
  return out;
}

Tensor softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace birnn
