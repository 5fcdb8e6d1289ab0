// One thread setting for everything birnn runs (its own loops and oneDNN's GEMM share one OpenMP pool).
#pragma once

namespace birnn {

/// Sets the number of compute threads (n <= 0: all cores) and enables flush-to-zero /
/// denormals-are-zero in every compute thread (denormals slowed LSTMs 100x in other libraries).
void set_num_threads(int n);
int num_threads();
/// The SIMD instruction set the fused kernels dispatched to on this CPU (e.g. "AVX3_ZEN4").
const char* simd_target();

}  // namespace birnn
