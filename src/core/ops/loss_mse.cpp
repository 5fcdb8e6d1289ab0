// mse_loss: (input - target)^2 with reduction and mask.
#include "birnn/loss.hpp"
#include "core/dispatch.hpp"
#include "core/ops/loss_common.hpp"

namespace birnn {

namespace {

struct MSELossNode : loss_detail::ElementwiseLossNode {
  const char* name() const override { return "mse_loss"; }
  double value(std::size_t, double x, double y) const override { return (x - y) * (x - y); }
  void gradients(std::size_t, double up, double x, double y, double* dx, double* dy) const override {
    // d/dx = 2 (x - y) = -d/dy
    const double d = up * 2.0 * (x - y);
    if (dx) *dx = d;
    if (dy) *dy = -d;
  }
};

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& o) {
  check_same(input, target, "mse_loss");
  auto node = std::make_shared<MSELossNode>();
  node->counted = loss_detail::counted_elements(input.shape(), o.mask(), o.lengths(), o.batch_first(), "mse_loss");
  node->reduction = o.reduction();
  return loss_detail::record_loss(node, input, target);
}

}  // namespace birnn
