// binary_cross_entropy_with_logits: the stable form torch uses, with weight and pos_weight.
#include <algorithm>
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "core/dispatch.hpp"
#include "core/ops/loss_common.hpp"

namespace birnn {

namespace {

// log(1 + exp(-x)) without overflow: log1p(exp(-|x|)) + max(-x, 0).
double softplus_neg(double x) { return std::log1p(std::exp(-std::abs(x))) + std::max(-x, 0.0); }

struct BCEWithLogitsNode : autograd::Node {
  std::vector<unsigned char> counted;
  std::vector<double> weight, pos_weight;  // broadcast to the input's shape; empty = 1
  Reduction reduction = Reduction::mean;
  double denom = 0;
  const char* name() const override { return "binary_cross_entropy_with_logits"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    // With a = 1 + (pw - 1) y:  d/dx = w ((1 - y) - a sigmoid(-x)),  d/dy = w (-x + (pw - 1) softplus(-x)).
    const Tensor &x = inputs[0], &y = inputs[1];
    std::vector<Tensor> r(2);
    if (needs_grad(0)) r[0] = Tensor::zeros(x.shape(), x.dtype());
    if (needs_grad(1)) r[1] = Tensor::zeros(x.shape(), x.dtype());
    const loss_detail::Upstream up(g[0], reduction, denom);
    dispatch_floating(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
      using T = decltype(tag);
      const T *xv = x.data<T>(), *yv = y.data<T>();
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        if (!counted[static_cast<std::size_t>(i)]) continue;
        const auto k = static_cast<std::size_t>(i);
        const double u = up(i) * (weight.empty() ? 1.0 : weight[k]), pw = pos_weight.empty() ? 1.0 : pos_weight[k];
        const double xi = xv[i], yi = yv[i], a = 1 + (pw - 1) * yi;
        if (r[0].defined()) r[0].data<T>()[i] = static_cast<T>(u * ((1 - yi) - a / (1 + std::exp(xi))));
        if (r[1].defined()) r[1].data<T>()[i] = static_cast<T>(u * (-xi + (pw - 1) * softplus_neg(xi)));
      }
    });
    return r;
  }
};

}  // namespace

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& o) {
  const std::string op = "binary_cross_entropy_with_logits";
  check_same(input, target, op.c_str());
  auto node = std::make_shared<BCEWithLogitsNode>();
  node->counted = loss_detail::counted_elements(input.shape(), o.mask(), o.lengths(), o.batch_first(), op);
  node->weight = loss_detail::broadcast_to(o.weight(), input.shape(), op + " weight");
  node->pos_weight = loss_detail::broadcast_to(o.pos_weight(), input.shape(), op + " pos_weight");
  node->reduction = o.reduction();
  std::vector<double> values(static_cast<std::size_t>(input.numel()), 0.0);
  dispatch_floating(input.dtype(), op.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T *x = input.data<T>(), *y = target.data<T>();
    for (std::int64_t i = 0; i < input.numel(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (!node->counted[k]) continue;
      const double w = node->weight.empty() ? 1.0 : node->weight[k], pw = node->pos_weight.empty() ? 1.0 : node->pos_weight[k];
      const double xi = x[i], yi = y[i];
      values[k] = w * ((1 - yi) * xi + (1 + (pw - 1) * yi) * softplus_neg(xi));
      node->denom += 1;
    }
  });
  Tensor out = loss_detail::reduce(values, input.shape(), input.dtype(), o.reduction(), node->denom);
  node->inputs = {input, target};
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
