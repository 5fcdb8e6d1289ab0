#include "unit/gradcheck.hpp"

#include <cmath>
#include <random>
#include <sstream>

namespace birnn::testing {

Tensor random_f64(const Shape& shape, double lo, double hi) {
  Tensor t = Tensor::empty(shape, DType::f64);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = uniform(lo, hi);
  return t;
}

Tensor weighted_sum(const Tensor& out, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  Tensor w = Tensor::empty(out.shape(), out.dtype());
  for (std::int64_t i = 0; i < w.numel(); ++i) {
    const double v = static_cast<double>(g() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    if (out.dtype() == DType::f64) w.data<double>()[i] = v;
    else w.data<float>()[i] = static_cast<float>(v);
  }
  return sum(mul(out, w));
}

std::string gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& loss, const std::vector<Tensor>& inputs,
                      double eps, double tol) {
  for (const auto& in : inputs)
    if (in.defined() && in.requires_grad() && in.dtype() != DType::f64) return "gradcheck needs float64 inputs";
  for (auto in : inputs)
    if (in.defined() && in.requires_grad()) in.zero_grad();
  Tensor l = loss(inputs);
  if (l.numel() != 1) return "loss is not a scalar: " + shape_str(l.shape());
  l.backward();
  double worst = 0;
  std::string where;
  std::size_t checked = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor in = inputs[k];
    if (!in.defined() || !in.requires_grad()) continue;
    const Tensor g = in.grad();
    double* v = in.data<double>();
    for (std::int64_t i = 0; i < in.numel(); ++i) {
      const double saved = v[i];
      double fp, fm;
      {
        NoGradGuard ng;
        v[i] = saved + eps;
        fp = loss(inputs).item();
        v[i] = saved - eps;
        fm = loss(inputs).item();
      }
      v[i] = saved;
      const double numeric = (fp - fm) / (2 * eps);
      const double analytic = g.defined() ? g.item(i) : 0.0;
      const double err = std::abs(numeric - analytic) / std::max(1.0, std::abs(numeric));
      ++checked;
      if (err > worst) {
        worst = err;
        std::ostringstream o;
        o << "input " << k << " element " << i << ": autograd " << analytic << " vs numeric " << numeric;
        where = o.str();
      }
    }
  }
  if (checked == 0) return "no input requires grad: nothing was checked";
  if (worst > tol) return where + " (error " + std::to_string(worst) + ")";
  return "";
}

}  // namespace birnn::testing
