// adaptive_avg_pool1d / adaptive_max_pool1d over the last axis of (B, C, L) or (C, L), with PyTorch's
// bins: bin i of `out` covers [floor(i*L/out), ceil((i+1)*L/out)), so bins may overlap when L % out != 0.
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

std::int64_t bin_start(std::int64_t i, std::int64_t L, std::int64_t out) { return i * L / out; }
std::int64_t bin_end(std::int64_t i, std::int64_t L, std::int64_t out) { return ((i + 1) * L + out - 1) / out; }

// Returns the number of rows (everything before the last axis); checks the shape and output_size.
std::int64_t check_pool_input(const Tensor& x, std::int64_t out, const char* op) {
  if (!x.defined() || (x.dim() != 2 && x.dim() != 3) || x.size(-1) < 1)
    throw ShapeError(std::string(op) + ": input must be (B, C, L) or (C, L) with L >= 1, got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  if (out < 1) throw OptionError(std::string(op) + ": output_size must be >= 1, got " + std::to_string(out));
  return x.numel() / x.size(-1);
}

Shape pooled_shape(const Tensor& x, std::int64_t out) {
  Shape s = x.shape();
  s.back() = out;
  return s;
}

// rows of x: (N, L)  out: (N, O)
struct AdaptiveAvgNode : autograd::Node {
  std::int64_t N = 0, L = 0, O = 0;
  const char* name() const override { return "adaptive_avg_pool1d"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(inputs[0].shape(), g[0].dtype());
    dispatch_floating(dx.dtype(), "adaptive_avg_pool1d", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < O; ++i) {
          const std::int64_t s = bin_start(i, L, O), e = bin_end(i, L, O);
          const T share = go[n * O + i] / static_cast<T>(e - s);
          for (std::int64_t l = s; l < e; ++l) d[n * L + l] += share;
        }
    });
    return {dx};
  }
};

struct AdaptiveMaxNode : autograd::Node {
  std::int64_t N = 0, L = 0, O = 0;
  std::vector<std::int64_t> winner;  // (N, O): position l that won each bin
  const char* name() const override { return "adaptive_max_pool1d"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(inputs[0].shape(), g[0].dtype());
    dispatch_floating(dx.dtype(), "adaptive_max_pool1d", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < O; ++i) d[n * L + winner[static_cast<std::size_t>(n * O + i)]] += go[n * O + i];
    });
    return {dx};
  }
};

}  // namespace

Tensor adaptive_avg_pool1d(const Tensor& x, std::int64_t output_size) {
  const std::int64_t N = check_pool_input(x, output_size, "adaptive_avg_pool1d"), L = x.size(-1), O = output_size;
  Tensor out = Tensor::empty(pooled_shape(x, O), x.dtype());
  dispatch_floating(x.dtype(), "adaptive_avg_pool1d", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t i = 0; i < O; ++i) {
        const std::int64_t s = bin_start(i, L, O), e = bin_end(i, L, O);
        T acc = 0;
        for (std::int64_t l = s; l < e; ++l) acc += v[n * L + l];
        o[n * O + i] = acc / static_cast<T>(e - s);
      }
  });
  auto node = std::make_shared<AdaptiveAvgNode>();
  node->inputs = {x};
  node->N = N, node->L = L, node->O = O;
  autograd::record(node, {&out});
  return out;
}

Tensor adaptive_max_pool1d(const Tensor& x, std::int64_t output_size) {
  const std::int64_t N = check_pool_input(x, output_size, "adaptive_max_pool1d"), L = x.size(-1), O = output_size;
  Tensor out = Tensor::empty(pooled_shape(x, O), x.dtype());
  std::vector<std::int64_t> winner(static_cast<std::size_t>(N * O));
  dispatch_floating(x.dtype(), "adaptive_max_pool1d", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t i = 0; i < O; ++i) {
        std::int64_t best = bin_start(i, L, O);
        T top = v[n * L + best];
        for (std::int64_t l = best + 1; l < bin_end(i, L, O) && !std::isnan(top); ++l)
          if (v[n * L + l] > top || std::isnan(v[n * L + l])) best = l, top = v[n * L + l];
        winner[static_cast<std::size_t>(n * O + i)] = best;
        o[n * O + i] = top;
      }
  });
  auto node = std::make_shared<AdaptiveMaxNode>();
  node->inputs = {x};
  node->N = N, node->L = L, node->O = O;
  node->winner = std::move(winner);
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
