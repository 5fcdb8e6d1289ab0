#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "birnn/random.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {
struct DropoutNode : autograd::Node {
  Tensor mask;  // 0 or 1/(1-p), same dtype as the input
  const char* name() const override { return "dropout"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    NoGradGuard ng;
    return {mul(g[0].detach(), mask)};
  }
};
}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
  if (!(p >= 0.0 && p < 1.0)) throw OptionError("dropout: p must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  const double keep = 1.0 / (1.0 - p);
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    T* m = mask.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) m[i] = uniform(0.0, 1.0) < p ? T(0) : static_cast<T>(keep);
  });
  Tensor out;
  {
    NoGradGuard ng;
    out = mul(x.detach(), mask);
  }
  auto node = std::make_shared<DropoutNode>();
  node->inputs = {x};
  node->mask = mask;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
