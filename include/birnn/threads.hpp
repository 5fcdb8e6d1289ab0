// One thread setting for everything birnn runs (its own loops and oneDNN's GEMM share one OpenMP pool).
#pragma once

namespace birnn {

/// Sets the number of compute threads (n <= 0: all cores) and enables flush-to-zero /
/// denormals-are-zero in every compute thread (denormals slowed LSTMs 100x in other libraries).
/// How a recurrent layer uses them: the two directions of a bidirectional layer run at once; threads left over
/// cut each direction's batch into parts that run their steps on different cores; batches of 1-3 (too few
/// items to cut) cut the hidden units instead, with a barrier per step. Results match one thread up to float
/// rounding (tests/unit/test_rnn_threads.cpp: within 2e-5 relative, float64 within 1e-12).
void set_num_threads(int n);
int num_threads();
/// The SIMD instruction set the fused kernels dispatched to on this CPU (e.g. "AVX3_ZEN4").
const char* simd_target();

}  // namespace birnn
