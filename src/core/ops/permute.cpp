// permute / transpose: a contiguous copy with reordered dimensions; backward applies the inverse order.
#include <cstring>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/ops/dims.hpp"

namespace birnn {

namespace {

// out[i_0, ..., i_n] = x[j] with j's coordinate along dims[k] equal to i_k. Element size es bytes.
void permute_copy(const Tensor& x, const std::vector<std::int64_t>& dims, Tensor& out) {
  const Shape& in = x.shape();
  const std::size_t nd = in.size(), es = dtype_size(x.dtype());
  std::vector<std::int64_t> in_stride(nd, 1);
  for (std::size_t d = nd; d-- > 1;) in_stride[d - 1] = in_stride[d] * in[d];
  std::vector<std::int64_t> stride(nd), size(nd);  // per output dim: its input stride and its size
  for (std::size_t k = 0; k < nd; ++k) stride[k] = in_stride[static_cast<std::size_t>(dims[k])], size[k] = in[static_cast<std::size_t>(dims[k])];
  const auto* src = static_cast<const unsigned char*>(x.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  std::vector<std::int64_t> idx(nd, 0);
  std::int64_t offset = 0;  // input element offset of the current output index
  const std::int64_t n = x.numel();
  for (std::int64_t o = 0; o < n; ++o) {
    std::memcpy(dst + static_cast<std::size_t>(o) * es, src + static_cast<std::size_t>(offset) * es, es);
    for (std::size_t k = nd; k-- > 0;) {  // odometer increment over the output index
      if (++idx[k] < size[k]) {
        offset += stride[k];
        break;
      }
      offset -= stride[k] * (size[k] - 1);
      idx[k] = 0;
    }
  }
}

struct PermuteNode : autograd::Node {
  std::vector<std::int64_t> inverse;
  const char* name() const override { return "permute"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override { return {permute(g[0].detach(), inverse)}; }
};

}  // namespace

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims_in) {
  const Shape& s = x.shape();
  if (dims_in.size() != s.size())
    throw ShapeError("permute: " + std::to_string(dims_in.size()) + " dimensions given for a tensor of shape " + shape_str(s));
  std::vector<std::int64_t> dims(dims_in.size()), inverse(dims_in.size(), -1);
  Shape os(s.size());
  for (std::size_t k = 0; k < dims.size(); ++k) {
    dims[k] = normalize_dim(dims_in[k], s, "permute");
    if (inverse[static_cast<std::size_t>(dims[k])] >= 0)
      throw ShapeError("permute: dimension " + std::to_string(dims[k]) + " appears twice");
    inverse[static_cast<std::size_t>(dims[k])] = static_cast<std::int64_t>(k);
    os[k] = s[static_cast<std::size_t>(dims[k])];
  }
  Tensor out = Tensor::empty(os, x.dtype());
  if (out.numel() > 0) permute_copy(x, dims, out);
  auto node = std::make_shared<PermuteNode>();
  node->inputs = {x};
  node->inverse = inverse;
  autograd::record(node, {&out});
  return out;
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  dim0 = normalize_dim(dim0, x.shape(), "transpose");
  dim1 = normalize_dim(dim1, x.shape(), "transpose");
  std::vector<std::int64_t> dims(x.shape().size());
  for (std::size_t k = 0; k < dims.size(); ++k) dims[k] = static_cast<std::int64_t>(k);
  std::swap(dims[static_cast<std::size_t>(dim0)], dims[static_cast<std::size_t>(dim1)]);
  return permute(x, dims);
}

}  // namespace birnn
