#include "core/ops/loss_common.hpp"

#include <algorithm>
#include <limits>

#include "core/dispatch.hpp"

namespace birnn {

Reduction reduction_from_string(const std::string& name) {
  if (name == "none") return Reduction::none;
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  throw OptionError("reduction must be \"none\", \"mean\" or \"sum\", got \"" + name + "\"");
}

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::none: return "none";
    case Reduction::mean: return "mean";
    case Reduction::sum: return "sum";
  }
  return "?";
}

namespace loss_detail {

std::string position_str(const Shape& s, std::int64_t i) {
  std::vector<std::int64_t> idx(s.size());
  for (std::size_t d = s.size(); d-- > 0;) {
    idx[d] = s[d] ? i % s[d] : 0;
    i = s[d] ? i / s[d] : 0;
  }
  std::string out = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) out += (d ? ", " : "") + std::to_string(idx[d]);
  return out + "]";
}

std::vector<unsigned char> counted_elements(const Shape& elem, const Tensor& mask, const Tensor& lengths, bool batch_first,
                                            const std::string& op) {
  const std::int64_t n = shape_numel(elem);
  std::vector<unsigned char> counted(static_cast<std::size_t>(n), 1);
  if (mask.defined()) {
    const Shape& ms = mask.shape();
    if (ms.size() > elem.size() || !std::equal(ms.begin(), ms.end(), elem.begin()))
      throw ShapeError(op + ": mask of shape " + shape_str(ms) + " must match the leading dimensions of the elements " +
                       shape_str(elem));
    const std::int64_t inner = mask.numel() ? n / mask.numel() : 0;  // elements each mask entry covers
    const std::vector<double> m = mask.to_double_vector();
    for (std::int64_t i = 0; i < n; ++i)
      if (m[static_cast<std::size_t>(i / inner)] == 0) counted[static_cast<std::size_t>(i)] = 0;
  }
  if (lengths.defined()) {
    if (elem.size() < 2)
      throw ShapeError(op + ": lengths need elements shaped (T, B, ...) or (B, T, ...), got " + shape_str(elem));
    const std::int64_t T = batch_first ? elem[1] : elem[0], B = batch_first ? elem[0] : elem[1];
    check_dtype(lengths, DType::i64, op + " lengths");
    check_shape(lengths, {B}, op + " lengths (one per batch item)");
    const std::int64_t* L = lengths.data<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b)
      if (L[b] < 1 || L[b] > T)
        throw ShapeError(op + ": lengths[" + std::to_string(b) + "] = " + std::to_string(L[b]) + ": each length must be in 1.." +
                         std::to_string(T));
    const std::int64_t inner = T * B != 0 ? n / (T * B) : 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t row = inner ? i / inner : 0;  // (t, b) or (b, t) flattened
      const std::int64_t t = batch_first ? row % T : row / B, b = batch_first ? row / T : row % B;
      if (t >= L[b]) counted[static_cast<std::size_t>(i)] = 0;
    }
  }
  return counted;
}

Tensor reduce(const std::vector<double>& values, const Shape& elem, DType dtype, Reduction r, double denom) {
  Tensor out = Tensor::empty(r == Reduction::none ? elem : Shape{}, dtype);
  dispatch_floating(dtype, "loss", [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    if (r == Reduction::none) {
      for (std::size_t i = 0; i < values.size(); ++i) o[i] = static_cast<T>(values[i]);
      return;
    }
    double s = 0;
    for (double v : values) s += v;
    if (r == Reduction::mean) s = denom != 0 ? s / denom : std::numeric_limits<double>::quiet_NaN();
    o[0] = static_cast<T>(s);
  });
  return out;
}

Upstream::Upstream(const Tensor& g, Reduction r, double denom) {
  if (r == Reduction::none) {
    g_ = g.to_double_vector();
    per_element_ = true;
  } else {
    s_ = g.item();
    if (r == Reduction::mean) s_ = denom != 0 ? s_ / denom : 0.0;  // nothing counted: every gradient is 0
  }
}

std::vector<Tensor> ElementwiseLossNode::backward(const std::vector<Tensor>& g) {
  const Tensor &x = inputs[0], &y = inputs[1];
  std::vector<Tensor> r(2);
  if (needs_grad(0)) r[0] = Tensor::zeros(x.shape(), x.dtype());
  if (needs_grad(1)) r[1] = Tensor::zeros(x.shape(), x.dtype());
  const Upstream up(g[0], reduction, denom);
  dispatch_floating(x.dtype(), name(), [&](auto tag) {
    using T = decltype(tag);
    const T *xv = x.data<T>(), *yv = y.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (!counted[k]) continue;
      double dx = 0, dy = 0;
      gradients(k, up(i), xv[i], yv[i], r[0].defined() ? &dx : nullptr, r[1].defined() ? &dy : nullptr);
      if (r[0].defined()) r[0].data<T>()[i] = static_cast<T>(dx);
      if (r[1].defined()) r[1].data<T>()[i] = static_cast<T>(dy);
    }
  });
  return r;
}

Tensor record_loss(const std::shared_ptr<ElementwiseLossNode>& node, const Tensor& input, const Tensor& target) {
  std::vector<double> values(static_cast<std::size_t>(input.numel()), 0.0);
  dispatch_floating(input.dtype(), node->name(), [&](auto tag) {
    using T = decltype(tag);
    const T *x = input.data<T>(), *y = target.data<T>();
    for (std::int64_t i = 0; i < input.numel(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (!node->counted[k]) continue;
      values[k] = node->value(k, x[i], y[i]);
      node->denom += 1;
    }
  });
  Tensor out = reduce(values, input.shape(), input.dtype(), node->reduction, node->denom);
  node->inputs = {input, target};
  autograd::record(node, {&out});
  return out;
}

std::vector<double> broadcast_to(const Tensor& w, const Shape& shape, const std::string& what) {
  if (!w.defined()) return {};
  const Shape& ws = w.shape();
  bool ok = ws.size() <= shape.size();
  for (std::size_t k = 0; ok && k < ws.size(); ++k) {
    const std::int64_t a = ws[ws.size() - 1 - k], b = shape[shape.size() - 1 - k];
    ok = a == b || a == 1;
  }
  if (!ok) throw ShapeError(what + " of shape " + shape_str(ws) + " does not broadcast to " + shape_str(shape));
  if (w.dtype() == DType::i64) throw ShapeError(what + " must be float32 or float64, got int64");
  // Right-aligned strides of w, 0 along broadcast dimensions.
  const std::size_t nd = shape.size(), off = nd - ws.size();
  std::vector<std::int64_t> stride(nd, 0);
  std::int64_t s = 1;
  for (std::size_t k = ws.size(); k-- > 0;) {
    stride[off + k] = ws[k] == 1 ? 0 : s;
    s *= ws[k];
  }
  const std::vector<double> src = w.to_double_vector();
  const std::int64_t n = shape_numel(shape);
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rest = i, at = 0;
    for (std::size_t d = nd; d-- > 0;) {
      at += (rest % shape[d]) * stride[d];
      rest /= shape[d];
    }
    out[static_cast<std::size_t>(i)] = src[static_cast<std::size_t>(at)];
  }
  return out;
}

}  // namespace loss_detail
}  // namespace birnn
