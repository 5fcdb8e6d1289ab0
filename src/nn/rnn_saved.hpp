// The buffers a recurrent layer's forward leaves for BPTT and the per-step gradients BPTT fills, per
// direction, (N, ...) packed: shared by the layer (rnn_layer_op.cpp) and its units split (rnn_units_split.cpp).
#pragma once
#include "birnn/tensor.hpp"

namespace birnn::nn {

// What BPTT needs from the forward pass (training only).
struct Saved {
  Tensor gates;  // (N, G*H) gate activations
  Tensor hprev;  // (N, H_out) h before each step
  Tensor cprev;  // (N, H) LSTM: c before each step
  Tensor tc;     // (N, H) LSTM: tanh(c) after each step
  Tensor r;      // (N, H) LSTM with projection: o*tanh(c), the input of W_hr
  Tensor aux;    // (N, H) GRU: W_hn h + b_hn;  GRU reset-before: r*h
};

// Per-step gradients: BPTT fills them (part by part, or unit range by unit range), the weight gradients and
// the input gradient then read all their rows.
struct StepGrads {
  Tensor dG;     // (N, G*H) gradient w.r.t. the pre-activations (x W_ih^T + ...)
  Tensor dGh;    // (N, G*H) GRU: gradient w.r.t. W_hh h + b_hh
  Tensor dHall;  // (N, H_out) LSTM with projection: gradient w.r.t. each step's h
};

}  // namespace birnn::nn
