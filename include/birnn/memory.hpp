// Tensor memory accounting: bytes held by live tensor storage (what the tensors own, not what the
// allocator's block cache keeps for reuse), and the high-water mark since the last reset. The
// analogue of torch.cuda.memory_allocated / max_memory_allocated, for CPU tensors.
//
//   reset_peak_tensor_bytes();
//   auto before = tensor_bytes_live();
//   ... forward + backward ...
//   auto step_peak = peak_tensor_bytes() - before;   // activations, saved state, gradients
#pragma once
#include <cstddef>

namespace birnn {

/// Bytes of tensor storage alive now (all threads), each storage counted once with its 64-byte rounding.
std::size_t tensor_bytes_live();
/// Highest tensor_bytes_live() seen since the last reset_peak_tensor_bytes() (or program start).
std::size_t peak_tensor_bytes();
/// Sets the peak to the current live bytes.
void reset_peak_tensor_bytes();

}  // namespace birnn
