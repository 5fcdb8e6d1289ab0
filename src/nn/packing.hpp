// The packed layout every RNN layer runs on (PyTorch's PackedSequence): items sorted by length,
// longest first, time-major; step t holds rows [offsets[t], offsets[t] + batch_sizes[t]), one per item
// still running at t. Padding is never stored, so no work is done on it.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn::nn {

struct PackPlan {
  std::int64_t T = 0, B = 0, N = 0;         // N = packed rows = sum of lengths
  std::vector<std::int64_t> lengths;        // (B) in the caller's batch order
  std::vector<std::int64_t> order;          // sorted slot s -> caller's batch index (stable, longest first)
  std::vector<std::int64_t> batch_sizes;    // (T) items with length > t
  std::vector<std::int64_t> offsets;        // (T + 1) first packed row of step t; offsets[T] == N
  bool dense = false;                       // every length == T (order is then the identity)
};

/// Validates lengths (undefined tensor = all T): int64 of shape (B), each 1 <= length <= T.
std::shared_ptr<const PackPlan> make_pack_plan(std::int64_t T, std::int64_t B, const Tensor& lengths);

/// For each packed row, the row of the padded (T*B or B*T, C) input it comes from.
std::shared_ptr<const std::vector<std::int64_t>> packed_to_padded_rows(const PackPlan& p, bool batch_first);
/// For each padded row, its packed row or -1 (a padding row).
std::shared_ptr<const std::vector<std::int64_t>> padded_to_packed_rows(const PackPlan& p, bool batch_first);

}  // namespace birnn::nn
