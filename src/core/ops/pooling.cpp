// Pooling over the time axis that respects each item's length: padded steps never win a max and never
// count in a mean. x is (T, B, F), or (B, T, F) with batch_first; the result is (B, F).
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

// Where element (t, b, f) sits, for either layout.
struct TimeLayout {
  std::int64_t T = 0, B = 0, F = 0;
  bool batch_first = false;
  std::int64_t at(std::int64_t t, std::int64_t b, std::int64_t f) const {
    return (batch_first ? b * T + t : t * B + b) * F + f;
  }
};

// Checks x and lengths; returns the layout and fills len (all T when lengths is undefined).
TimeLayout check_time_input(const Tensor& x, const Tensor& lengths, bool batch_first, const char* op,
                            std::vector<std::int64_t>& len) {
  if (!x.defined() || x.dim() != 3)
    throw ShapeError(std::string(op) + ": input must be 3-D " + (batch_first ? "(B, T, F)" : "(T, B, F)") + ", got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  TimeLayout lay{x.size(batch_first ? 1 : 0), x.size(batch_first ? 0 : 1), x.size(2), batch_first};
  if (lay.T < 1) throw ShapeError(std::string(op) + ": the input needs at least one time step, got " + shape_str(x.shape()));
  len.assign(static_cast<std::size_t>(lay.B), lay.T);
  if (!lengths.defined()) return lay;
  check_dtype(lengths, DType::i64, std::string(op) + " lengths");
  if (lengths.dim() != 1 || lengths.size(0) != lay.B)
    throw ShapeError(std::string(op) + ": lengths must hold one length per batch item (" + std::to_string(lay.B) + "), got shape " +
                     shape_str(lengths.shape()));
  for (std::int64_t b = 0; b < lay.B; ++b) {
    const std::int64_t l = lengths.data<std::int64_t>()[b];
    if (l < 1 || l > lay.T)
      throw ShapeError(std::string(op) + ": lengths[" + std::to_string(b) + "] = " + std::to_string(l) + " is outside 1.." +
                       std::to_string(lay.T));
    len[static_cast<std::size_t>(b)] = l;
  }
  return lay;
}

struct MaxOverTimeNode : autograd::Node {
  TimeLayout lay;
  std::vector<std::int64_t> winner;  // (B, F): the step t that won
  const char* name() const override { return "max_over_time"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(inputs[0].shape(), g[0].dtype());
    dispatch_floating(dx.dtype(), "max_over_time", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t b = 0; b < lay.B; ++b)
        for (std::int64_t f = 0; f < lay.F; ++f) d[lay.at(winner[static_cast<std::size_t>(b * lay.F + f)], b, f)] = go[b * lay.F + f];
    });
    return {dx};
  }
};

struct MeanOverTimeNode : autograd::Node {
  TimeLayout lay;
  std::vector<std::int64_t> len;
  const char* name() const override { return "mean_over_time"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(inputs[0].shape(), g[0].dtype());  // padded steps get exactly 0
    dispatch_floating(dx.dtype(), "mean_over_time", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::int64_t b = 0; b < lay.B; ++b) {
        const std::int64_t n = len[static_cast<std::size_t>(b)];
        for (std::int64_t t = 0; t < n; ++t)
          for (std::int64_t f = 0; f < lay.F; ++f) d[lay.at(t, b, f)] = go[b * lay.F + f] / static_cast<T>(n);
      }
    });
    return {dx};
  }
};

}  // namespace

Tensor max_over_time(const Tensor& x, const Tensor& lengths, bool batch_first) {
  std::vector<std::int64_t> len;
  const TimeLayout lay = check_time_input(x, lengths, batch_first, "max_over_time", len);
  Tensor out = Tensor::empty({lay.B, lay.F}, x.dtype());
  std::vector<std::int64_t> winner(static_cast<std::size_t>(lay.B * lay.F), 0);
  dispatch_floating(x.dtype(), "max_over_time", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t b = 0; b < lay.B; ++b)
      for (std::int64_t f = 0; f < lay.F; ++f) {
        std::int64_t best = 0;
        T top = v[lay.at(0, b, f)];
        for (std::int64_t t = 1; t < len[static_cast<std::size_t>(b)] && !std::isnan(top); ++t) {
          const T cur = v[lay.at(t, b, f)];
          if (cur > top || std::isnan(cur)) best = t, top = cur;  // NaN wins and stays, as in torch.max
        }
        winner[static_cast<std::size_t>(b * lay.F + f)] = best;
        o[b * lay.F + f] = top;
      }
  });
  auto node = std::make_shared<MaxOverTimeNode>();
  node->inputs = {x};
  node->lay = lay;
  node->winner = std::move(winner);
  autograd::record(node, {&out});
  return out;
}

Tensor mean_over_time(const Tensor& x, const Tensor& lengths, bool batch_first) {
  std::vector<std::int64_t> len;
  const TimeLayout lay = check_time_input(x, lengths, batch_first, "mean_over_time", len);
  Tensor out = Tensor::zeros({lay.B, lay.F}, x.dtype());
  dispatch_floating(x.dtype(), "mean_over_time", [&](auto tag) {
    using T = decltype(tag);
    const T* v = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t b = 0; b < lay.B; ++b) {
      const std::int64_t n = len[static_cast<std::size_t>(b)];
      for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t f = 0; f < lay.F; ++f) o[b * lay.F + f] += v[lay.at(t, b, f)];
      for (std::int64_t f = 0; f < lay.F; ++f) o[b * lay.F + f] /= static_cast<T>(n);
    }
  });
  auto node = std::make_shared<MeanOverTimeNode>();
  node->inputs = {x};
  node->lay = lay;
  node->len = std::move(len);
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
