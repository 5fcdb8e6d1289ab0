// embedding: row lookup; backward scatter-adds into the table, skipping the padding row.
#include <cstring>

#include "birnn/autograd.hpp"
#include "birnn/layers_functional.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

// ids: (N) flat  weight: (V, D)  out: (N, D)
struct EmbeddingNode : autograd::Node {
  Tensor ids;
  std::int64_t padding_idx = -1;  // -1: none
  const char* name() const override { return "embedding"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    const std::int64_t V = inputs[0].size(0), D = inputs[0].size(1), N = ids.numel();
    Tensor dw = Tensor::zeros({V, D}, g[0].dtype());
    dispatch_floating(dw.dtype(), "embedding", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      const std::int64_t* id = ids.data<std::int64_t>();
      T* d = dw.data<T>();
      for (std::int64_t n = 0; n < N; ++n) {
        if (id[n] == padding_idx) continue;
        for (std::int64_t j = 0; j < D; ++j) d[id[n] * D + j] += go[n * D + j];
      }
    });
    return {dw};
  }
};

// "position (1, 2)" for flat index 5 of shape (2, 3): where a bad id sits, in the caller's coordinates.
std::string position_of(std::int64_t flat, const Shape& s) {
  std::vector<std::int64_t> idx(s.size());
  for (std::size_t k = s.size(); k-- > 0;) {
    idx[k] = flat % s[k];
    flat /= s[k];
  }
  std::string r = "(";
  for (std::size_t k = 0; k < idx.size(); ++k) r += (k ? ", " : "") + std::to_string(idx[k]);
  return r + ")";
}

}  // namespace

Tensor embedding(const Tensor& ids, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
  if (!ids.defined() || !weight.defined()) throw ShapeError("embedding: ids and weight must be given");
  check_dtype(ids, DType::i64, "embedding ids");
  if (weight.dim() != 2) throw ShapeError("embedding: weight must be (num_embeddings, embedding_dim), got " + shape_str(weight.shape()));
  const std::int64_t V = weight.size(0), D = weight.size(1), N = ids.numel();
  if (padding_idx && (*padding_idx < 0 || *padding_idx >= V))
    throw ShapeError("embedding: padding_idx " + std::to_string(*padding_idx) + " is not a row of the " + std::to_string(V) + "-row table");
  const std::int64_t* id = ids.data<std::int64_t>();
  for (std::int64_t n = 0; n < N; ++n)
    if (id[n] < 0 || id[n] >= V)
      throw ShapeError("embedding: id " + std::to_string(id[n]) + " at position " + position_of(n, ids.shape()) + " of the ids " +
                       shape_str(ids.shape()) + " is out of range for num_embeddings = " + std::to_string(V));
  Shape os = ids.shape();
  os.push_back(D);
  Tensor out = Tensor::empty(os, weight.dtype());
  dispatch_floating(weight.dtype(), "embedding", [&](auto tag) {
    using T = decltype(tag);
    const T* w = weight.data<T>();
    T* o = out.data<T>();
    for (std::int64_t n = 0; n < N; ++n) std::memcpy(o + n * D, w + id[n] * D, sizeof(T) * static_cast<std::size_t>(D));
  });
  auto node = std::make_shared<EmbeddingNode>();
  node->inputs = {weight};
  node->ids = ids.clone();  // a caller reusing its id buffer must not change the gradient
  node->padding_idx = padding_idx.value_or(-1);
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
