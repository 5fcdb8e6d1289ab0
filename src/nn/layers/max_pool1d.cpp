// max_pool1d (F.max_pool1d with padding 0, dilation 1, ceil_mode False) and the MaxPool1d module.
// rows of x: (N, L)  out: (N, L_out), L_out = (L - K) / S + 1; window i covers [i*S, i*S + K).
#include <cmath>
#include <string>

#include "birnn/autograd.hpp"
#include "birnn/layers.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

struct MaxPool1dNode : autograd::Node {
  std::int64_t N = 0, L = 0, O = 0;
  std::vector<std::int64_t> winner;  // (N, O): position l that won each window
  const char* name() const override { return "max_pool1d"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(inputs[0].shape(), g[0].dtype());
    dispatch_floating(dx.dtype(), "max_pool1d", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t n = 0; n < N; ++n)  // overlapping windows (S < K) may share a winner: accumulate
        for (std::int64_t i = 0; i < O; ++i) d[n * L + winner[static_cast<std::size_t>(n * O + i)]] += go[n * O + i];
    });
    return {dx};
  }
};

}  // namespace

Tensor max_pool1d(const Tensor& x, std::int64_t kernel_size, std::int64_t stride) {
  if (kernel_size < 1) throw OptionError("max_pool1d: kernel_size must be >= 1, got " + std::to_string(kernel_size));
  if (stride < 0) throw OptionError("max_pool1d: stride must be >= 1 (or 0 for kernel_size), got " + std::to_string(stride));
  const std::int64_t K = kernel_size, S = stride == 0 ? kernel_size : stride;
  if (!x.defined() || (x.dim() != 2 && x.dim() != 3))
    throw ShapeError("max_pool1d: input must be (B, C, L) or (C, L), got " + (x.defined() ? shape_str(x.shape()) : std::string("none")));
  const std::int64_t L = x.size(-1);
  if (L < K)
    throw ShapeError("max_pool1d: input length " + std::to_string(L) + " is shorter than kernel_size " + std::to_string(K) +
                     " (input " + shape_str(x.shape()) + ")");
  const std::int64_t N = x.numel() / L, O = (L - K) / S + 1;
  Shape os = x.shape();
  os.back() = O;
  Tensor out = Tensor::empty(os, x.dtype());
  std::vector<std::int64_t> winner(static_cast<std::size_t>(N * O));
  dispatch_floating(x.dtype(), "max_pool1d", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t i = 0; i < O; ++i) {
        std::int64_t best = i * S;
        T top = v[n * L + best];
        for (std::int64_t l = best + 1; l < i * S + K && !std::isnan(top); ++l)
          if (v[n * L + l] > top || std::isnan(v[n * L + l])) best = l, top = v[n * L + l];
        winner[static_cast<std::size_t>(n * O + i)] = best;
        o[n * O + i] = top;
      }
  });
  auto node = std::make_shared<MaxPool1dNode>();
  node->inputs = {x};
  node->N = N, node->L = L, node->O = O;
  node->winner = std::move(winner);
  autograd::record(node, {&out});
  return out;
}

MaxPool1d::MaxPool1d(const MaxPool1dOptions& o) : options_(o) {
  if (o.kernel_size() < 1) throw OptionError("MaxPool1d: kernel_size must be >= 1, got " + std::to_string(o.kernel_size()));
  if (o.stride() < 1) throw OptionError("MaxPool1d: stride must be >= 1, got " + std::to_string(o.stride()));
}

Tensor MaxPool1d::forward(const Tensor& x) const { return max_pool1d(x, options_.kernel_size(), options_.stride()); }

}  // namespace birnn
