#include "birnn/threads.hpp"

#include <omp.h>

#include <atomic>

#include "core/flush_to_zero.hpp"
#include "kernels/pointwise.hpp"

namespace birnn {

namespace {
std::atomic<bool> g_configured{false};

void apply(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  enable_flush_to_zero();
#pragma omp parallel num_threads(n)
  enable_flush_to_zero();
}
}  // namespace

// A static initializer would not run from a static library unless something referenced this file, so
// the layers call this instead: the first call applies the default (all cores, FTZ/DAZ everywhere).
void ensure_threads_configured() {
  if (!g_configured.exchange(true) && !omp_in_parallel()) apply(omp_get_max_threads());
  enable_flush_to_zero();
}

void set_num_threads(int n) {
  g_configured = true;  // an explicit setting wins over the default
  apply(n);
}

int num_threads() { return omp_get_max_threads(); }
const char* simd_target() { return kernels::simd_target_name(); }

}  // namespace birnn
