#include "birnn/layers.hpp"

namespace birnn {

AdaptiveAvgPool1d::AdaptiveAvgPool1d(std::int64_t output_size) : output_size_(output_size) {
  if (output_size < 1) throw OptionError("AdaptiveAvgPool1d: output_size must be >= 1, got " + std::to_string(output_size));
}
Tensor AdaptiveAvgPool1d::forward(const Tensor& x) const { return adaptive_avg_pool1d(x, output_size_); }

AdaptiveMaxPool1d::AdaptiveMaxPool1d(std::int64_t output_size) : output_size_(output_size) {
  if (output_size < 1) throw OptionError("AdaptiveMaxPool1d: output_size must be >= 1, got " + std::to_string(output_size));
}
Tensor AdaptiveMaxPool1d::forward(const Tensor& x) const { return adaptive_max_pool1d(x, output_size_); }

}  // namespace birnn
