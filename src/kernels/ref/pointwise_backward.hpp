// Backward pointwise loops of the three cells: from the saved activations and the incoming state
// gradients to the gradients of the gate pre-activations. Arithmetic only (no exp/tanh), so one
// plain loop serves float and double and the compiler vectorizes it. Strides are in elements.
#pragma once
#include <cmath>
#include <cstdint>

namespace birnn::kernels {

// LSTM. gates: (n, 4H) saved activations [i f g o]; tc: (n, H) tanh of the cell after the step; c_prev: (n, H)
// dr: (n, H) grad of o*tanh(c) (= dh without projection); dc: (n, H) in: grad of c from the next step,
// out: grad of c_prev.  dG: (n, 4H) out: grads of the pre-activations.
template <class T>
void lstm_backward(std::int64_t n, std::int64_t H, const T* gates, std::int64_t ldg, const T* tc, const T* c_prev,
                   std::int64_t ldc, const T* dr, std::int64_t lddr, T* dc, std::int64_t lddc, T* dG, std::int64_t lddg) {
  for (std::int64_t r = 0; r < n; ++r) {
    const T* g = gates + r * ldg;
    T* dg = dG + r * lddg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
      const T th = tc[r * ldc + j];
      const T d = dr[r * lddr + j];
      const T dct = dc[r * lddc + j] + d * o * (T(1) - th * th);
      dg[j] = dct * gg * i * (T(1) - i);
      dg[H + j] = dct * c_prev[r * ldc + j] * f * (T(1) - f);
      dg[2 * H + j] = dct * i * (T(1) - gg * gg);
      dg[3 * H + j] = d * th * o * (T(1) - o);
      dc[r * lddc + j] = dct * f;
    }
  }
}

// Elman RNN. act: (n, H) saved activations; dh: (n, H); dG: (n, H) out.
template <class T>
void rnn_backward(std::int64_t n, std::int64_t H, const T* act, std::int64_t lda, bool relu, const T* dh,
                  std::int64_t lddh, T* dG, std::int64_t lddg) {
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t j = 0; j < H; ++j) {
      const T a = act[r * lda + j];
      const T d = dh[r * lddh + j];
      dG[r * lddg + j] = relu ? (a > T(0) ? d : T(0)) : d * (T(1) - a * a);
    }
}

// GRU (reset after). gates: (n, 3H) [r z n]; hl: (n, H) saved W_hn h_prev + b_hn; h_prev: (n, H)
// dh: (n, H) in: grad of h; out: the direct part of grad of h_prev (z * dh).
// dGx: (n, 3H) out: grads of the x-side pre-activations; dGh: (n, 3H) out: of the h-side (W_hh h + b_hh).
template <class T>
void gru_backward(std::int64_t n, std::int64_t H, const T* gates, std::int64_t ldg, const T* hl, std::int64_t ldhl,
                  const T* h_prev, std::int64_t ldhp, T* dh, std::int64_t lddh, T* dGx, std::int64_t lddx, T* dGh,
                  std::int64_t lddgh) {
  for (std::int64_t r = 0; r < n; ++r) {
    const T* g = gates + r * ldg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T rg = g[j], z = g[H + j], nn = g[2 * H + j];
      const T d = dh[r * lddh + j];
      const T dan = d * (T(1) - z) * (T(1) - nn * nn);
      const T daz = d * (h_prev[r * ldhp + j] - nn) * z * (T(1) - z);
      const T dar = dan * hl[r * ldhl + j] * rg * (T(1) - rg);
      dGx[r * lddx + j] = dar, dGx[r * lddx + H + j] = daz, dGx[r * lddx + 2 * H + j] = dan;
      dGh[r * lddgh + j] = dar, dGh[r * lddgh + H + j] = daz, dGh[r * lddgh + 2 * H + j] = dan * rg;
      dh[r * lddh + j] = d * z;
    }
  }
}

// GRU (reset before), stage A: from dh to dG's n and z blocks; dh out: z * dh (direct part).
template <class T>
void gru_rb_backward_a(std::int64_t n, std::int64_t H, const T* gates, std::int64_t ldg, const T* h_prev,
                       std::int64_t ldhp, T* dh, std::int64_t lddh, T* dG, std::int64_t lddg) {
  for (std::int64_t r = 0; r < n; ++r) {
    const T* g = gates + r * ldg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T z = g[H + j], nn = g[2 * H + j];
      const T d = dh[r * lddh + j];
      dG[r * lddg + H + j] = d * (h_prev[r * ldhp + j] - nn) * z * (T(1) - z);
      dG[r * lddg + 2 * H + j] = d * (T(1) - z) * (T(1) - nn * nn);
      dh[r * lddh + j] = d * z;
    }
  }
}

// Stage B: drh: (n, H) grad of r*h_prev (= dan W_hn); fills dG's r block and adds r*drh to dh.
template <class T>
void gru_rb_backward_b(std::int64_t n, std::int64_t H, const T* gates, std::int64_t ldg, const T* h_prev,
                       std::int64_t ldhp, const T* drh, std::int64_t lddrh, T* dh, std::int64_t lddh, T* dG,
                       std::int64_t lddg) {
  for (std::int64_t r = 0; r < n; ++r) {
    const T* g = gates + r * ldg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T rg = g[j];
      const T d = drh[r * lddrh + j];
      dG[r * lddg + j] = d * h_prev[r * ldhp + j] * rg * (T(1) - rg);
      dh[r * lddh + j] += d * rg;
    }
  }
}

}  // namespace birnn::kernels
