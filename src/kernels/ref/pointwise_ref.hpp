// Plain reference loops for the per-step pointwise work of the three cells. These are the
// definitions: the SIMD kernels in simd/ must match them (tests/unit/test_pointwise_kernels.cpp),
// and the float64 path (gradient checks) runs them directly. Strides are in elements.
#pragma once
#include <cmath>
#include <cstdint>

namespace birnn::kernels::ref {

template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// LSTM, gate order i, f, g, o (PyTorch).
// gates: (n, 4H) in: pre-activations, out: activations [i f g o]
// c_prev: (n, H)  c: (n, H) out: f*c_prev + i*g   h: (n, H) out: o*tanh(c)   (c may alias c_prev)
// tc: (n, H) out: tanh(c), kept for backward (null: not wanted)
template <class T>
void lstm_forward(std::int64_t n, std::int64_t H, T* gates, std::int64_t ldg, const T* c_prev, std::int64_t ldcp, T* c,
                  std::int64_t ldc, T* h, std::int64_t ldh, T* tc, std::int64_t ldtc) {
  for (std::int64_t r = 0; r < n; ++r) {
    T* g = gates + r * ldg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T i = sigmoid(g[j]), f = sigmoid(g[H + j]), gg = std::tanh(g[2 * H + j]), o = sigmoid(g[3 * H + j]);
      const T cn = f * c_prev[r * ldcp + j] + i * gg;
      g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
      const T th = std::tanh(cn);
      c[r * ldc + j] = cn;
      h[r * ldh + j] = o * th;
      if (tc) tc[r * ldtc + j] = th;
    }
  }
}

// GRU as in PyTorch (reset applied after the recurrent product), gate order r, z, n.
// xg: (n, 3H) in: x W_ih^T + b_ih, out: activations [r z n]
// hg: (n, 3H) h_prev W_hh^T (no bias)   b_hh: (3H) or null
// hn: (n, H) out: W_hn h_prev + b_hn (kept for backward)   h_prev: (n, H)   h: (n, H) out (may alias h_prev)
template <class T>
void gru_forward(std::int64_t n, std::int64_t H, T* xg, std::int64_t ldx, const T* hg, std::int64_t ldhg, const T* b_hh,
                 T* hn, std::int64_t ldhn, const T* h_prev, std::int64_t ldhp, T* h, std::int64_t ldh) {
  for (std::int64_t r = 0; r < n; ++r) {
    T* x = xg + r * ldx;
    const T* hh = hg + r * ldhg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T br = b_hh ? b_hh[j] : T(0), bz = b_hh ? b_hh[H + j] : T(0), bn = b_hh ? b_hh[2 * H + j] : T(0);
      const T rg = sigmoid(x[j] + hh[j] + br);
      const T z = sigmoid(x[H + j] + hh[H + j] + bz);
      const T hl = hh[2 * H + j] + bn;
      const T nn = std::tanh(x[2 * H + j] + rg * hl);
      const T hp = h_prev[r * ldhp + j];
      x[j] = rg, x[H + j] = z, x[2 * H + j] = nn;
      hn[r * ldhn + j] = hl;
      h[r * ldh + j] = (T(1) - z) * nn + z * hp;
    }
  }
}

// Original GRU (reset before the product, Keras reset_after=False), stage 1 of 2:
// xg: (n, 3H) in: x W_ih^T + b_ih, r and z blocks out: activations   hg: (n, 2H) h_prev W_h{r,z}^T
// rh: (n, H) out: r * h_prev (the input of the W_hn product)
template <class T>
void gru_rb_stage1(std::int64_t n, std::int64_t H, T* xg, std::int64_t ldx, const T* hg, std::int64_t ldhg, const T* b_hh,
                   const T* h_prev, std::int64_t ldhp, T* rh, std::int64_t ldrh) {
  for (std::int64_t r = 0; r < n; ++r) {
    T* x = xg + r * ldx;
    const T* hh = hg + r * ldhg;
    for (std::int64_t j = 0; j < H; ++j) {
      const T rg = sigmoid(x[j] + hh[j] + (b_hh ? b_hh[j] : T(0)));
      const T z = sigmoid(x[H + j] + hh[H + j] + (b_hh ? b_hh[H + j] : T(0)));
      x[j] = rg, x[H + j] = z;
      rh[r * ldrh + j] = rg * h_prev[r * ldhp + j];
    }
  }
}

// Stage 2: hn: (n, H) (r*h_prev) W_hn^T;  n = tanh(x_n + hn + b_hn) written into xg's n block; h out.
template <class T>
void gru_rb_stage2(std::int64_t n, std::int64_t H, T* xg, std::int64_t ldx, const T* hn, std::int64_t ldhn, const T* b_hh,
                   const T* h_prev, std::int64_t ldhp, T* h, std::int64_t ldh) {
  for (std::int64_t r = 0; r < n; ++r) {
    T* x = xg + r * ldx;
    for (std::int64_t j = 0; j < H; ++j) {
      const T nn = std::tanh(x[2 * H + j] + hn[r * ldhn + j] + (b_hh ? b_hh[2 * H + j] : T(0)));
      const T z = x[H + j];
      x[2 * H + j] = nn;
      h[r * ldh + j] = (T(1) - z) * nn + z * h_prev[r * ldhp + j];
    }
  }
}

// Elman RNN: gates (n, H) in: pre-activation, out: activation; h (n, H) out: a copy.
template <class T>
void rnn_forward(std::int64_t n, std::int64_t H, T* gates, std::int64_t ldg, bool relu, T* h, std::int64_t ldh) {
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t j = 0; j < H; ++j) {
      const T a = gates[r * ldg + j];
      const T v = relu ? (a > T(0) ? a : T(0)) : std::tanh(a);
      gates[r * ldg + j] = v;
      h[r * ldh + j] = v;
    }
}

}  // namespace birnn::kernels::ref
