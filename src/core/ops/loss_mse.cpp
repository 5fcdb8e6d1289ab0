// mse_loss: (input - target)^2 with reduction and mask.
#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "core/dispatch.hpp"
#include "core/ops/loss_common.hpp"

namespace birnn {

namespace {

struct MSELossNode : autograd::Node {
  std::vector<unsigned char> counted;
  Reduction reduction = Reduction::mean;
  double denom = 0;
  const char* name() const override { return "mse_loss"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    // d/dx = 2 (x - y) = -d/dy
    const Tensor &x = inputs[0], &y = inputs[1];
    std::vector<Tensor> r(2);
    if (needs_grad(0)) r[0] = Tensor::zeros(x.shape(), x.dtype());
    if (needs_grad(1)) r[1] = Tensor::zeros(x.shape(), x.dtype());
    const loss_detail::Upstream up(g[0], reduction, denom);
    dispatch_floating(x.dtype(), "mse_loss", [&](auto tag) {
      using T = decltype(tag);
      const T *xv = x.data<T>(), *yv = y.data<T>();
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        if (!counted[static_cast<std::size_t>(i)]) continue;
        const double d = up(i) * 2.0 * (static_cast<double>(xv[i]) - static_cast<double>(yv[i]));
        if (r[0].defined()) r[0].data<T>()[i] = static_cast<T>(d);
        if (r[1].defined()) r[1].data<T>()[i] = static_cast<T>(-d);
      }
    });
    return r;
  }
};

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& o) {
  check_same(input, target, "mse_loss");
  auto node = std::make_shared<MSELossNode>();
  node->counted = loss_detail::counted_elements(input.shape(), o.mask(), o.lengths(), o.batch_first(), "mse_loss");
  node->reduction = o.reduction();
  std::vector<double> values(static_cast<std::size_t>(input.numel()), 0.0);
  dispatch_floating(input.dtype(), "mse_loss", [&](auto tag) {
    using T = decltype(tag);
    const T *x = input.data<T>(), *y = target.data<T>();
    for (std::int64_t i = 0; i < input.numel(); ++i) {
      if (!node->counted[static_cast<std::size_t>(i)]) continue;
      const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
      values[static_cast<std::size_t>(i)] = d * d;
      node->denom += 1;
    }
  });
  Tensor out = loss_detail::reduce(values, input.shape(), input.dtype(), o.reduction(), node->denom);
  node->inputs = {input, target};
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
