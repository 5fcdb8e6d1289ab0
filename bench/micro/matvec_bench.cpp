// The batch-1 recurrent step, h W_hh^T with W_hh (G*H, H) row-major (PyTorch's layout), H = 256:
//   gemv/*   the row-dot kernel (kernels/gemv.hpp) that gemm() routes batch 1 to (and batch 2-4 without AVX-512)
//   sgemm/*  oneDNN's dnnl_sgemm on the same operands (what gemm() does with BIRNN_GEMV=0)
//   panel/*  the panel kernel (kernels/panel_gemm.hpp) on W_hh packed once, outside the timed loop: what the
//            layers run for batches 2-64 on CPUs without AVX-512
//   lstm_step_B1/*  one whole LSTM step at batch 1: the product plus the fused gate pass
// The product streams W_hh (1 MB for LSTM, in L2) once per step, so GBps counts the weight bytes.
#include <oneapi/dnnl/dnnl.h>

#include <cstdint>
#include <string>

#include "kernels/gemm.hpp"
#include "kernels/gemv.hpp"
#include "kernels/panel_gemm.hpp"
#include "kernels/pointwise.hpp"
#include "micro.hpp"

namespace birnn::micro {
namespace {

constexpr std::int64_t H = 256;

struct Operands {
  std::vector<float> a, w, c;
  Operands(std::int64_t M, std::int64_t N, std::int64_t K)
      : a(random_floats(static_cast<std::size_t>(M * K), 1)), w(random_floats(static_cast<std::size_t>(N * K), 2)),
        c(random_floats(static_cast<std::size_t>(M * N), 3)) {}
};

double flops(std::int64_t M, std::int64_t N, std::int64_t K) { return 2.0 * static_cast<double>(M * N * K); }
double weight_bytes(std::int64_t N, std::int64_t K) { return sizeof(float) * static_cast<double>(N * K); }

void BM_Gemv(benchmark::State& state, std::int64_t M, std::int64_t N) {
  Operands o(M, N, H);
  Meter meter(state);
  for (auto _ : state) {
    kernels::gemv_bt(M, N, H, o.a.data(), H, o.w.data(), H, 1.f, o.c.data(), N);
    benchmark::ClobberMemory();
  }
  meter.report(flops(M, N, H), weight_bytes(N, H));
}

void BM_Sgemm(benchmark::State& state, std::int64_t M, std::int64_t N) {
  Operands o(M, N, H);
  Meter meter(state);
  for (auto _ : state) {
    if (dnnl_sgemm('N', 'T', M, N, H, 1.f, o.a.data(), H, o.w.data(), H, 1.f, o.c.data(), N) != dnnl_success)
      state.SkipWithError("dnnl_sgemm failed");
    benchmark::ClobberMemory();
  }
  meter.report(flops(M, N, H), weight_bytes(N, H));
}

void BM_Panel(benchmark::State& state, std::int64_t M, std::int64_t N) {
  Operands o(M, N, H);
  const auto panels = kernels::pack_panels(o.w.data(), N, H, H, true);
  Meter meter(state);
  for (auto _ : state) {
    kernels::panel_gemm(M, N, H, o.a.data(), H, panels.data(), 1.f, o.c.data(), N, nullptr);
    benchmark::ClobberMemory();
  }
  meter.report(flops(M, N, H), weight_bytes(N, H));
}

// One LSTM step at batch 1 as the layer runs it: gates += h W_hh^T (through gemm()'s routing), then the
// fused pass writes c and h. h feeds the next iteration, like the recurrence.
void BM_LstmStepB1(benchmark::State& state) {
  Operands o(1, 4 * H, H);
  auto c = random_floats(H, 4), tc = random_floats(H, 5);
  const auto xg = random_floats(4 * H, 6);
  Meter meter(state);
  for (auto _ : state) {
    o.c = xg;  // the input projection of this step (a copy of 4 KB, as a stand-in for the next row of xg)
    kernels::gemm(false, true, 1, 4 * H, H, 1.f, o.a.data(), H, o.w.data(), H, 1.f, o.c.data(), 4 * H);
    kernels::lstm_forward(1, H, o.c.data(), 4 * H, c.data(), H, c.data(), H, o.a.data(), H, tc.data(), H);
    benchmark::ClobberMemory();
  }
  meter.report(flops(1, 4 * H, H), weight_bytes(4 * H, H));
}

[[maybe_unused]] const bool registered = [] {
  const struct {
    const char* cell;
    std::int64_t N;
  } kCells[] = {{"lstm", 4 * H}, {"gru", 3 * H}, {"rnn", H}};
  for (const auto& cell : kCells)
    for (std::int64_t M : {1, 2, 4, 8, 16, 32, 64}) {
      const std::string shape = std::string(cell.cell) + "/" + std::to_string(M) + "x" + std::to_string(cell.N) + "x" +
                                std::to_string(H);
      benchmark::RegisterBenchmark(("matvec/gemv/" + shape).c_str(), BM_Gemv, M, cell.N)->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("matvec/sgemm/" + shape).c_str(), BM_Sgemm, M, cell.N)->Unit(benchmark::kMicrosecond);
      if (M > 1)
        benchmark::RegisterBenchmark(("matvec/panel/" + shape).c_str(), BM_Panel, M, cell.N)->Unit(benchmark::kMicrosecond);
    }
  benchmark::RegisterBenchmark("matvec/lstm_step_B1/H256", BM_LstmStepB1)->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
}  // namespace birnn::micro
