// What a recurrent layer (rnn_layer_op.cpp) and its units split (rnn_units_split.cpp) share: the buffers the
// forward leaves for BPTT and the per-step gradients BPTT fills (per direction, (N, ...) packed), the chunk
// size of the input projection, the bias folded into it, a writable data pointer and a strided row copy.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "birnn/tensor.hpp"
#include "nn/rnn_layer_op.hpp"

namespace birnn::nn {

// What BPTT needs from the forward pass (training only).
struct Saved {
  Tensor gates;  // (N, G*H) gate activations
  Tensor hprev;  // (N, H_out) h before each step
  Tensor cprev;  // (N, H) LSTM: c before each step
  Tensor tc;     // (N, H) LSTM: tanh(c) after each step
  Tensor r;      // (N, H) LSTM with projection: o*tanh(c), the input of W_hr
  Tensor aux;    // (N, H) GRU: W_hn h + b_hn;  GRU reset-before: r*h
};

// Per-step gradients: BPTT fills them (part by part, or unit range by unit range), the weight gradients and
// the input gradient then read all their rows.
struct StepGrads {
  Tensor dG;     // (N, G*H) gradient w.r.t. the pre-activations (x W_ih^T + ...)
  Tensor dGh;    // (N, G*H) GRU: gradient w.r.t. W_hh h + b_hh
  Tensor dHall;  // (N, H_out) LSTM with projection: gradient w.r.t. each step's h
};

// About this many rows (steps x batch) of the input projection are computed at once, just before their steps
// run. Measured at LSTM B = 64, I = H = 256, one thread, interleaved medians of CPU ms: forward 42.3 (all 100
// steps at once), 37.9 (2 steps), 37.5 (4 = 256 rows), 38.9 (8), 38.7 (16); forward+backward 120.9 (all) ->
// 118.5 (4).
constexpr std::int64_t kProjectionRows = 256;

// The bias added in the input projection, (G*H): b_ih + b_hh for LSTM and RNN; b_ih alone for GRU, which keeps
// b_hh apart because b_hn sits inside r * (W_hn h + b_hn). Zeros without bias.
template <class T>
std::vector<T> projection_bias(const LayerSpec& s, const DirectionParams& w) {
  const std::int64_t GH = gate_count(s.cell) * s.hidden_size;
  std::vector<T> bias(static_cast<std::size_t>(GH), T(0));
  if (!s.bias) return bias;
  for (std::int64_t j = 0; j < GH; ++j) bias[j] = w.b_ih.data<T>()[j];
  if (s.cell != CellKind::gru && s.cell != CellKind::gru_reset_before)
    for (std::int64_t j = 0; j < GH; ++j) bias[j] += w.b_hh.data<T>()[j];
  return bias;
}

// A tensor's data to write into (the saved buffers are shared Tensors held by const reference), or null.
template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? const_cast<T*>(t.data<T>()) : nullptr;
}

// dst[i * ldd + j] = src[i * lds + j] for i < n, j < width.
template <class T>
void copy_rows(std::int64_t n, std::int64_t width, const T* src, std::int64_t lds, T* dst, std::int64_t ldd) {
  for (std::int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * ldd, src + i * lds, sizeof(T) * static_cast<std::size_t>(width));
}

}  // namespace birnn::nn
