// Shared helpers for the RNN layer tests: configuration names and random float64 inputs.
#pragma once
#include <string>

#include "birnn/birnn.hpp"
#include "unit/gradcheck.hpp"

namespace birnn::testing {

inline RecurrentConfig make_config(CellKind cell, std::int64_t I, std::int64_t H, std::int64_t layers, bool bi,
                                   std::int64_t proj = 0, bool bias = true, bool batch_first = false) {
  RecurrentConfig c;
  c.cell = cell;
  c.input_size = I;
  c.hidden_size = H;
  c.num_layers = layers;
  c.bidirectional = bi;
  c.proj_size = proj;
  c.bias = bias;
  c.batch_first = batch_first;
  return c;
}

/// Random lengths in 1..T that include T and 1 (when B >= 2), in unsorted order.
inline Tensor ragged_lengths(std::int64_t B, std::int64_t T) {
  std::vector<std::int64_t> L(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) L[b] = 1 + (b * 7 + 3) % T;
  if (B >= 2) L[0] = 1, L[1] = T;
  if (B >= 3) std::swap(L[0], L[2]);
  return Tensor::from_vector(L, {B});
}

}  // namespace birnn::testing
