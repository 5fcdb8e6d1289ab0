// The fused gate passes at B = 64, H = 256: forward (kernels/pointwise.hpp, SIMD via Highway) and backward
// (kernels/pointwise_backward.hpp: SIMD for LSTM and GRU, the reference loop for RNN) of the three cells;
// */ref: the LSTM and GRU backward reference loops, for comparison.
// GBps (and pct_bw, of the measured L2 read bandwidth) is the figure to read; GFLOPS counts the
// formula's + - * / with sigmoid = 3 (exp, add, div) and tanh = 1, a nominal count (the exp/tanh
// polynomials cost more). Bytes: every float the kernel reads or writes once
// per row (shared bias vectors once). The kernels run in place on their own output, as in the layer;
// values stay bounded (gate activations in [0, 1]) or decay to zero (GRU dh), which flush-to-zero keeps at
// full speed, so the timing does not drift.
#include <cstdint>

#include "kernels/pointwise.hpp"
#include "kernels/pointwise_backward.hpp"
#include "micro.hpp"

namespace birnn::micro {
namespace {

constexpr std::int64_t B = 64, H = 256;
constexpr double kF = sizeof(float);
std::vector<float> buf(std::int64_t n, unsigned seed, float lo = -2.f, float hi = 2.f) {
  return random_floats(static_cast<std::size_t>(n), seed, lo, hi);
}

void BM_LstmForward(benchmark::State& state) {
  auto g = buf(B * 4 * H, 1), c = buf(B * H, 2), h = buf(B * H, 3), tc = buf(B * H, 4);
  Meter meter(state);
  for (auto _ : state) {
    kernels::lstm_forward(B, H, g.data(), 4 * H, c.data(), H, c.data(), H, h.data(), H, tc.data(), H);
    benchmark::ClobberMemory();
  }
  // reads gates 4H + c_prev H; writes gates 4H, c, h, tanh(c)
  meter.report(15.0 * B * H, kF * B * H * (5 + 7));
}

void BM_GruForward(benchmark::State& state) {
  auto xg = buf(B * 3 * H, 1), hg = buf(B * 3 * H, 2), bhh = buf(3 * H, 3), hl = buf(B * H, 4), h = buf(B * H, 5);
  Meter meter(state);
  for (auto _ : state) {
    kernels::gru_forward(B, H, xg.data(), 3 * H, hg.data(), 3 * H, bhh.data(), hl.data(), H, h.data(), H, h.data(), H);
    benchmark::ClobberMemory();
  }
  // reads xg 3H, hg 3H, h_prev H (+ b_hh 3H once); writes xg 3H, W_hn h + b_hn H, h H
  meter.report(17.0 * B * H, kF * (B * H * (7 + 5) + 3 * H));
}

void BM_RnnForward(benchmark::State& state) {
  auto g = buf(B * H, 1), h = buf(B * H, 2);
  Meter meter(state);
  for (auto _ : state) {
    kernels::rnn_forward(B, H, g.data(), H, false, h.data(), H);
    benchmark::ClobberMemory();
  }
  meter.report(1.0 * B * H, kF * B * H * (1 + 2));  // reads the pre-activation, writes it and h
}

// The gate math alone (kernels/simd/fast_math-inl.h), in place over B * 4H floats: ns per element is
// the figure to read (GFLOPS counts one flop per element).
template <void (*kFn)(std::int64_t, const float*, float*)>
void BM_Math(benchmark::State& state) {
  auto x = buf(B * 4 * H, 1, -4.f, 4.f);
  Meter meter(state);
  for (auto _ : state) {
    kFn(B * 4 * H, x.data(), x.data());
    benchmark::ClobberMemory();
  }
  meter.report(1.0 * B * 4 * H, kF * B * 4 * H * 2);
}

template <bool kRef>
void BM_LstmBackward(benchmark::State& state) {
  const auto g = buf(B * 4 * H, 1, 0.f, 1.f), tc = buf(B * H, 2), cp = buf(B * H, 3), dr = buf(B * H, 4);
  auto dc = buf(B * H, 5), dG = buf(B * 4 * H, 6);
  Meter meter(state);
  for (auto _ : state) {
    if constexpr (kRef)
      kernels::lstm_backward<float>(B, H, g.data(), 4 * H, tc.data(), cp.data(), H, dr.data(), H, dc.data(), H,
                                    dG.data(), 4 * H);
    else
      kernels::lstm_backward(B, H, g.data(), 4 * H, tc.data(), cp.data(), H, dr.data(), H, dc.data(), H, dG.data(),
                             4 * H);
    benchmark::ClobberMemory();
  }
  // reads gates 4H, tanh(c), c_prev, dr, dc; writes dG 4H, dc
  meter.report(22.0 * B * H, kF * B * H * (8 + 5));
}

template <bool kRef>
void BM_GruBackward(benchmark::State& state) {
  const auto g = buf(B * 3 * H, 1, 0.f, 1.f), hl = buf(B * H, 2), hp = buf(B * H, 3);
  auto dh = buf(B * H, 4), dGx = buf(B * 3 * H, 5), dGh = buf(B * 3 * H, 6);
  Meter meter(state);
  for (auto _ : state) {
    if constexpr (kRef)
      kernels::gru_backward<float>(B, H, g.data(), 3 * H, hl.data(), H, hp.data(), H, dh.data(), H, dGx.data(), 3 * H,
                                   dGh.data(), 3 * H);
    else
      kernels::gru_backward(B, H, g.data(), 3 * H, hl.data(), H, hp.data(), H, dh.data(), H, dGx.data(), 3 * H,
                            dGh.data(), 3 * H);
    benchmark::ClobberMemory();
  }
  // reads gates 3H, hl, h_prev, dh; writes dGx 3H, dGh 3H, dh
  meter.report(16.0 * B * H, kF * B * H * (6 + 7));
}

void BM_RnnBackward(benchmark::State& state) {
  const auto act = buf(B * H, 1), dh = buf(B * H, 2);
  auto dG = buf(B * H, 3);
  Meter meter(state);
  for (auto _ : state) {
    kernels::rnn_backward<float>(B, H, act.data(), H, false, dh.data(), H, dG.data(), H);
    benchmark::ClobberMemory();
  }
  meter.report(3.0 * B * H, kF * B * H * 3);  // reads act, dh; writes dG
}

BENCHMARK(BM_LstmForward)->Name("pointwise/lstm_forward/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GruForward)->Name("pointwise/gru_forward/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RnnForward)->Name("pointwise/rnn_tanh_forward/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Math<kernels::sigmoid_array>)->Name("pointwise/sigmoid/B64_4H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Math<kernels::tanh_array>)->Name("pointwise/tanh/B64_4H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LstmBackward<false>)->Name("pointwise/lstm_backward/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LstmBackward<true>)->Name("pointwise/lstm_backward/ref/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GruBackward<false>)->Name("pointwise/gru_backward/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GruBackward<true>)->Name("pointwise/gru_backward/ref/B64_H256")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RnnBackward)->Name("pointwise/rnn_tanh_backward/B64_H256")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace birnn::micro
