// Checking a ready model's inputs, lengths and labels before the forward pass, with messages that name the model,
// the tensor, the expected shape and the first bad entry (shared by the models in src/models/).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "birnn/autograd.hpp"
#include "birnn/error.hpp"
#include "birnn/tensor.hpp"

namespace birnn::model_checks {

/// lengths: undefined (every item is full), or int64 (B) with lo <= lengths[b] <= T. Messages start with `who`:
/// "<who>: lengths must be (B), got ...", "<who>: lengths[b] = l is outside [lo, T]<note>".
inline void check_lengths(const Tensor& lengths, std::int64_t B, std::int64_t T, const std::string& who, std::int64_t lo = 1,
                          const std::string& note = "") {
  if (!lengths.defined()) return;
  if (lengths.dim() != 1 || lengths.size(0) != B)
    throw ShapeError(who + ": lengths must be (" + std::to_string(B) + "), got " + shape_str(lengths.shape()));
  check_dtype(lengths, DType::i64, who + " lengths");
  const std::int64_t* p = lengths.data<std::int64_t>();
  for (std::int64_t b = 0; b < B; ++b)
    if (p[b] < lo || p[b] > T)
      throw ShapeError(who + ": lengths[" + std::to_string(b) + "] = " + std::to_string(p[b]) + " is outside [" +
                       std::to_string(lo) + ", " + std::to_string(T) + "]" + note);
}

/// ids (B, T) int64 with B, T >= 1; lengths undefined or int64 (B) in 1..T. Messages start with `who`.
inline void check_ids_and_lengths(const Tensor& ids, const Tensor& lengths, const std::string& who) {
  if (!ids.defined()) throw ShapeError(who + ": ids are undefined, expected int64 (B, T)");
  check_dtype(ids, DType::i64, who + " ids");
  if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
    throw ShapeError(who + ": ids must be (B, T) with B, T >= 1, got " + shape_str(ids.shape()));
  if (!lengths.defined()) return;
  check_dtype(lengths, DType::i64, who + " lengths");
  if (lengths.dim() != 1 || lengths.size(0) != ids.size(0))
    throw ShapeError(who + ": lengths must be (" + std::to_string(ids.size(0)) + ") for ids " + shape_str(ids.shape()) +
                     ", got " + shape_str(lengths.shape()));
  for (std::int64_t b = 0; b < lengths.size(0); ++b) {
    const std::int64_t l = lengths.data<std::int64_t>()[b];
    if (l < 1 || l > ids.size(1))
      throw ShapeError(who + ": lengths[" + std::to_string(b) + "] = " + std::to_string(l) + " is outside 1.." +
                       std::to_string(ids.size(1)));
  }
}

/// labels: int64 (B), each a class id in 0..C-1. Messages start with `who`.
inline void check_class_labels(const Tensor& labels, std::int64_t B, std::int64_t C, const std::string& who) {
  if (!labels.defined()) throw ShapeError(who + ": labels are undefined, expected int64 (" + std::to_string(B) + ")");
  check_dtype(labels, DType::i64, who + " labels");
  if (labels.dim() != 1 || labels.size(0) != B)
    throw ShapeError(who + ": labels must be (" + std::to_string(B) + "), got " + shape_str(labels.shape()));
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t y = labels.data<std::int64_t>()[b];
    if (y < 0 || y >= C)
      throw ShapeError(who + ": labels[" + std::to_string(b) + "] = " + std::to_string(y) + " is outside 0.." + std::to_string(C - 1));
  }
}

/// logits (B, C) -> int64 (B): the first index of each row's largest value.
inline Tensor argmax_rows(const Tensor& logits) {
  NoGradGuard ng;
  const Tensor l = logits.to(DType::f64);
  const std::int64_t B = l.size(0), C = l.size(1);
  std::vector<std::int64_t> out(static_cast<std::size_t>(B));
  const double* v = l.data<double>();
  for (std::int64_t b = 0; b < B; ++b) {
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < C; ++c)
      if (v[b * C + c] > v[b * C + best]) best = c;
    out[static_cast<std::size_t>(b)] = best;
  }
  return Tensor::from_vector(out, {B});
}

/// The fraction of predictions pred (B) int64 equal to labels (B) int64.
inline double fraction_equal(const Tensor& pred, const Tensor& labels) {
  std::int64_t hits = 0;
  for (std::int64_t b = 0; b < pred.size(0); ++b) hits += pred.data<std::int64_t>()[b] == labels.data<std::int64_t>()[b];
  return static_cast<double>(hits) / static_cast<double>(pred.size(0));
}

}  // namespace birnn::model_checks
