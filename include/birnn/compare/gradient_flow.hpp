// Gradient flow through time: how much of the loss's gradient reaches input step t, against the distance
// d = T-1-t from the read-out at the last step. The vanishing-gradient picture: for a plain tanh RNN it
// decays roughly exponentially with d; LSTM and GRU (additive, gated state paths) decay much more slowly.
//
// Measured: x is a leaf with requires_grad; L = sum over the batch of each item's squared error at the
// read-out (so item b's gradient comes from its own loss only); one backward gives dL/dx, and for each
// distance d the norm ||dL/dx_t[b]|| over the features is averaged over the batch.
//
// Why the input and not the hidden state: birnn runs a whole layer as one autograd op, so h_t is not a
// node of the graph. It is the same picture: dL/dx_t = dL/dh_t * dh_t/dx_t, and dh_t/dx_t is one step's
// Jacobian (e.g. diag(1 - h_t^2) W_ih for the RNN), which does not grow or shrink with the distance; what
// decays with d is dL/dh_t = dL/dh_{T-1} * prod of the T-1-t step Jacobians dh_{k+1}/dh_k.
// For a bidirectional cell the reverse direction reads x_t after t steps, so its curve rises again at
// large d (small t); the vanishing-gradient claim is judged on the unidirectional cells.
#pragma once
#include <cstdint>
#include <vector>

#include "birnn/compare/adding.hpp"
#include "birnn/compare/cells.hpp"

namespace birnn::compare {

struct GradientFlow {
  /// norms[d] = batch mean of ||dL/dx_{T-1-d}||, d = 0..T-1.
  std::vector<double> norms;
  /// norms[T-1] / norms[0]: the fraction of the gradient that survives the whole sequence.
  double far_over_near() const;
};

/// Gradient of the summed squared error on `data` with respect to every input step (no parameter
/// gradients are kept: the model's gradients are zeroed after).
GradientFlow gradient_flow(CellModel& model, const AddingData& data);

}  // namespace birnn::compare
