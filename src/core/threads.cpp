#include "birnn/threads.hpp"

#include <omp.h>
#include <xmmintrin.h>

#include "kernels/pointwise.hpp"

namespace birnn {

namespace {
void enable_ftz_daz() { _mm_setcsr(_mm_getcsr() | 0x8040); }  // FTZ (bit 15) | DAZ (bit 6)

// Applies the default (all cores, FTZ/DAZ) once at load time so library users get it without a call.
struct DefaultThreads {
  DefaultThreads() { set_num_threads(0); }
} g_default_threads;
}  // namespace

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  enable_ftz_daz();
#pragma omp parallel num_threads(n)
  enable_ftz_daz();
}

int num_threads() { return omp_get_max_threads(); }
const char* simd_target() { return kernels::simd_target_name(); }

}  // namespace birnn
