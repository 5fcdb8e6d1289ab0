#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

struct CrossEntropyNode : autograd::Node {
  Tensor probs;  // softmax of the logits, (N, C)
  Tensor targets;
  const char* name() const override { return "cross_entropy"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor d = probs.clone();
    const std::int64_t N = probs.size(0), C = probs.size(1);
    dispatch_floating(d.dtype(), "cross_entropy", [&](auto tag) {
      using T = decltype(tag);
      T* p = d.data<T>();
      const T s = static_cast<T>(g[0].item() / static_cast<double>(N));
      for (std::int64_t i = 0; i < N; ++i) {
        p[i * C + targets.data<std::int64_t>()[i]] -= T(1);
        for (std::int64_t c = 0; c < C; ++c) p[i * C + c] *= s;
      }
    });
    return {d};
  }
};

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target) {
  check_same(input, target, "mse_loss");
  const Tensor diff = sub(input, target);
  return mean(mul(diff, diff));
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets) {
  if (logits.dim() != 2) throw ShapeError("cross_entropy: logits must be (N, C), got " + shape_str(logits.shape()));
  const std::int64_t N = logits.size(0), C = logits.size(1);
  check_dtype(targets, DType::i64, "cross_entropy targets");
  check_shape(targets, {N}, "cross_entropy targets");
  for (std::int64_t i = 0; i < N; ++i) {
    const auto t = targets.data<std::int64_t>()[i];
    if (t < 0 || t >= C)
      throw ShapeError("cross_entropy: target[" + std::to_string(i) + "] = " + std::to_string(t) + " is not a class in 0.." + std::to_string(C - 1));
  }
  Tensor probs = Tensor::empty({N, C}, logits.dtype());
  Tensor out = Tensor::empty({}, logits.dtype());
  dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* z = logits.data<T>();
    T* p = probs.data<T>();
    double loss = 0;
    for (std::int64_t i = 0; i < N; ++i) {
      T mx = z[i * C];
      for (std::int64_t c = 1; c < C; ++c) mx = std::max(mx, z[i * C + c]);
      double se = 0;
      for (std::int64_t c = 0; c < C; ++c) se += std::exp(static_cast<double>(z[i * C + c] - mx));
      for (std::int64_t c = 0; c < C; ++c) p[i * C + c] = static_cast<T>(std::exp(static_cast<double>(z[i * C + c] - mx)) / se);
      loss += std::log(se) + mx - z[i * C + targets.data<std::int64_t>()[i]];
    }
    out.data<T>()[0] = static_cast<T>(N ? loss / static_cast<double>(N) : 0.0);
  });
  auto node = std::make_shared<CrossEntropyNode>();
  node->inputs = {logits};
  node->probs = probs;
  node->targets = targets;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
