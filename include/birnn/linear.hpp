// Linear layer: y = x W^T + b, PyTorch's names (weight, bias) and init U(-1/sqrt(in), 1/sqrt(in)).
#pragma once
#include "birnn/module.hpp"

namespace birnn {

class LinearOptions {
 public:
  LinearOptions(std::int64_t in_features, std::int64_t out_features) : in_(in_features), out_(out_features) {}
  /// Whether the layer has a bias.
  LinearOptions& bias(bool v) { bias_ = v; return *this; }
  std::int64_t in_features() const { return in_; }
  std::int64_t out_features() const { return out_; }
  bool bias() const { return bias_; }

 private:
  std::int64_t in_, out_;
  bool bias_ = true;
};

class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& o);
  /// x: (..., in_features) -> (..., out_features)
  Tensor forward(const Tensor& x) const;

 private:
  LinearOptions options_;
};

}  // namespace birnn
