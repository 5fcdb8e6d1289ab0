// Main of birnn_micro_bench: one thread, flush-to-zero, then the reference peaks every benchmark is
// reported against (measured here, in the same run, never hard-coded), then Google Benchmark.
//   build/bench/birnn_micro_bench [--benchmark_filter=REGEX] [--benchmark_min_time=S] [--benchmark_format=json]
#include <time.h>

#include <algorithm>
#include <random>
#include <string>

#include "birnn/threads.hpp"
#include "kernels/gemm.hpp"
#include "micro.hpp"

namespace birnn::micro {

namespace {
Peaks g_peaks;

// Best of `reps` CPU-timed calls of f (after one warm-up call), in seconds.
template <class F>
double best_seconds(int reps, F&& f) {
  f();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double t0 = thread_cpu_seconds();
    f();
    best = std::min(best, thread_cpu_seconds() - t0);
  }
  return best;
}

Peaks measure_peaks() {
  Peaks p;
  constexpr std::int64_t n = 1024;
  const auto A = random_floats(n * n, 1), B = random_floats(n * n, 2);
  std::vector<float> C(n * n);
  const double s = best_seconds(15, [&] {
    kernels::gemm(false, false, n, n, n, 1.f, A.data(), n, B.data(), n, 0.f, C.data(), n);
    benchmark::DoNotOptimize(C.data());
  });
  p.sgemm_flops = 2.0 * n * n * n / s;
  // 64 sweeps per timing: one sweep (~3 us) is too short for the CPU clock's resolution.
  const auto buf = random_floats(128 * 1024, 3);  // 512 KB
  const double sr = best_seconds(30, [&] {
    for (int r = 0; r < 64; ++r) benchmark::DoNotOptimize(sum_floats(buf.data(), buf.size()));
  });
  p.read_bytes = 64.0 * sizeof(float) * static_cast<double>(buf.size()) / sr;
  return p;
}
}  // namespace

const Peaks& peaks() { return g_peaks; }

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Meter::Meter(benchmark::State& state) : state_(state), cpu0_(thread_cpu_seconds()) {}

void Meter::report(double flops, double bytes) {
  const double s = thread_cpu_seconds() - cpu0_;
  if (s <= 0 || state_.iterations() == 0) return;
  const double it = static_cast<double>(state_.iterations());
  state_.counters["GFLOPS"] = flops * it / s * 1e-9;
  state_.counters["pct_peak"] = 100.0 * flops * it / s / g_peaks.sgemm_flops;
  if (bytes > 0) {
    state_.counters["GBps"] = bytes * it / s * 1e-9;
    state_.counters["pct_bw"] = 100.0 * bytes * it / s / g_peaks.read_bytes;
  }
}

std::vector<float> random_floats(std::size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

}  // namespace birnn::micro

int main(int argc, char** argv) {
  birnn::set_num_threads(1);  // single-core figures; also FTZ/DAZ like the layers
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  using birnn::micro::g_peaks;
  g_peaks = birnn::micro::measure_peaks();
  benchmark::AddCustomContext("peak_sgemm_gflops (best 1024^3 sgemm, 1 thread, CPU time)",
                              std::to_string(g_peaks.sgemm_flops * 1e-9));
  benchmark::AddCustomContext("peak_read_gbps (best read-only SIMD sweep of 512 KB, in L2, CPU time)",
                              std::to_string(g_peaks.read_bytes * 1e-9));
  benchmark::AddCustomContext("simd_target", birnn::simd_target());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
