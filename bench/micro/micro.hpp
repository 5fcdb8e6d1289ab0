// Shared by the kernel micro-benchmarks (bench/micro/*_bench.cpp): the single-core peaks measured at the
// start of the run (micro_main.cpp) and the counters every benchmark reports.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace birnn::micro {

/// Measured once per run, before any benchmark, on the calling thread (CPU time, best of several).
struct Peaks {
  double sgemm_flops = 0;  ///< flop/s of the best 1024x1024x1024 sgemm (the GEMM backend, 1 thread)
  double read_bytes = 0;   ///< bytes/s of the best read-only sweep (sum_floats) over 512 KB, which stays in L2
};
const Peaks& peaks();

/// Wraps a benchmark's timed loop and turns its thread CPU time into the reported counters:
///   GFLOPS, pct_peak (of Peaks::sgemm_flops); with bytes > 0 also GBps and pct_bw (of Peaks::read_bytes).
/// CPU time rather than wall time because the machine is shared: time spent descheduled does not count.
class Meter {
 public:
  explicit Meter(benchmark::State& state);
  /// Call after the loop; flops and bytes are per iteration.
  void report(double flops, double bytes = 0);

 private:
  benchmark::State& state_;
  double cpu0_;
};

/// Sum of n floats with the widest SIMD this CPU has (read_sweep.cpp): the read-bandwidth reference.
float sum_floats(const float* p, std::size_t n);

/// Thread CPU time in seconds.
double thread_cpu_seconds();

/// n floats uniform in [lo, hi), reproducible from seed.
std::vector<float> random_floats(std::size_t n, unsigned seed, float lo = -1.f, float hi = 1.f);

}  // namespace birnn::micro
