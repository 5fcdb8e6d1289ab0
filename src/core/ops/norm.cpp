// layer_norm over the last dimension: y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps),
// var biased (divided by N), as torch.nn.functional.layer_norm. Statistics are accumulated in double.
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"
#include "core/ops/dims.hpp"

namespace birnn {

namespace {

// inputs: x (M, N) as rows, weight (N), bias (N)
struct LayerNormNode : autograd::Node {
  std::int64_t M = 0, N = 0;
  std::vector<double> mean, rstd;  // per row
  const char* name() const override { return "layer_norm"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    std::vector<Tensor> r(3);
    const DType dt = g[0].dtype();
    if (needs_grad(0)) r[0] = Tensor::empty(inputs[0].shape(), dt);
    if (needs_grad(1)) r[1] = Tensor::zeros({N}, dt);
    if (needs_grad(2)) r[2] = Tensor::zeros({N}, dt);
    dispatch_floating(dt, "layer_norm", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      const T* x = inputs[0].data<T>();
      const T* w = inputs[1].defined() ? inputs[1].data<T>() : nullptr;
      for (std::int64_t m = 0; m < M; ++m) {
        const T* gr = go + m * N;
        const T* xr = x + m * N;
        const double mu = mean[static_cast<std::size_t>(m)], rs = rstd[static_cast<std::size_t>(m)];
        // With xhat = (x - mu) * rs and dxhat = g * w:  dx = rs * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
        double sum_d = 0, sum_dx = 0;
        for (std::int64_t j = 0; j < N; ++j) {
          const double xh = (xr[j] - mu) * rs, d = gr[j] * (w ? w[j] : T(1));
          sum_d += d, sum_dx += d * xh;
          if (needs_grad(1)) r[1].data<T>()[j] += static_cast<T>(gr[j] * xh);
          if (needs_grad(2)) r[2].data<T>()[j] += gr[j];
        }
        if (!needs_grad(0)) continue;
        T* dx = r[0].data<T>() + m * N;
        for (std::int64_t j = 0; j < N; ++j) {
          const double xh = (xr[j] - mu) * rs, d = gr[j] * (w ? w[j] : T(1));
          dx[j] = static_cast<T>(rs * (d - sum_d / N - xh * sum_dx / N));
        }
      }
    });
    return r;
  }
};

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  if (!x.defined() || x.dim() < 1 || x.size(-1) < 1)
    throw ShapeError("layer_norm: input must have a last dimension of size >= 1, got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  if (!(eps > 0)) throw OptionError("layer_norm: eps must be > 0, got " + std::to_string(eps));
  check_floating(x, "layer_norm");
  const std::int64_t N = x.size(-1), M = x.numel() / N;
  for (const auto& [t, what] : {std::pair{&weight, "layer_norm weight"}, std::pair{&bias, "layer_norm bias"}}) {
    if (!t->defined()) continue;
    if (t->shape() != Shape{N})
      throw ShapeError(std::string(what) + ": expected shape (" + std::to_string(N) + ") to match the input's last dimension, got " +
                       shape_str(t->shape()));
    check_dtype(*t, x.dtype(), what);
  }
  auto node = std::make_shared<LayerNormNode>();
  node->M = M, node->N = N;
  node->mean.resize(static_cast<std::size_t>(M));
  node->rstd.resize(static_cast<std::size_t>(M));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* w = weight.defined() ? weight.data<T>() : nullptr;
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    for (std::int64_t m = 0; m < M; ++m) {
      const T* xr = x.data<T>() + m * N;
      T* o = out.data<T>() + m * N;
      double mu = 0, var = 0;
      for (std::int64_t j = 0; j < N; ++j) mu += xr[j];
      mu /= N;
      for (std::int64_t j = 0; j < N; ++j) var += (xr[j] - mu) * (xr[j] - mu);  // two passes: no cancellation
      const double rs = 1.0 / std::sqrt(var / N + eps);
      for (std::int64_t j = 0; j < N; ++j) {
        double y = (xr[j] - mu) * rs;
        if (w) y *= w[j];
        if (b) y += b[j];
        o[j] = static_cast<T>(y);
      }
      node->mean[static_cast<std::size_t>(m)] = mu;
      node->rstd[static_cast<std::size_t>(m)] = rs;
    }
  });
  node->inputs = {x, weight, bias};
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
