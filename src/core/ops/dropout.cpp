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
  // Each 64-bit draw of the generator decides two elements by its two 32-bit halves (an element is
  // dropped when its half is below p * 2^32, so the drop probability is p to within 2^-32): ~8x faster
  // than one uniform double per element, which made dropout a large share of a training step.
  const auto threshold = static_cast<std::uint64_t>(p * 4294967296.0);
  std::mt19937_64& gen = generator();
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    T* m = mask.data<T>();
    const T kept = static_cast<T>(keep);
    const std::int64_t n = x.numel();
    for (std::int64_t i = 0; i < n; i += 2) {
      const std::uint64_t r = gen();
      m[i] = (r & 0xffffffffu) < threshold ? T(0) : kept;
      if (i + 1 < n) m[i + 1] = (r >> 32) < threshold ? T(0) : kept;
    }
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
