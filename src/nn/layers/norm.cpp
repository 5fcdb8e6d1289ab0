#include "birnn/layers.hpp"

namespace birnn {

LayerNorm::LayerNorm(const LayerNormOptions& o) : options_(o) {
  if (o.normalized_shape() < 1)
    throw OptionError("LayerNorm: normalized_shape must be >= 1, got " + std::to_string(o.normalized_shape()));
  if (!(o.eps() > 0)) throw OptionError("LayerNorm: eps must be > 0, got " + std::to_string(o.eps()));
  if (o.elementwise_affine()) {
    register_parameter("weight", Tensor::full({o.normalized_shape()}, 1.0));
    register_parameter("bias", Tensor::zeros({o.normalized_shape()}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) const {
  if (!x.defined() || x.dim() < 1 || x.size(-1) != options_.normalized_shape())
    throw ShapeError("LayerNorm: input must end in normalized_shape = " + std::to_string(options_.normalized_shape()) + ", got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  const bool affine = options_.elementwise_affine();
  return layer_norm(x, affine ? param("weight") : Tensor(), affine ? param("bias") : Tensor(), options_.eps());
}

}  // namespace birnn
