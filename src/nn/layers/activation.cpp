// Dropout and the activation modules: thin wrappers over the functions in ops.hpp / layers_functional.hpp.
#include "birnn/layers.hpp"
#include "birnn/ops.hpp"

namespace birnn {

Dropout::Dropout(const DropoutOptions& o) : options_(o) {
  if (!(o.p() >= 0.0 && o.p() < 1.0)) throw OptionError("Dropout: p must be in [0, 1), got " + std::to_string(o.p()));
}
Tensor Dropout::forward(const Tensor& x) const { return dropout(x, options_.p(), is_training()); }

GELU::GELU(const GELUOptions& o) : options_(o) {
  if (o.approximate() != "none" && o.approximate() != "tanh")
    throw OptionError("GELU: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
}
Tensor GELU::forward(const Tensor& x) const { return gelu(x, options_.approximate()); }

Tensor ReLU::forward(const Tensor& x) const { return relu(x); }
Tensor Tanh::forward(const Tensor& x) const { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) const { return sigmoid(x); }
Tensor Softmax::forward(const Tensor& x) const { return softmax(x, dim_); }
Tensor LogSoftmax::forward(const Tensor& x) const { return log_softmax(x, dim_); }

}  // namespace birnn
