#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "core/dispatch.hpp"
#include "kernels/gemm.hpp"

namespace birnn {

namespace {

// x: (M, in)  w: (out, in)  b: (out)
struct LinearNode : autograd::Node {
  std::int64_t M = 0, in = 0, out = 0;
  const char* name() const override { return "linear"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    std::vector<Tensor> r(3);
    dispatch_floating(g[0].dtype(), "linear", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();  // (M, out)
      if (needs_grad(0)) {
        r[0] = Tensor::empty(inputs[0].shape(), g[0].dtype());
        kernels::gemm(false, false, M, in, out, T(1), go, out, inputs[1].data<T>(), in, T(0), r[0].data<T>(), in);
      }
      if (needs_grad(1)) {
        r[1] = Tensor::empty({out, in}, g[0].dtype());
        kernels::gemm(true, false, out, in, M, T(1), go, out, inputs[0].data<T>(), in, T(0), r[1].data<T>(), in);
      }
      if (needs_grad(2)) {
        r[2] = Tensor::zeros({out}, g[0].dtype());
        T* db = r[2].data<T>();
        for (std::int64_t m = 0; m < M; ++m)
          for (std::int64_t j = 0; j < out; ++j) db[j] += go[m * out + j];
      }
    });
    return r;
  }
};

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (weight.dim() != 2) throw ShapeError("linear: weight must be (out_features, in_features), got " + shape_str(weight.shape()));
  const std::int64_t out = weight.size(0), in = weight.size(1);
  if (x.dim() < 1 || x.size(-1) != in)
    throw ShapeError("linear: input " + shape_str(x.shape()) + " must end in in_features = " + std::to_string(in));
  check_dtype(weight, x.dtype(), "linear weight");
  if (bias.defined()) {
    check_shape(bias, {out}, "linear bias");
    check_dtype(bias, x.dtype(), "linear bias");
  }
  const std::int64_t M = x.numel() / in;
  Shape os = x.shape();
  os.back() = out;
  Tensor y = Tensor::empty(os, x.dtype());
  dispatch_floating(x.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    T* o = y.data<T>();
    if (bias.defined()) {
      for (std::int64_t m = 0; m < M; ++m)
        for (std::int64_t j = 0; j < out; ++j) o[m * out + j] = bias.data<T>()[j];
    }
    kernels::gemm(false, true, M, out, in, T(1), x.data<T>(), in, weight.data<T>(), in, bias.defined() ? T(1) : T(0), o, out);
  });
  auto node = std::make_shared<LinearNode>();
  node->inputs = {x, weight, bias};
  node->M = M, node->in = in, node->out = out;
  autograd::record(node, {&y});
  return y;
}

}  // namespace birnn
