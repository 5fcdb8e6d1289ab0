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

struct BCEWithLogitsNode : loss_detail::ElementwiseLossNode {
  std::vector<double> weight, pos_weight;  // broadcast to the input's shape; empty = 1
  const char* name() const override { return "binary_cross_entropy_with_logits"; }
  double value(std::size_t k, double xi, double yi) const override {
    const double w = weight.empty() ? 1.0 : weight[k], pw = pos_weight.empty() ? 1.0 : pos_weight[k];
    return w * ((1 - yi) * xi + (1 + (pw - 1) * yi) * softplus_neg(xi));
  }
  void gradients(std::size_t k, double up, double xi, double yi, double* dx, double* dy) const override {
    // With a = 1 + (pw - 1) y:  d/dx = w ((1 - y) - a sigmoid(-x)),  d/dy = w (-x + (pw - 1) softplus(-x)).
    const double u = up * (weight.empty() ? 1.0 : weight[k]), pw = pos_weight.empty() ? 1.0 : pos_weight[k];
    const double a = 1 + (pw - 1) * yi;
    if (dx) *dx = u * ((1 - yi) - a / (1 + std::exp(xi)));
    if (dy) *dy = u * (-xi + (pw - 1) * softplus_neg(xi));
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
  return loss_detail::record_loss(node, input, target);
}

}  // namespace birnn
