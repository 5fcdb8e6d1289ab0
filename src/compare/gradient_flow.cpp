#include "birnn/compare/gradient_flow.hpp"

#include <cmath>

#include "birnn/loss.hpp"

namespace birnn::compare {

double GradientFlow::far_over_near() const {
  if (norms.empty() || norms.front() == 0) return 0;
  return norms.back() / norms.front();
}

GradientFlow gradient_flow(CellModel& model, const AddingData& data) {
  const std::int64_t T = data.x.size(0), B = data.x.size(1), F = data.x.size(2);
  Tensor x = data.x.clone().set_requires_grad(true);
  model.zero_grad();
  Tensor loss = mse_loss(model.forward(x), data.y, MSELossOptions().reduction(Reduction::sum));
  loss.backward();
  model.zero_grad();
  GradientFlow gf;
  gf.norms.assign(static_cast<std::size_t>(T), 0.0);
  const Tensor g = x.grad();
  if (!g.defined()) return gf;
  const Tensor g32 = g.to(DType::f32);
  const float* p = g32.data<float>();
  for (std::int64_t t = 0; t < T; ++t) {
    double acc = 0;
    for (std::int64_t b = 0; b < B; ++b) {
      double s = 0;
      for (std::int64_t f = 0; f < F; ++f) {
        const double v = p[(t * B + b) * F + f];
        s += v * v;
      }
      acc += std::sqrt(s);
    }
    gf.norms[static_cast<std::size_t>(T - 1 - t)] = acc / static_cast<double>(B);
  }
  return gf;
}

}  // namespace birnn::compare
