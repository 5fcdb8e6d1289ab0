// What the losses share (private to the library): which elements count (mask + lengths), the
// reduction of per-element values, and the upstream factor each element gets in backward.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"

namespace birnn::loss_detail {

/// One flag per element of `elem` (row-major): 1 = counted. Combines
///   mask: shape = a leading part of elem, nonzero = counted (int64 or floating);
///   lengths: int64 (B), 1..T, over elem's leading (T, B) or (B, T) when batch_first.
/// Undefined mask and lengths: everything counts. Errors are ShapeErrors starting with `op`.
std::vector<unsigned char> counted_elements(const Shape& elem, const Tensor& mask, const Tensor& lengths, bool batch_first,
                                            const std::string& op);

/// "[1, 3]": the multi-index of flat element i of shape s (for error messages).
std::string position_str(const Shape& s, std::int64_t i);

/// values: one per element (0 where not counted). none: a tensor of shape elem; sum: their sum;
/// mean: their sum / denom (NaN when denom is 0, as torch's 0/0).
Tensor reduce(const std::vector<double>& values, const Shape& elem, DType dtype, Reduction r, double denom);

/// The gradient of the reduced loss w.r.t. element i's value, given the upstream gradient g.
class Upstream {
 public:
  Upstream(const Tensor& g, Reduction r, double denom);
  double operator()(std::int64_t i) const { return per_element_ ? g_[static_cast<std::size_t>(i)] : s_; }

 private:
  std::vector<double> g_;
  double s_ = 0;
  bool per_element_ = false;
};

/// w broadcast (numpy rules, right-aligned) to `shape`, as doubles; empty if w is undefined.
std::vector<double> broadcast_to(const Tensor& w, const Shape& shape, const std::string& what);

/// The node of a loss with one value per counted element of (input, target), two tensors of one shape,
/// then reduced (mse_loss, binary_cross_entropy_with_logits). A subclass gives element i's value and its
/// gradients; the loops, the reduction and the writing of only the needed gradients are here.
struct ElementwiseLossNode : autograd::Node {
  std::vector<unsigned char> counted;  // set before record_loss
  Reduction reduction = Reduction::mean;
  double denom = 0;  // the number of counted elements (set by record_loss)
  /// Element i's loss at x = input[i], y = target[i].
  virtual double value(std::size_t i, double x, double y) const = 0;
  /// u times d value / d x into *dx and u times d value / d y into *dy, each only if not null (u: element i's
  /// upstream factor).
  virtual void gradients(std::size_t i, double u, double x, double y, double* dx, double* dy) const = 0;
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override;
};

/// The reduced loss of node's values over input and target (of one shape, checked by the caller), with node
/// recorded as its grad_fn.
Tensor record_loss(const std::shared_ptr<ElementwiseLossNode>& node, const Tensor& input, const Tensor& target);

}  // namespace birnn::loss_detail
