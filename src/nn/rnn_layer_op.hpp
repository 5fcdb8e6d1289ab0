// One recurrent layer (one or both directions) over a packed batch as a single autograd op: forward
// saves what BPTT needs, backward runs BPTT over the whole sequence in one call.
#pragma once
#include <memory>
#include <vector>

#include "birnn/rnn.hpp"
#include "nn/packing.hpp"

namespace birnn::nn {

struct LayerSpec {
  CellKind cell = CellKind::lstm;
  std::int64_t input_size = 0, hidden_size = 0, proj_size = 0, directions = 1;
  bool bias = true;
};

/// Parameters of one direction, in PyTorch's shapes (G = gates, H_out = proj_size or H):
/// w_ih (G*H, I), w_hh (G*H, H_out), b_ih (G*H) and b_hh (G*H) if bias, w_hr (H_out, H) if proj.
struct DirectionParams {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};

struct LayerResult {
  Tensor y;    // (N, D*H_out) packed
  Tensor h_n;  // (D, B, H_out) in the caller's batch order
  Tensor c_n;  // (D, B, H) LSTM only
};

/// x: (N, I) packed as `plan` says; h0: (D, B, H_out) or undefined; c0: (D, B, H) or undefined.
LayerResult rnn_layer(const LayerSpec& spec, std::shared_ptr<const PackPlan> plan, const Tensor& x, const Tensor& h0,
                      const Tensor& c0, const std::vector<DirectionParams>& params);

}  // namespace birnn::nn
