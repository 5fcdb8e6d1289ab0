// What one training step of a CellModel costs, measured: forward and backward time per batch (medians
// of several repetitions, std::chrono::steady_clock), training throughput, and peak tensor memory.
//
// What is measured, exactly:
//   forward_ms   the forward pass in training mode with autograd recording (what training pays), plus the
//                MSE loss against a zero target; median over `reps` repetitions after `warmup` ones.
//   backward_ms  loss.backward() alone (BPTT through the layer and the head), same repetitions.
//   tokens_per_s B*T / (forward + backward) seconds: time steps of training per second.
//   peak_bytes   the highest tensor_bytes_live() (memory.hpp) during one forward + backward, minus what was
//                live before it (inputs and parameters excluded): activations and state saved for
//                backward, and gradients. The block cache's spare blocks and malloc overhead are not counted;
//                the process's peak RSS is not used (it is a process-wide high-water mark).
//   cpu_share    process CPU time / wall time while timing: flags a busy machine.
#pragma once
#include <cstdint>
#include <cstddef>
#include <vector>

#include "birnn/compare/cells.hpp"

namespace birnn::compare {

struct CostOptions {
  std::int64_t seq_len = 100, batch = 64, input_size = 2, hidden_size = 128;
  int reps = 5, warmup = 1;
  std::uint64_t seed = 1;
};

struct CellCost {
  CellVariant variant;
  std::int64_t parameters = 0;            ///< whole model (recurrent layer + head)
  std::int64_t recurrent_parameters = 0;  ///< the recurrent layer alone
  double forward_ms = 0, backward_ms = 0, tokens_per_s = 0;
  std::size_t peak_bytes = 0;
  /// Process CPU time / wall time over the timed repetitions: ~1 per thread on a quiet machine; well below
  /// the thread count means the machine was busy and the times are inflated.
  double cpu_share = 0;
};

/// Builds the variant with options' sizes (seeded), times it on random inputs and returns the costs.
CellCost measure_cost(const CellVariant& v, const CostOptions& options);
/// The same for several variants, interleaved: repetition r of every variant runs before repetition r+1
/// of any, so a busy spell on a shared machine hits all of them alike (as bench/compare.py does).
std::vector<CellCost> measure_costs(const std::vector<CellVariant>& variants, const CostOptions& options);

/// Median of a non-empty sample (mean of the two middle values for an even count).
double median_of(std::vector<double> v);

}  // namespace birnn::compare
