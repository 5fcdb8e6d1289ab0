// Losses with the names, defaults and numbers of torch.nn.functional (PyTorch 1.13), float32 and float64,
// each differentiable through one autograd node with an analytic backward.
//
//   Tensor l = cross_entropy(logits, labels);                                     // (N, C), int64 (N): mean
//   Tensor l = cross_entropy(logits, labels, CrossEntropyOptions().label_smoothing(0.1).ignore_index(0));
//   Tensor l = sequence_cross_entropy(tag_logits, tags, lengths);                 // (T, B, C), (T, B), int64 (B)
//   Tensor l = binary_cross_entropy_with_logits(x, y, BCEWithLogitsOptions().pos_weight(pw));
//   Tensor l = mse_loss(pred, y, MSELossOptions().lengths(lengths));              // (T, B, F): padded steps skipped
//
// Masking. Every loss takes an optional element mask and optional lengths (both in its options):
//   - mask: a tensor whose shape is a leading part of the loss's element shape (the targets' shape for
//     cross_entropy, the input's for the others); each mask entry covers the trailing elements, so a
//     (T, B) mask applies to a (T, B, F) regression target. int64 or floating; nonzero = counted.
//   - lengths: int64 (B) with 1 <= lengths[b] <= T; the element shape then starts with (T, B), or with
//     (B, T) when batch_first(true), and steps t >= lengths[b] are masked.
// Masked elements contribute nothing: no loss, no gradient, and they are not in the mean's denominator
// (for weighted cross-entropy: their class weight is not in it). With reduction none they come out as 0.
// Target ids at masked positions are not checked (padding may hold anything).
#pragma once
#include <cstdint>
#include <string>

#include "birnn/tensor.hpp"

namespace birnn {

/// How a loss reduces its per-element values: none (same shape as the elements), sum, or mean (PyTorch's default).
enum class Reduction { none, mean, sum };
/// "none" | "mean" | "sum"; anything else throws OptionError.
Reduction reduction_from_string(const std::string& name);
const char* reduction_name(Reduction r);

/// Options every loss shares: the reduction and the mask (see the header comment).
template <class Derived>
class LossOptionsBase {
 public:
  /// none | mean | sum (default mean, as torch).
  Derived& reduction(Reduction v) { reduction_ = v; return self(); }
  /// Elements that count: shape = a leading part of the element shape; nonzero = counted. Undefined = all.
  Derived& mask(const Tensor& v) { mask_ = v; return self(); }
  /// int64 (B), each in 1..T: only the first lengths[b] steps of item b count. Undefined = all.
  Derived& lengths(const Tensor& v) { lengths_ = v; return self(); }
  /// lengths index an element shape (B, T, ...) instead of (T, B, ...); also the sequence_cross_entropy layout.
  Derived& batch_first(bool v) { batch_first_ = v; return self(); }

  Reduction reduction() const { return reduction_; }
  const Tensor& mask() const { return mask_; }
  const Tensor& lengths() const { return lengths_; }
  bool batch_first() const { return batch_first_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  Reduction reduction_ = Reduction::mean;
  Tensor mask_, lengths_;
  bool batch_first_ = false;
};

class CrossEntropyOptions : public LossOptionsBase<CrossEntropyOptions> {
 public:
  /// Class weights (C), any floating dtype; the mean then divides by the sum of the counted targets' weights.
  CrossEntropyOptions& weight(const Tensor& v) { weight_ = v; return *this; }
  /// Target id that is skipped (no loss, no gradient, not in the mean). Default -100, as torch.
  CrossEntropyOptions& ignore_index(std::int64_t v) { ignore_index_ = v; return *this; }
  /// eps in [0, 1]: the target becomes (1 - eps) one-hot + eps / C uniform (torch >= 1.10).
  CrossEntropyOptions& label_smoothing(double v) { label_smoothing_ = v; return *this; }

  const Tensor& weight() const { return weight_; }
  std::int64_t ignore_index() const { return ignore_index_; }
  double label_smoothing() const { return label_smoothing_; }

 private:
  Tensor weight_;
  std::int64_t ignore_index_ = -100;
  double label_smoothing_ = 0.0;
};

class BCEWithLogitsOptions : public LossOptionsBase<BCEWithLogitsOptions> {
 public:
  /// Rescales each element's loss; shape broadcastable to the input's trailing dimensions (e.g. (C)).
  BCEWithLogitsOptions& weight(const Tensor& v) { weight_ = v; return *this; }
  /// Weight of the positive term, per class: broadcastable like weight, usually (C) = #negatives / #positives.
  BCEWithLogitsOptions& pos_weight(const Tensor& v) { pos_weight_ = v; return *this; }

  const Tensor& weight() const { return weight_; }
  const Tensor& pos_weight() const { return pos_weight_; }

 private:
  Tensor weight_, pos_weight_;
};

class MSELossOptions : public LossOptionsBase<MSELossOptions> {};

/// Cross-entropy of logits against class ids (F.cross_entropy): log_softmax over dimension 1, then the
/// (optionally weighted, smoothed) negative log-likelihood.
///   logits (N, C) with targets int64 (N); logits (N, C, d1, ..., dk) with targets (N, d1, ..., dk);
///   logits (C) with a scalar target ().
/// Per element, with p = log_softmax(logits), w = weight (or 1), y = target, eps = label_smoothing:
///   loss = (1 - eps) * (-w[y] p[y]) + eps / C * sum_c (-w[c] p[c])
/// Reduction mean divides by sum of w[y] over counted elements (their number without weights); as in
/// torch it gives NaN (0/0) when nothing counts, with a zero gradient. reduction none: targets' shape.
/// Target ids outside [0, C) other than ignore_index throw ShapeError naming the position and the id.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& options = {});

/// Cross-entropy for taggers, classes in the last dimension: logits (T, B, C) with targets (T, B), or
/// (B, T, C) with (B, T) when options.batch_first(true). lengths: int64 (B), each in 1..T, or undefined
/// (all T); steps t >= lengths[b] are masked (together with options.mask(), if any; options.lengths()
/// must then be unset). Same per-element loss and reductions as cross_entropy; none gives (T, B) or (B, T).
Tensor sequence_cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& lengths = Tensor(),
                              const CrossEntropyOptions& options = {});

/// Sigmoid + binary cross-entropy in one stable expression (F.binary_cross_entropy_with_logits):
///   loss = w * [ (1 - y) x + (1 + (pw - 1) y) * (log(1 + exp(-|x|)) + max(-x, 0)) ]
/// input x and target y (probabilities in [0, 1]) have the same shape; w = weight, pw = pos_weight (or 1).
/// Gradients flow to input and target; weight and pos_weight are constants. Mean divides by the number
/// of counted elements (weights do not change it, as in torch).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& options = {});

/// (input - target)^2 (F.mse_loss); same shapes; gradients flow to both.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& options = {});

}  // namespace birnn
