// reshape, cat, narrow: data movement only; backward moves the gradient back.
#include <cstring>

#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "core/tensor_impl.hpp"

namespace birnn {

namespace {

std::int64_t norm_dim(std::int64_t dim, std::int64_t ndim, const char* what) {
  if (dim < 0) dim += ndim;
  if (dim < 0 || dim >= ndim) throw ShapeError(std::string(what) + ": dimension out of range");
  return dim;
}

// A tensor seen as (outer, dim, inner): the layout cat and narrow work on.
struct Split3 {
  std::int64_t outer = 1, mid = 1, inner = 1;
};
Split3 split3(const Shape& s, std::int64_t dim) {
  Split3 r;
  for (std::int64_t i = 0; i < dim; ++i) r.outer *= s[i];
  r.mid = s[dim];
  for (std::size_t i = static_cast<std::size_t>(dim) + 1; i < s.size(); ++i) r.inner *= s[i];
  return r;
}

// Copies a (outer, n, inner) block between tensors whose dim sizes differ (src_mid / dst_mid).
void copy_block(const Tensor& src, std::int64_t src_mid, std::int64_t src_start, Tensor& dst, std::int64_t dst_mid,
                std::int64_t dst_start, std::int64_t n, std::int64_t outer, std::int64_t inner) {
  const std::size_t es = dtype_size(src.dtype());
  const auto* s = static_cast<const unsigned char*>(src.raw_data());
  auto* d = static_cast<unsigned char*>(dst.raw_data());
  const std::size_t chunk = static_cast<std::size_t>(n * inner) * es;
  for (std::int64_t o = 0; o < outer; ++o)
    std::memcpy(d + static_cast<std::size_t>((o * dst_mid + dst_start) * inner) * es,
                s + static_cast<std::size_t>((o * src_mid + src_start) * inner) * es, chunk);
}

struct ReshapeNode : autograd::Node {
  Shape in_shape;
  const char* name() const override { return "reshape"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override { return {g[0].detach().reshape(in_shape)}; }
};

struct CatNode : autograd::Node {
  std::int64_t dim = 0;
  const char* name() const override { return "cat"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    std::vector<Tensor> out(inputs.size());
    std::int64_t start = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto len = inputs[i].size(dim);
      if (needs_grad(i)) out[i] = narrow(g[0].detach(), dim, start, len);
      start += len;
    }
    return out;
  }
};

struct NarrowNode : autograd::Node {
  std::int64_t dim = 0, start = 0;
  const char* name() const override { return "narrow"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    const Shape& s = inputs[0].shape();
    Tensor dx = Tensor::zeros(s, g[0].dtype());
    const Split3 p = split3(s, dim);
    const auto len = g[0].size(dim);
    copy_block(g[0], len, 0, dx, p.mid, start, len, p.outer, p.inner);
    return {dx};
  }
};

}  // namespace

Tensor Tensor::reshape(const Shape& shape) const { return birnn::reshape(*this, shape); }

Tensor reshape(const Tensor& x, Shape shape) {
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw ShapeError("reshape: only one dimension can be -1");
      infer = static_cast<std::int64_t>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known) throw ShapeError("reshape: cannot infer a dimension of " + shape_str(shape) + " for " + shape_str(x.shape()));
    shape[static_cast<std::size_t>(infer)] = x.numel() / known;
  }
  if (shape_numel(shape) != x.numel())
    throw ShapeError("reshape: shape " + shape_str(shape) + " does not hold the " + std::to_string(x.numel()) + " elements of " + shape_str(x.shape()));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->numel = x.numel();
  impl->dtype = x.dtype();
  impl->storage = x.impl()->storage;
  Tensor out(impl);
  auto node = std::make_shared<ReshapeNode>();
  node->inputs = {x};
  node->in_shape = x.shape();
  autograd::record(node, {&out});
  return out;
}

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  if (xs.empty()) throw ShapeError("cat: no tensors");
  const Shape& s0 = xs[0].shape();
  dim = norm_dim(dim, static_cast<std::int64_t>(s0.size()), "cat");
  Shape out_shape = s0;
  out_shape[dim] = 0;
  for (const auto& x : xs) {
    const Shape& s = x.shape();
    bool ok = s.size() == s0.size() && x.dtype() == xs[0].dtype();
    for (std::size_t i = 0; ok && i < s.size(); ++i) ok = static_cast<std::int64_t>(i) == dim || s[i] == s0[i];
    if (!ok) throw ShapeError("cat: shape " + shape_str(s) + " does not match " + shape_str(s0) + " outside dimension " + std::to_string(dim));
    out_shape[dim] += s[dim];
  }
  Tensor out = Tensor::empty(out_shape, xs[0].dtype());
  const Split3 p = split3(out_shape, dim);
  std::int64_t start = 0;
  for (const auto& x : xs) {
    const auto len = x.size(dim);
    copy_block(x, len, 0, out, p.mid, start, len, p.outer, p.inner);
    start += len;
  }
  auto node = std::make_shared<CatNode>();
  node->inputs = xs;
  node->dim = dim;
  autograd::record(node, {&out});
  return out;
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  dim = norm_dim(dim, x.dim(), "narrow");
  const Split3 p = split3(x.shape(), dim);
  if (start < 0 || length < 0 || start + length > p.mid)
    throw ShapeError("narrow: [" + std::to_string(start) + ", " + std::to_string(start + length) + ") is outside dimension " +
                     std::to_string(dim) + " of shape " + shape_str(x.shape()));
  Shape s = x.shape();
  s[dim] = length;
  Tensor out = Tensor::empty(s, x.dtype());
  copy_block(x, p.mid, start, out, length, 0, length, p.outer, p.inner);
  auto node = std::make_shared<NarrowNode>();
  node->inputs = {x};
  node->dim = dim;
  node->start = start;
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
