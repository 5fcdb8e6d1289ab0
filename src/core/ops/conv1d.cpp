// conv1d as im2col + GEMM: for each batch item, out_b (C_out, L_out) = W (C_out, C_in*K) * cols_b (C_in*K, L_out).
// Backward recomputes cols (cheap, and saves holding B*C_in*K*L_out values between passes).
#include <algorithm>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"
#include "core/ops/dims.hpp"
#include "kernels/gemm.hpp"

namespace birnn {

namespace {

struct ConvGeom {
  std::int64_t B, C_in, L, C_out, K, L_out, stride, padding, dilation;
  std::int64_t rows() const { return C_in * K; }  // rows of cols_b
  // Input position read by output step l for kernel tap k (may fall in the zero padding).
  std::int64_t pos(std::int64_t l, std::int64_t k) const { return l * stride + k * dilation - padding; }
};

// x_b: (C_in, L) -> cols: (C_in*K, L_out), row c*K + k, zero where the tap reads padding.
template <class T>
void im2col(const ConvGeom& g, const T* x_b, T* cols) {
  for (std::int64_t c = 0; c < g.C_in; ++c)
    for (std::int64_t k = 0; k < g.K; ++k) {
      T* row = cols + (c * g.K + k) * g.L_out;
      for (std::int64_t l = 0; l < g.L_out; ++l) {
        const std::int64_t p = g.pos(l, k);
        row[l] = p >= 0 && p < g.L ? x_b[c * g.L + p] : T(0);
      }
    }
}

// The adjoint of im2col: dx_b (C_in, L) += the entries of dcols (C_in*K, L_out) at the positions they came from.
template <class T>
void col2im_add(const ConvGeom& g, const T* dcols, T* dx_b) {
  for (std::int64_t c = 0; c < g.C_in; ++c)
    for (std::int64_t k = 0; k < g.K; ++k) {
      const T* row = dcols + (c * g.K + k) * g.L_out;
      for (std::int64_t l = 0; l < g.L_out; ++l) {
        const std::int64_t p = g.pos(l, k);
        if (p >= 0 && p < g.L) dx_b[c * g.L + p] += row[l];
      }
    }
}

// inputs: x (B, C_in, L), weight (C_out, C_in, K), bias (C_out)
struct Conv1dNode : autograd::Node {
  ConvGeom geo{};
  const char* name() const override { return "conv1d"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& grads) override {
    std::vector<Tensor> r(3);
    const ConvGeom& g = geo;
    const DType dt = grads[0].dtype();
    if (needs_grad(0)) r[0] = Tensor::zeros(inputs[0].shape(), dt);
    if (needs_grad(1)) r[1] = Tensor::zeros(inputs[1].shape(), dt);
    if (needs_grad(2)) r[2] = Tensor::zeros({g.C_out}, dt);
    dispatch_floating(dt, "conv1d", [&](auto tag) {
      using T = decltype(tag);
      const T* go = grads[0].data<T>();  // (B, C_out, L_out)
      const T* w = inputs[1].data<T>();  // (C_out, C_in*K)
      std::vector<T> cols(static_cast<std::size_t>(g.rows() * g.L_out));
      for (std::int64_t b = 0; b < g.B; ++b) {
        const T* go_b = go + b * g.C_out * g.L_out;
        if (needs_grad(1)) {  // dW += go_b (C_out, L_out) * cols_b^T (L_out, C_in*K)
          im2col(g, inputs[0].data<T>() + b * g.C_in * g.L, cols.data());
          kernels::gemm(false, true, g.C_out, g.rows(), g.L_out, T(1), go_b, g.L_out, cols.data(), g.L_out, T(1),
                        r[1].data<T>(), g.rows());
        }
        if (needs_grad(0)) {  // dcols = W^T (C_in*K, C_out) * go_b (C_out, L_out), then back to positions
          kernels::gemm(true, false, g.rows(), g.L_out, g.C_out, T(1), w, g.rows(), go_b, g.L_out, T(0), cols.data(), g.L_out);
          col2im_add(g, cols.data(), r[0].data<T>() + b * g.C_in * g.L);
        }
        if (needs_grad(2)) {
          T* db = r[2].data<T>();
          for (std::int64_t o = 0; o < g.C_out; ++o)
            for (std::int64_t l = 0; l < g.L_out; ++l) db[o] += go_b[o * g.L_out + l];
        }
      }
    });
    return r;
  }
};

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride, std::int64_t padding,
              std::int64_t dilation) {
  if (stride < 1 || dilation < 1 || padding < 0)
    throw OptionError("conv1d: stride and dilation must be >= 1 and padding >= 0, got stride " + std::to_string(stride) +
                      ", padding " + std::to_string(padding) + ", dilation " + std::to_string(dilation));
  if (!weight.defined() || weight.dim() != 3)
    throw ShapeError("conv1d: weight must be (out_channels, in_channels, kernel_size), got " +
                     (weight.defined() ? shape_str(weight.shape()) : std::string("none")));
  if (!x.defined() || x.dim() != 3 || x.size(1) != weight.size(1))
    throw ShapeError("conv1d: input must be (batch, in_channels = " + std::to_string(weight.size(1)) + ", length), got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  check_floating(x, "conv1d");
  check_dtype(weight, x.dtype(), "conv1d weight");
  if (weight.size(0) < 1 || weight.size(2) < 1)
    throw ShapeError("conv1d: weight " + shape_str(weight.shape()) + " needs out_channels >= 1 and kernel_size >= 1");
  ConvGeom g{x.size(0), x.size(1), x.size(2), weight.size(0), weight.size(2), 0, stride, padding, dilation};
  if (bias.defined()) {
    check_shape(bias, {g.C_out}, "conv1d bias");
    check_dtype(bias, x.dtype(), "conv1d bias");
  }
  const std::int64_t span = dilation * (g.K - 1) + 1;  // input positions one output step looks at
  if (g.L + 2 * padding < span)
    throw ShapeError("conv1d: input length " + std::to_string(g.L) + " (+ 2 * padding " + std::to_string(padding) +
                     ") is shorter than the kernel's span " + std::to_string(span) + " (kernel_size " + std::to_string(g.K) +
                     ", dilation " + std::to_string(dilation) + ")");
  g.L_out = (g.L + 2 * padding - span) / stride + 1;

  Tensor out = Tensor::empty({g.B, g.C_out, g.L_out}, x.dtype());
  dispatch_floating(x.dtype(), "conv1d", [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> cols(static_cast<std::size_t>(g.rows() * g.L_out));
    for (std::int64_t b = 0; b < g.B; ++b) {
      T* o = out.data<T>() + b * g.C_out * g.L_out;
      if (bias.defined())
        for (std::int64_t c = 0; c < g.C_out; ++c) std::fill(o + c * g.L_out, o + (c + 1) * g.L_out, bias.data<T>()[c]);
      im2col(g, x.data<T>() + b * g.C_in * g.L, cols.data());
      kernels::gemm(false, false, g.C_out, g.L_out, g.rows(), T(1), weight.data<T>(), g.rows(), cols.data(), g.L_out,
                    bias.defined() ? T(1) : T(0), o, g.L_out);
    }
  });
  auto node = std::make_shared<Conv1dNode>();
  node->inputs = {x, weight, bias};
  node->geo = g;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
