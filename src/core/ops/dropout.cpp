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

Tensor dropout_rows(const Tensor& x, const std::vector<std::int64_t>& rows, double p, bool training) {
  if (!(p >= 0.0 && p < 1.0)) throw OptionError("dropout_rows: p must be in [0, 1), got " + std::to_string(p));
  if (!x.defined() || x.dim() != 2) throw ShapeError("dropout_rows: x must be 2-D (rows, features), got " + (x.defined() ? shape_str(x.shape()) : std::string("none")));
  const std::int64_t R = x.size(0), F = x.size(1);
  std::vector<unsigned char> seen(static_cast<std::size_t>(R), 0);
  for (auto r : rows) {
    if (r < 0 || r >= R) throw ShapeError("dropout_rows: row " + std::to_string(r) + " is outside 0.." + std::to_string(R - 1));
    if (seen[static_cast<std::size_t>(r)]++) throw ShapeError("dropout_rows: row " + std::to_string(r) + " is listed twice");
  }
  // mask: 1/(1-p) or 0 on the listed rows (drawn in list order, exactly as dropout() draws them for the
  // gathered rows, two elements per 64-bit draw), 0 on the others; out = x * mask.
  const double keep = training ? 1.0 / (1.0 - p) : 1.0;
  const auto threshold = training ? static_cast<std::uint64_t>(p * 4294967296.0) : 0;
  std::mt19937_64& gen = generator();
  Tensor mask = Tensor::zeros(x.shape(), x.dtype()), out = Tensor::zeros(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "dropout_rows", [&](auto tag) {
    using T = decltype(tag);
    const T kept = static_cast<T>(keep);
    const T* xv = x.data<T>();
    T *m = mask.data<T>(), *o = out.data<T>();
    std::uint64_t r = 0;
    std::int64_t i = 0;  // flat index over the listed rows: even -> a new draw's low half, odd -> its high half
    for (auto row : rows)
      for (std::int64_t f = 0; f < F; ++f, ++i) {
        std::uint32_t half;
        if (!training) half = 0xffffffffu;
        else if (i % 2 == 0) r = gen(), half = static_cast<std::uint32_t>(r & 0xffffffffu);
        else half = static_cast<std::uint32_t>(r >> 32);
        const std::int64_t at = row * F + f;
        m[at] = training && half < threshold ? T(0) : kept;
        o[at] = xv[at] * m[at];
      }
  });
  auto node = std::make_shared<DropoutNode>();
  node->inputs = {x};
  node->mask = mask;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
