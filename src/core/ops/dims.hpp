// Small shape helpers shared by the layer ops (private to the library).
#pragma once
#include <cstdint>
#include <string>

#include "birnn/tensor.hpp"

namespace birnn {

/// dim in [-ndim, ndim) -> [0, ndim); otherwise ShapeError naming the op and the shape.
inline std::int64_t normalize_dim(std::int64_t dim, const Shape& shape, const char* op) {
  const auto nd = static_cast<std::int64_t>(shape.size());
  if (dim < -nd || dim >= nd)
    throw ShapeError(std::string(op) + ": dimension " + std::to_string(dim) + " is out of range for shape " + shape_str(shape));
  return dim < 0 ? dim + nd : dim;
}

/// Throws ShapeError unless x is float32 or float64 (checked before comparing other tensors' dtypes to x's).
inline void check_floating(const Tensor& x, const char* op) {
  if (x.dtype() != DType::f32 && x.dtype() != DType::f64)
    throw ShapeError(std::string(op) + ": expected a float32 or float64 input, got " + dtype_name(x.dtype()));
}

/// A shape seen as (outer, mid, inner) around dimension `dim`: the layout reductions along one dim use.
struct AroundDim {
  std::int64_t outer = 1, mid = 1, inner = 1;
};
inline AroundDim around_dim(const Shape& s, std::int64_t dim) {
  AroundDim r;
  for (std::int64_t i = 0; i < dim; ++i) r.outer *= s[static_cast<std::size_t>(i)];
  r.mid = s[static_cast<std::size_t>(dim)];
  for (std::size_t i = static_cast<std::size_t>(dim) + 1; i < s.size(); ++i) r.inner *= s[i];
  return r;
}

}  // namespace birnn
