// One recurrent layer (one or both directions) over a packed batch as a single autograd op: forward
// saves what BPTT needs, backward runs BPTT over the whole sequence in one call.
#pragma once
#include <memory>
#include <vector>

#include "birnn/rnn.hpp"
#include "kernels/gemm_bf16.hpp"
#include "nn/packing.hpp"

namespace birnn::nn {

struct LayerSpec {
  CellKind cell = CellKind::lstm;
  std::int64_t input_size = 0, hidden_size = 0, proj_size = 0, directions = 1;
  bool bias = true;
};

/// Parameters of one direction, in PyTorch's shapes (G = gates, H_out = proj_size or H):
/// w_ih (G*H, I), w_hh (G*H, H_out), b_ih (G*H) and b_hh (G*H) if bias, w_hr (H_out, H) if proj.
/// bf16 packs of the same weights, for inference. GRU reset-before multiplies W_hh in two parts:
/// w_hh then holds rows [0, 2H) and w_hh_n rows [2H, 3H); otherwise w_hh is all of W_hh.
struct Bf16Params {
  kernels::PackedBf16 w_ih, w_hh, w_hh_n, w_hr;
};
struct DirectionParams {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
  std::shared_ptr<const Bf16Params> bf16;  ///< set: run the weight GEMMs in bf16 unless gradients are recorded
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
