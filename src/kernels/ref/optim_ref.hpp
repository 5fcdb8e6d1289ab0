// Plain reference loops of the optimizer kernels (kernels/optim_kernels.hpp); Adam also runs them directly
// for float64 parameters.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/optim_kernels.hpp"

namespace birnn::kernels::ref {

// w, g, m, v, vmax: (n), of the parameter's dtype T; vmax null unless amsgrad.
template <class T>
void adam_step(const AdamStep& s, std::int64_t n, T* w, const T* g, T* m, T* v, T* vmax) {
  for (std::int64_t i = 0; i < n; ++i) {
    double d = s.maximize ? -static_cast<double>(g[i]) : static_cast<double>(g[i]);
    if (s.decoupled) w[i] = static_cast<T>(static_cast<double>(w[i]) * s.decay);
    else if (s.weight_decay != 0) d = d + s.weight_decay * static_cast<double>(w[i]);
    m[i] = static_cast<T>(static_cast<double>(m[i]) * s.beta1 + (1 - s.beta1) * d);
    v[i] = static_cast<T>(static_cast<double>(v[i]) * s.beta2 + (1 - s.beta2) * d * d);
    double second = static_cast<double>(v[i]);
    if (vmax) {
      if (!(static_cast<double>(vmax[i]) >= second)) vmax[i] = v[i];  // torch.maximum (NaN propagates)
      second = static_cast<double>(vmax[i]);
    }
    const double denom = std::sqrt(second) / s.bc2_sqrt + s.eps;
    w[i] = static_cast<T>(static_cast<double>(w[i]) + -s.step_size * (static_cast<double>(m[i]) / denom));
  }
}

// x: (n)
inline double sum_of_squares(const float* x, std::int64_t n) {
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return total;
}

}  // namespace birnn::kernels::ref
