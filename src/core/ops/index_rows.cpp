#include <cstring>

#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "core/dispatch.hpp"

namespace birnn {

namespace {

// out: (rows.size(), C)  x: (R, C)  rows[k] in [0, R) or -1 (zero row)
template <class T>
void gather(const T* x, std::int64_t C, const std::vector<std::int64_t>& rows, T* out) {
  for (std::size_t k = 0; k < rows.size(); ++k) {
    T* o = out + static_cast<std::int64_t>(k) * C;
    if (rows[k] < 0) std::memset(o, 0, sizeof(T) * static_cast<std::size_t>(C));
    else std::memcpy(o, x + rows[k] * C, sizeof(T) * static_cast<std::size_t>(C));
  }
}

struct GatherRowsNode : autograd::Node {
  std::shared_ptr<const std::vector<std::int64_t>> rows;
  Shape in_shape;
  const char* name() const override { return "gather_rows"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    Tensor dx = Tensor::zeros(in_shape, g[0].dtype());
    const std::int64_t C = in_shape[1];
    dispatch_floating(dx.dtype(), "gather_rows", [&](auto tag) {
      using T = decltype(tag);
      const T* go = g[0].data<T>();
      T* d = dx.data<T>();
      for (std::size_t k = 0; k < rows->size(); ++k) {
        const auto r = (*rows)[k];
        if (r < 0) continue;
        for (std::int64_t c = 0; c < C; ++c) d[r * C + c] += go[static_cast<std::int64_t>(k) * C + c];
      }
    });
    return {dx};
  }
};

}  // namespace

Tensor gather_rows(const Tensor& x, std::shared_ptr<const std::vector<std::int64_t>> rows) {
  if (x.dim() != 2) throw ShapeError("gather_rows: expected a 2-D tensor, got shape " + shape_str(x.shape()));
  const std::int64_t R = x.size(0), C = x.size(1);
  for (auto r : *rows)
    if (r < -1 || r >= R) throw ShapeError("gather_rows: row index " + std::to_string(r) + " out of range for " + std::to_string(R) + " rows");
  Tensor out = Tensor::empty({static_cast<std::int64_t>(rows->size()), C}, x.dtype());
  dispatch_floating(x.dtype(), "gather_rows", [&](auto tag) {
    using T = decltype(tag);
    gather(x.data<T>(), C, *rows, out.data<T>());
  });
  auto node = std::make_shared<GatherRowsNode>();
  node->inputs = {x};
  node->rows = std::move(rows);
  node->in_shape = x.shape();
  autograd::record(node, {&out});
  return out;
}

}  // namespace birnn
