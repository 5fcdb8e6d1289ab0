// Shared by the PyTorch-oracle tests: listing a fixture folder and comparing a tensor with PyTorch's.
#pragma once
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn::parity {

/// The stems of the .safetensors files in dir, sorted.
inline std::vector<std::string> fixture_stems(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") v.push_back(e.path().stem().string());
  std::sort(v.begin(), v.end());
  return v;
}

/// max |a - b| / max |b|, or max |a - b| when b is all zeros (the bound is then absolute). Tolerances
/// are thus relative to each tensor's scale, so tiny-valued fixtures still test something. A shape
/// mismatch is infinitely wrong; NaN must meet NaN (losses that average over nothing are NaN in torch).
inline double scaled_error(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.numel(); ++i) {
    const double x = a.item(i), y = b.item(i);
    if (std::isnan(x) || std::isnan(y)) {
      if (!(std::isnan(x) && std::isnan(y))) return INFINITY;
      continue;
    }
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace birnn::parity
