// Batches of 1-3 on several cores. Too few items to cut the batch (batch_parts.hpp), and each step is a
// matrix-vector product that streams all of W_hh (1 MB for LSTM H = 256): here the hidden units are cut
// instead. Each thread owns a range of units, with its rows of W_ih and W_hh (every gate of those units, so the
// gate pass is local too), and computes its part of h_t from the whole h_{t-1}; the threads meet at a barrier
// after each step. Each core then streams only its share of W_hh. BPTT runs the same way: each thread's gate
// gradients times its rows of W_hh give a partial dh_{t-1} of all units, and each thread sums the partials
// over its own units.
#pragma once
#include <cstdint>

#include "nn/batch_parts.hpp"
#include "nn/rnn_layer_op.hpp"
#include "nn/rnn_layer_common.hpp"

namespace birnn::nn {

/// Whether rnn_layer splits the units of this layer call: float, one direction at batch <= kMaxSplitBatch,
/// LSTM without projection, GRU (reset after) or RNN, H >= kMinSplitHidden, at least two threads, and not
/// bf16 inference (whose weights are packed whole). BIRNN_UNIT_SPLIT=0 turns it off (for A/B benchmarks).
bool units_split_applies(const LayerSpec& s, const PackPlan& p, bool training, bool bf16, int threads);

/// Larger batches are cut across the threads instead (split_batch: two items a part at least).
constexpr std::int64_t kMaxSplitBatch = 2 * kMinPartSlots - 1;

/// Below this hidden size a step's product is too short for a barrier per step to pay. Zen 1, LSTM B = 1,
/// T = 100, I = H, forward on 2 threads split / not split (1 thread): H = 32 0.145 / 0.129 ms (0.135),
/// H = 64 0.27 / 0.32-0.49 (0.36), H = 128 0.68 / 0.95 (1.15), H = 256 2.45 / 3.60 (4.38), H = 512 10.3 / 14.0
/// (17.0).
constexpr std::int64_t kMinSplitHidden = 64;

/// The forward of such a layer call on `threads` threads. x: (N, I) packed; h0, c0: (B, H) or null;
/// y: (N, H) packed; hn: (B, H); cn: (B, H) for LSTM (h0 to cn in the caller's batch order); save: what
/// BPTT needs (allocated, filled here), or null for inference.
void forward_units_split(const LayerSpec& s, const PackPlan& p, const float* x, const float* h0, const float* c0,
                         const DirectionParams& w, float* y, float* hn, float* cn, Saved* save, int threads);

/// BPTT of such a layer call: fills sg (dG, and dGh for GRU) and dh0 / dc0 (B, H, caller's order, or null)
/// from dy (N, H) and dhn / dcn (B, H), each or null. The weight gradients are the caller's (weight_grads).
void bptt_units_split(const LayerSpec& s, const PackPlan& p, const Saved& sv, const DirectionParams& w, const float* dy,
                      const float* dhn, const float* dcn, const StepGrads& sg, float* dh0, float* dc0, int threads);

}  // namespace birnn::nn
