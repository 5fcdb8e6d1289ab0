// Differentiable tensor ops. Each records one autograd node (unless in NoGradGuard) and has a
// float64 gradient check in tests/unit/. float32 and float64 inputs are accepted; int64 is data only.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "birnn/loss.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

// ---- shape ----
/// View with a new shape (same numel); -1 infers one dimension.
Tensor reshape(const Tensor& x, Shape shape);
/// Concatenation along `dim` (all other dimensions equal).
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim);
/// Elements [start, start + length) along `dim`.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
/// Row gather on a 2-D tensor: out[k] = x[rows[k]], or a zero row where rows[k] == -1.
/// Backward scatter-adds. This is how batches are packed for the RNN layers and unpacked after.
Tensor gather_rows(const Tensor& x, std::shared_ptr<const std::vector<std::int64_t>> rows);

// ---- arithmetic (same shapes; no broadcasting except where stated) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, double s);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
/// Sum of all elements, shape ().
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

// ---- layers as functions ----
/// x: (..., in)  weight: (out, in)  bias: (out) or undefined  ->  (..., out)   (torch.nn.functional.linear)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
/// Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when !training.
Tensor dropout(const Tensor& x, double p, bool training);
/// x: (R, F). Dropout on the listed rows only, the others set to zero: the same values and random draws as
/// gather_rows(dropout(gather_rows(x, rows)), back) with `back` putting each row where it came from, without
/// the copies. Rows must be distinct; !training keeps the listed rows as they are.
Tensor dropout_rows(const Tensor& x, const std::vector<std::int64_t>& rows, double p, bool training);

// Losses (cross_entropy, sequence_cross_entropy, binary_cross_entropy_with_logits, mse_loss) are in loss.hpp.

}  // namespace birnn
