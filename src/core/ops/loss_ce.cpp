// cross_entropy and sequence_cross_entropy: one op over logits seen as (outer, C, inner).
#include <algorithm>
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "core/dispatch.hpp"
#include "core/ops/loss_common.hpp"

namespace birnn {

namespace {

using loss_detail::Upstream;

// Element e = o * inner + i; its logit of class c is at (o * C + c) * inner + i.
// (N, C, d...) layout: outer = N, inner = prod(d). Classes last (T, B, C): outer = T * B, inner = 1.
struct CEProblem {
  std::int64_t outer = 1, C = 1, inner = 1;
  Shape elem;                         // the targets' shape
  std::vector<std::int64_t> target;   // per element; -1 = not counted (masked or ignore_index)
  std::vector<double> weight;         // (C) class weights, empty = all 1
  double eps = 0;                     // label smoothing
  Reduction reduction = Reduction::mean;
  double denom = 0;                   // mean's denominator: sum of w[y] over counted elements
  std::vector<double> lse;            // per element: log-sum-exp of its logits

  double w(std::int64_t c) const { return weight.empty() ? 1.0 : weight[static_cast<std::size_t>(c)]; }
  std::int64_t at(std::int64_t e, std::int64_t c) const { return ((e / inner) * C + c) * inner + e % inner; }
};

struct CrossEntropyNode : autograd::Node {
  CEProblem pb;
  const char* name() const override { return "cross_entropy"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    // d loss_e / d z_c = (1 - eps) w[y] (p_c - [c = y]) + eps / C (W p_c - w[c]),  W = sum_c w[c]
    const Tensor& logits = inputs[0];
    Tensor d = Tensor::zeros(logits.shape(), logits.dtype());
    const Upstream up(g[0], pb.reduction, pb.denom);
    double W = 0;
    for (std::int64_t c = 0; c < pb.C; ++c) W += pb.w(c);
    dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
      using T = decltype(tag);
      const T* z = logits.data<T>();
      T* dz = d.data<T>();
      for (std::int64_t e = 0; e < static_cast<std::int64_t>(pb.target.size()); ++e) {
        const std::int64_t y = pb.target[static_cast<std::size_t>(e)];
        if (y < 0) continue;
        const double u = up(e), lse = pb.lse[static_cast<std::size_t>(e)], wy = pb.w(y);
        for (std::int64_t c = 0; c < pb.C; ++c) {
          const double p = std::exp(static_cast<double>(z[pb.at(e, c)]) - lse);
          const double gc = (1 - pb.eps) * wy * (p - (c == y ? 1.0 : 0.0)) + pb.eps / static_cast<double>(pb.C) * (W * p - pb.w(c));
          dz[pb.at(e, c)] = static_cast<T>(u * gc);
        }
      }
    });
    return {d};
  }
};

Tensor cross_entropy_impl(const Tensor& logits, const Tensor& targets, CEProblem pb, const CrossEntropyOptions& o,
                          const Tensor& lengths, const std::string& op) {
  dispatch_floating(logits.dtype(), op.c_str(), [](auto) {});
  check_dtype(targets, DType::i64, op + " targets (class ids)");
  if (targets.shape() != pb.elem)
    throw ShapeError(op + ": targets must have shape " + shape_str(pb.elem) + " for logits " + shape_str(logits.shape()) +
                     ", got " + shape_str(targets.shape()));
  if (!(o.label_smoothing() >= 0.0 && o.label_smoothing() <= 1.0))
    throw OptionError(op + ": label_smoothing must be in [0, 1], got " + std::to_string(o.label_smoothing()));
  if (o.weight().defined()) {
    check_shape(o.weight(), {pb.C}, op + " weight (one per class)");
    if (o.weight().dtype() == DType::i64) throw ShapeError(op + ": weight must be float32 or float64, got int64");
    pb.weight = o.weight().to_double_vector();
  }
  pb.eps = o.label_smoothing();
  pb.reduction = o.reduction();

  const auto counted = loss_detail::counted_elements(pb.elem, o.mask(), lengths, o.batch_first(), op);
  const std::int64_t n = shape_numel(pb.elem);
  const std::int64_t* y = targets.data<std::int64_t>();
  pb.target.assign(static_cast<std::size_t>(n), -1);
  for (std::int64_t e = 0; e < n; ++e) {
    if (!counted[static_cast<std::size_t>(e)] || y[e] == o.ignore_index()) continue;
    if (y[e] < 0 || y[e] >= pb.C)
      throw ShapeError(op + ": targets" + loss_detail::position_str(pb.elem, e) + " = " + std::to_string(y[e]) +
                       " is not a class id in 0.." + std::to_string(pb.C - 1) + " (nor ignore_index " +
                       std::to_string(o.ignore_index()) + ")");
    pb.target[static_cast<std::size_t>(e)] = y[e];
  }

  std::vector<double> values(static_cast<std::size_t>(n), 0.0);
  pb.lse.assign(static_cast<std::size_t>(n), 0.0);
  dispatch_floating(logits.dtype(), op.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T* z = logits.data<T>();
    for (std::int64_t e = 0; e < n; ++e) {
      const std::int64_t t = pb.target[static_cast<std::size_t>(e)];
      if (t < 0) continue;
      double mx = -INFINITY;
      for (std::int64_t c = 0; c < pb.C; ++c) mx = std::max(mx, static_cast<double>(z[pb.at(e, c)]));
      double se = 0;
      for (std::int64_t c = 0; c < pb.C; ++c) se += std::exp(static_cast<double>(z[pb.at(e, c)]) - mx);
      const double lse = mx + std::log(se);
      double smooth = 0;  // -sum_c w[c] log p_c
      if (pb.eps != 0)
        for (std::int64_t c = 0; c < pb.C; ++c) smooth -= pb.w(c) * (static_cast<double>(z[pb.at(e, c)]) - lse);
      const double nll = -pb.w(t) * (static_cast<double>(z[pb.at(e, t)]) - lse);
      values[static_cast<std::size_t>(e)] = (1 - pb.eps) * nll + pb.eps / static_cast<double>(pb.C) * smooth;
      pb.lse[static_cast<std::size_t>(e)] = lse;
      pb.denom += pb.w(t);
    }
  });
  Tensor out = loss_detail::reduce(values, pb.elem, logits.dtype(), pb.reduction, pb.denom);
  auto node = std::make_shared<CrossEntropyNode>();
  node->inputs = {logits};
  node->pb = std::move(pb);
  autograd::record(node, {&out});
  return out;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& o) {
  const std::string op = "cross_entropy";
  CEProblem pb;
  if (logits.dim() == 0) throw ShapeError(op + ": logits must be (C), (N, C) or (N, C, d...), got a scalar");
  if (logits.dim() == 1) {
    pb.C = logits.size(0);  // unbatched: one element, targets ()
  } else {
    pb.outer = logits.size(0), pb.C = logits.size(1);
    pb.inner = logits.numel() / std::max<std::int64_t>(1, pb.outer * pb.C);
    pb.elem = logits.shape();
    pb.elem.erase(pb.elem.begin() + 1);
  }
  if (pb.C < 1) throw ShapeError(op + ": logits " + shape_str(logits.shape()) + " have no classes");
  return cross_entropy_impl(logits, targets, std::move(pb), o, o.lengths(), op);
}

Tensor sequence_cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& lengths, const CrossEntropyOptions& o) {
  const std::string op = "sequence_cross_entropy";
  if (logits.dim() != 3)
    throw ShapeError(op + ": logits must be " + (o.batch_first() ? "(B, T, C)" : "(T, B, C)") + ", got " + shape_str(logits.shape()));
  if (lengths.defined() && o.lengths().defined())
    throw OptionError(op + ": lengths given twice (as an argument and in the options); give them once");
  CEProblem pb;
  pb.outer = logits.size(0) * logits.size(1), pb.C = logits.size(2), pb.inner = 1;
  pb.elem = {logits.size(0), logits.size(1)};
  if (pb.C < 1) throw ShapeError(op + ": logits " + shape_str(logits.shape()) + " have no classes");
  return cross_entropy_impl(logits, targets, std::move(pb), o, lengths.defined() ? lengths : o.lengths(), op);
}

}  // namespace birnn
