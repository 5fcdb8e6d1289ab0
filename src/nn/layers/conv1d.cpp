#include <cmath>

#include "birnn/layers.hpp"
#include "birnn/random.hpp"

namespace birnn {

Conv1d::Conv1d(const Conv1dOptions& o) : options_(o) {
  if (o.in_channels() < 1 || o.out_channels() < 1 || o.kernel_size() < 1)
    throw OptionError("Conv1d: in_channels, out_channels and kernel_size must be >= 1, got " + std::to_string(o.in_channels()) +
                      ", " + std::to_string(o.out_channels()) + ", " + std::to_string(o.kernel_size()));
  if (o.stride() < 1) throw OptionError("Conv1d: stride must be >= 1, got " + std::to_string(o.stride()));
  if (o.dilation() < 1) throw OptionError("Conv1d: dilation must be >= 1, got " + std::to_string(o.dilation()));
  if (o.padding() < 0) throw OptionError("Conv1d: padding must be >= 0, got " + std::to_string(o.padding()));
  // torch: kaiming_uniform_(a = sqrt(5)) gives bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in); the bias uses the same bound.
  const double k = 1.0 / std::sqrt(static_cast<double>(o.in_channels() * o.kernel_size()));
  auto init = [&](Shape s) {
    Tensor t = Tensor::empty(s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(uniform(-k, k));
    return t;
  };
  register_parameter("weight", init({o.out_channels(), o.in_channels(), o.kernel_size()}));
  if (o.bias()) register_parameter("bias", init({o.out_channels()}));
}

Tensor Conv1d::forward(const Tensor& x) const {
  return conv1d(x, param("weight"), options_.bias() ? param("bias") : Tensor(), options_.stride(), options_.padding(),
                options_.dilation());
}

}  // namespace birnn
