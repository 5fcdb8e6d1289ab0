// The GEMM backend (kernels::gemm, oneDNN sgemm) at the shapes the recurrent layers call, I = H = 256:
//   step      h W_hh^T:       (B, G*H) += (B, H) (G*H, H)^T      per time step, forward
//   xproj     X W_ih^T:       (T*B, G*H) += (T*B, I) (G*H, I)^T  once per layer, T = 100, B = 64
//   bwd_dh    dG W_hh:        (B, H) = (B, G*H) (G*H, H)         per time step, backward
//   bwd_dW    dG^T X:         (G*H, I) = (T*B, G*H)^T (T*B, I)   once per layer, backward
// G = 4 (LSTM), 3 (GRU), 1 (RNN). The B=1 step goes through gemm()'s routing (the row-dot GEMV unless
// BIRNN_GEMV=0); matvec_bench.cpp compares the two kernels directly. The bwd_dW shapes also run as
// "/sgemm": oneDNN's dnnl_sgemm called directly, without gemm()'s routing (its padded copy of A for a 4 KB
// row stride, or the transposed route on AVX-512 CPUs).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/gemm_packed.hpp"
#include "micro.hpp"

namespace birnn::micro {
namespace {

struct Shape {
  const char* name;
  bool ta, tb;
  std::int64_t M, N, K;
  float beta;
};

// kernels::gemm (with its routing), or with direct = true dnnl_sgemm itself (what gemm() routes around for
// some shapes).
void BM_Gemm(benchmark::State& state, Shape s, bool direct) {
  const std::int64_t lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
  const auto A = random_floats(static_cast<std::size_t>(s.M * s.K), 1);
  const auto B = random_floats(static_cast<std::size_t>(s.K * s.N), 2);
  auto C = random_floats(static_cast<std::size_t>(s.M * s.N), 3);
  Meter meter(state);
  for (auto _ : state) {
    if (!direct)
      kernels::gemm(s.ta, s.tb, s.M, s.N, s.K, 1.f, A.data(), lda, B.data(), ldb, s.beta, C.data(), s.N);
    else if (dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.M, s.N, s.K, 1.f, A.data(), lda, B.data(), ldb, s.beta,
                        C.data(), s.N) != dnnl_success)
      state.SkipWithError("dnnl_sgemm failed");
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  meter.report(2.0 * static_cast<double>(s.M * s.N * s.K));
}

// The same product with W packed once (kernels::PackedF32: what the layers use for the per-step h W_hh^T
// at batch > 1, and for the input projection, there with beta 0 and the bias added in the store: pass
// with_bias; the unpacked way to get that is BM_GemmFillBias).
void BM_GemmPacked(benchmark::State& state, Shape s, bool with_bias) {
  const std::int64_t lda = s.K, ldw = s.tb ? s.K : s.N;
  const auto A = random_floats(static_cast<std::size_t>(s.M * s.K), 1);
  const auto W = random_floats(static_cast<std::size_t>(s.K * s.N), 2);
  auto C = random_floats(static_cast<std::size_t>(s.M * s.N), 3);
  const auto bias = random_floats(static_cast<std::size_t>(s.N), 4);
  const kernels::PackedF32 packed(W.data(), s.N, s.K, ldw, s.tb, s.M);
  Meter meter(state);
  for (auto _ : state) {
    packed.multiply(s.M, A.data(), lda, with_bias ? 0.f : s.beta, C.data(), s.N, with_bias ? bias.data() : nullptr);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  meter.report(2.0 * static_cast<double>(s.M * s.N * s.K));
}

// What the layers did before PackedF32 for the biased input projection: fill C with the bias, then
// C = X W^T + 1 * C through gemm().
void BM_GemmFillBias(benchmark::State& state, Shape s) {
  const auto A = random_floats(static_cast<std::size_t>(s.M * s.K), 1);
  const auto W = random_floats(static_cast<std::size_t>(s.K * s.N), 2);
  const auto bias = random_floats(static_cast<std::size_t>(s.N), 4);
  std::vector<float> C(static_cast<std::size_t>(s.M * s.N));
  Meter meter(state);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < s.M; ++i) std::copy(bias.begin(), bias.end(), C.begin() + i * s.N);
    kernels::gemm(false, true, s.M, s.N, s.K, 1.f, A.data(), s.K, W.data(), s.K, 1.f, C.data(), s.N);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  meter.report(2.0 * static_cast<double>(s.M * s.N * s.K));
}

constexpr std::int64_t H = 256, TB = 100 * 64;
const Shape kShapes[] = {
    {"peak_square", false, false, 1024, 1024, 1024, 0.f},
    {"lstm_step_B64", false, true, 64, 4 * H, H, 1.f},
    {"lstm_step_B1", false, true, 1, 4 * H, H, 1.f},
    {"lstm_xproj_T100_B64", false, true, TB, 4 * H, H, 1.f},
    {"lstm_bwd_dh_B64", false, false, 64, H, 4 * H, 0.f},
    {"lstm_bwd_dh_B4", false, false, 4, H, 4 * H, 0.f},
    {"lstm_bwd_dW_T100_B64", true, false, 4 * H, H, TB, 0.f},
    {"lstm_bwd_dW_T100_B1", true, false, 4 * H, H, 100, 0.f},
    {"lstm_bwd_dW_T100_B8", true, false, 4 * H, H, 800, 0.f},
    {"tagger_bwd_dW_fc_K700", true, false, 188, 400, 700, 0.f},  // the pos tagger's output layer, ~700 tokens
    {"gru_step_B64", false, true, 64, 3 * H, H, 0.f},
    {"gru_step_B1", false, true, 1, 3 * H, H, 0.f},
    {"gru_xproj_T100_B64", false, true, TB, 3 * H, H, 1.f},
    {"gru_bwd_dh_B64", false, false, 64, H, 3 * H, 0.f},
    {"rnn_step_B64", false, true, 64, H, H, 1.f},
    {"rnn_step_B1", false, true, 1, H, H, 1.f},
    {"rnn_xproj_T100_B64", false, true, TB, H, H, 1.f},
    {"rnn_bwd_dh_B64", false, false, 64, H, H, 0.f},
};

[[maybe_unused]] const bool registered = [] {
  for (const Shape& s : kShapes) {
    const std::string name = std::string("gemm/") + s.name + "/" + std::to_string(s.M) + "x" + std::to_string(s.N) +
                             "x" + std::to_string(s.K) + (s.ta ? "/At" : "") + (s.tb ? "/Bt" : "");
    benchmark::RegisterBenchmark(name.c_str(), BM_Gemm, s, false)->Unit(benchmark::kMicrosecond);
    const std::string n = s.name;
    if (!s.ta && s.M > 1 && (n.find("_step_") != std::string::npos || n.find("_bwd_dh_") != std::string::npos))
      benchmark::RegisterBenchmark((name + "/packed").c_str(), BM_GemmPacked, s, false)->Unit(benchmark::kMicrosecond);
    if (n.find("_bwd_dW_") != std::string::npos)
      benchmark::RegisterBenchmark((name + "/sgemm").c_str(), BM_Gemm, s, true)->Unit(benchmark::kMicrosecond);
    if (n.find("_xproj_") != std::string::npos) {
      benchmark::RegisterBenchmark((name + "/fill_bias").c_str(), BM_GemmFillBias, s)->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((name + "/packed_bias").c_str(), BM_GemmPacked, s, true)->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace birnn::micro
