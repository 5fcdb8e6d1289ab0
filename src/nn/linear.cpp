#include "birnn/linear.hpp"

#include <cmath>

#include "birnn/ops.hpp"
#include "birnn/random.hpp"

namespace birnn {

Linear::Linear(const LinearOptions& o) : options_(o) {
  if (o.in_features() < 1 || o.out_features() < 1)
    throw OptionError("Linear: in_features and out_features must be >= 1, got " + std::to_string(o.in_features()) + ", " +
                      std::to_string(o.out_features()));
  const double k = 1.0 / std::sqrt(static_cast<double>(o.in_features()));
  auto init = [&](Shape s) {
    Tensor t = Tensor::empty(s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(uniform(-k, k));
    return t;
  };
  register_parameter("weight", init({o.out_features(), o.in_features()}));
  if (o.bias()) register_parameter("bias", init({o.out_features()}));
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, param("weight"), options_.bias() ? param("bias") : Tensor());
}

}  // namespace birnn
