// Elementwise arithmetic and activations, plus the full reductions sum and mean.
#include <cmath>
#include <functional>

#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

enum class Bin { add, sub, mul };
enum class Un { tanh, sigmoid, relu };

template <class T>
T unary(Un op, T x) {
  switch (op) {
    case Un::tanh: return std::tanh(x);
    case Un::sigmoid: return T(1) / (T(1) + std::exp(-x));
    case Un::relu: return x > T(0) ? x : T(0);
  }
  return x;
}

// Derivative written in terms of the output y (all three allow it).
template <class T>
T unary_grad(Un op, T y) {
  switch (op) {
    case Un::tanh: return T(1) - y * y;
    case Un::sigmoid: return y * (T(1) - y);
    case Un::relu: return y > T(0) ? T(1) : T(0);
  }
  return T(1);
}

Tensor binary(Bin op, const Tensor& a, const Tensor& b);

struct BinaryNode : autograd::Node {
  Bin op;
  explicit BinaryNode(Bin o) : op(o) {}
  const char* name() const override { return "binary"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    const Tensor& go = g[0];
    switch (op) {
      case Bin::add: return {go, go};
      case Bin::sub: return {go, needs_grad(1) ? scale(go.detach(), -1.0) : Tensor()};
      case Bin::mul: {
        NoGradGuard ng;
        return {needs_grad(0) ? binary(Bin::mul, go, inputs[1].detach()) : Tensor(),
                needs_grad(1) ? binary(Bin::mul, go, inputs[0].detach()) : Tensor()};
      }
    }
    return {};
  }
};

Tensor binary(Bin op, const Tensor& a, const Tensor& b) {
  check_same(a, b, "elementwise op");
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch_floating(a.dtype(), "elementwise op", [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* o = out.data<T>();
    const std::int64_t n = a.numel();
    for (std::int64_t i = 0; i < n; ++i) o[i] = op == Bin::add ? x[i] + y[i] : op == Bin::sub ? x[i] - y[i] : x[i] * y[i];
  });
  auto node = std::make_shared<BinaryNode>(op);
  node->inputs = {a, b};
  autograd::record(node, {&out});
  return out;
}

struct UnaryNode : autograd::Node {
  Un op;
  Tensor y;  // the output (detached), from which the derivative is computed
  explicit UnaryNode(Un o) : op(o) {}
  const char* name() const override { return "unary"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::empty(y.shape(), y.dtype());
    dispatch_floating(y.dtype(), "unary", [&](auto tag) {
      using T = decltype(tag);
      const T* yy = y.data<T>();
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t i = 0; i < y.numel(); ++i) d[i] = go[i] * unary_grad(op, yy[i]);
    });
    return {dx};
  }
};

Tensor unary_op(Un op, const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "activation", [&](auto tag) {
    using T = decltype(tag);
    const T* a = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) o[i] = unary(op, a[i]);
  });
  auto node = std::make_shared<UnaryNode>(op);
  node->inputs = {x};
  node->y = out.detach();
  autograd::record(node, {&out});
  return out;
}

struct ScaleNode : autograd::Node {
  double s = 1;
  const char* name() const override { return "scale"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override { return {scale(g[0].detach(), s)}; }
};

struct SumNode : autograd::Node {
  double factor = 1;  // 1 for sum, 1/n for mean
  const char* name() const override { return "sum"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    return {Tensor::full(inputs[0].shape(), g[0].item() * factor, inputs[0].dtype())};
  }
};

Tensor reduce(const Tensor& x, bool is_mean) {
  Tensor out = Tensor::empty({}, x.dtype());
  const std::int64_t n = x.numel();
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    double acc = 0;  // accumulate in double: float sums of large tensors drift
    const T* a = x.data<T>();
    for (std::int64_t i = 0; i < n; ++i) acc += a[i];
    out.data<T>()[0] = static_cast<T>(is_mean ? (n ? acc / static_cast<double>(n) : 0.0) : acc);
  });
  auto node = std::make_shared<SumNode>();
  node->inputs = {x};
  node->factor = is_mean ? (n ? 1.0 / static_cast<double>(n) : 0.0) : 1.0;
  autograd::record(node, {&out});
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(Bin::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(Bin::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(Bin::mul, a, b); }
Tensor tanh(const Tensor& x) { return unary_op(Un::tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary_op(Un::sigmoid, x); }
Tensor relu(const Tensor& x) { return unary_op(Un::relu, x); }
Tensor sum(const Tensor& x) { return reduce(x, false); }
Tensor mean(const Tensor& x) { return reduce(x, true); }

Tensor scale(const Tensor& a, double s) {
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch_floating(a.dtype(), "scale", [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0; i < a.numel(); ++i) o[i] = static_cast<T>(x[i] * s);
  });
  auto node = std::make_shared<ScaleNode>();
  node->inputs = {a};
  node->s = s;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
