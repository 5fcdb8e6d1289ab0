#include <algorithm>

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

// The drop decisions of dropout() and dropout_rows(), element after element: each 64-bit draw of the
// generator decides two elements by its low then its high 32-bit half (an element is dropped when its half
// is below p * 2^32, so the drop probability is p to within 2^-32): ~8x faster than one uniform double per
// element, which made dropout a large share of a training step.
class DropDecisions {
 public:
  explicit DropDecisions(double p) : threshold_(static_cast<std::uint64_t>(p * 4294967296.0)), gen_(generator()) {}
  /// m[0..n) = 0 (dropped) or kept, continuing the decisions of the previous call (a pending high half first).
  template <class T>
  void fill(T* m, std::int64_t n, T kept) {
    std::int64_t i = 0;
    if (pending_ && n > 0) m[i++] = (r_ >> 32) < threshold_ ? T(0) : kept, pending_ = false;
    for (; i + 1 < n; i += 2) {  // two elements per draw without a branch between them
      r_ = gen_();
      m[i] = (r_ & 0xffffffffu) < threshold_ ? T(0) : kept;
      m[i + 1] = (r_ >> 32) < threshold_ ? T(0) : kept;
    }
    if (i < n) r_ = gen_(), m[i] = (r_ & 0xffffffffu) < threshold_ ? T(0) : kept, pending_ = true;
  }

 private:
  std::uint64_t threshold_, r_ = 0;
  std::mt19937_64& gen_;
  bool pending_ = false;  // r_'s high half is not used yet
};
}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
  if (!(p >= 0.0 && p < 1.0)) throw OptionError("dropout: p must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  const double keep = 1.0 / (1.0 - p);
  DropDecisions drops(p);
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    T* m = mask.data<T>();
    const T kept = static_cast<T>(keep);
    const std::int64_t n = x.numel();
    drops.fill(m, n, kept);
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
  // mask: 1/(1-p) or 0 on the listed rows (decided in list order, exactly as dropout() decides them for the
  // gathered rows; no draws when !training), 0 on the others; out = x * mask.
  const double keep = training ? 1.0 / (1.0 - p) : 1.0;
  DropDecisions drops(p);
  Tensor mask = Tensor::zeros(x.shape(), x.dtype()), out = Tensor::zeros(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "dropout_rows", [&](auto tag) {
    using T = decltype(tag);
    const T kept = static_cast<T>(keep);
    const T* xv = x.data<T>();
    T *m = mask.data<T>(), *o = out.data<T>();
    for (auto row : rows) {
      T* mr = m + row * F;
      if (training) drops.fill(mr, F, kept);
      else std::fill(mr, mr + F, kept);
      for (std::int64_t at = row * F; at < (row + 1) * F; ++at) o[at] = xv[at] * m[at];
    }
  });
  auto node = std::make_shared<DropoutNode>();
  node->inputs = {x};
  node->mask = mask;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
