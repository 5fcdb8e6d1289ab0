// Flush-to-zero / denormals-are-zero for the calling thread (MXCSR is per thread). Denormals slowed
// LSTMs by orders of magnitude in other libraries; every compute thread birnn starts sets this.
#pragma once
#include <xmmintrin.h>

namespace birnn {

inline void enable_flush_to_zero() { _mm_setcsr(_mm_getcsr() | 0x8040); }  // FTZ (bit 15) | DAZ (bit 6)

/// First call: applies the default thread setting (all cores, FTZ/DAZ in every OpenMP thread) unless
/// set_num_threads() was called; every call: FTZ/DAZ in the calling thread. Cheap; called by the layers.
void ensure_threads_configured();

}  // namespace birnn
