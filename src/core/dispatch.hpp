// Runs a generic lambda with a float or double tag according to a tensor's dtype.
#pragma once
#include <string>

#include "birnn/tensor.hpp"

namespace birnn {

template <class F>
decltype(auto) dispatch_floating(DType d, const char* what, F&& f) {
  switch (d) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    default: break;
  }
  throw ShapeError(std::string(what) + ": expected a float32 or float64 tensor, got " + dtype_name(d));
}

inline void check_same(const Tensor& a, const Tensor& b, const char* what) {
  if (a.shape() != b.shape())
    throw ShapeError(std::string(what) + ": shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " differ");
  if (a.dtype() != b.dtype())
    throw ShapeError(std::string(what) + ": dtypes " + dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()) + " differ");
}

}  // namespace birnn
