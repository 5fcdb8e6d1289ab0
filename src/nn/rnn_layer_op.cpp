// Forward and BPTT of one recurrent layer over a packed batch (see packing.hpp for the layout).
// Per direction: the input projection (x W_ih^T + bias) runs as GEMMs over a few steps' rows at a time, just
// ahead of those steps; per step only the recurrent product h W_hh^T on the rows still running, followed by
// the fused pointwise kernel.
// Backward mirrors it: per step the pointwise backward and dh W_hh; the weight gradients are one
// large GEMM each over all steps at the end.
#include "nn/rnn_layer_op.hpp"

#include <omp.h>

#include <cstring>
#include <exception>
#include <optional>
#include <type_traits>

#include "birnn/autograd.hpp"
#include "core/dispatch.hpp"
#include "core/flush_to_zero.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_packed.hpp"
#include "kernels/pointwise.hpp"
#include "kernels/pointwise_backward.hpp"
#include "nn/batch_parts.hpp"
#include "nn/rnn_layer_common.hpp"
#include "nn/rnn_units_split.hpp"

namespace birnn::nn {

namespace {

using I64 = std::int64_t;
using kernels::gemm;

constexpr int kParamsPerDirection = 5;  // w_ih, w_hh, b_ih, b_hh, w_hr

struct Dims {
  I64 H, Hout, G, GH, I, N, B, T, D;
  Dims(const LayerSpec& s, const PackPlan& p)
      : H(s.hidden_size), Hout(s.proj_size > 0 ? s.proj_size : s.hidden_size),
        G(gate_count(s.cell)), GH(G * H), I(s.input_size), N(p.N), B(p.B), T(p.T), D(s.directions) {}
};

// Allocated before the parts of a direction run: each part fills its own rows.
Saved allocate_saved(const LayerSpec& s, const Dims& m, DType dt) {
  const bool lstm = s.cell == CellKind::lstm;
  Saved sv;
  sv.gates = Tensor::empty({m.N, m.GH}, dt);
  sv.hprev = Tensor::empty({m.N, m.Hout}, dt);
  if (lstm) sv.cprev = Tensor::empty({m.N, m.H}, dt), sv.tc = Tensor::empty({m.N, m.H}, dt);
  if (lstm && s.proj_size > 0) sv.r = Tensor::empty({m.N, m.H}, dt);
  if (!lstm && s.cell != CellKind::rnn_tanh && s.cell != CellKind::rnn_relu) sv.aux = Tensor::empty({m.N, m.H}, dt);
  return sv;
}

template <class T>
void col_sum(I64 rows, I64 cols, const T* a, I64 lda, T* out) {
  for (I64 j = 0; j < cols; ++j) out[j] = 0;
  for (I64 i = 0; i < rows; ++i)
    for (I64 j = 0; j < cols; ++j) out[j] += a[i * lda + j];
}

// C (n, N) = A (n, K) W^T + beta C for a weight W (N, K); through its bf16 pack when given (float only).
template <class T>
void mul_wt(I64 n, I64 N, I64 K, const T* A, I64 lda, const T* W, const kernels::PackedBf16* W16, T beta, T* C, I64 ldc) {
  if constexpr (std::is_same_v<T, float>)
    if (W16) return kernels::gemm_bf16(n, A, lda, *W16, beta, C, ldc);
  gemm(false, true, n, N, K, T(1), A, lda, W, K, beta, C, ldc);
}

// W (rows, K) packed once for a product repeated at every step (float, batch > 1; gemm_packed.hpp); none
// for double, a bf16 pack, or batch 1 (the row-dot kernel).
template <class T>
std::optional<kernels::PackedF32> pack_f32(const T* W, I64 rows, I64 K, bool transposed, I64 batch,
                                           const kernels::PackedBf16* W16) {
  if constexpr (std::is_same_v<T, float>)
    if (!W16 && batch > 1) return std::optional<kernels::PackedF32>(std::in_place, W, rows, K, K, transposed, batch);
  return std::nullopt;
}

// mul_wt through the f32 pack when there is one.
template <class T>
void mul_wt(I64 n, I64 N, I64 K, const T* A, I64 lda, const T* W, const kernels::PackedBf16* W16,
            const std::optional<kernels::PackedF32>& Wp, T beta, T* C, I64 ldc) {
  if constexpr (std::is_same_v<T, float>)
    if (Wp) return Wp->multiply(n, A, lda, beta, C, ldc);
  mul_wt(n, N, K, A, lda, W, W16, beta, C, ldc);
}

// C (n, N) = A W^T + bias through the bf16 kernel (the bias is added in its store, saving a pass over C);
// false when there is no bf16 pack (or T is double).
template <class T>
bool project_bf16(I64 n, const T* A, I64 lda, const kernels::PackedBf16* W16, const T* bias, T* C, I64 ldc) {
  if constexpr (std::is_same_v<T, float>)
    if (W16) return kernels::gemm_bf16(n, A, lda, *W16, 0.f, C, ldc, bias), true;
  return false;
}

// One direction over the slots `part` of the batch (all of them, or one part of a split batch: then the
// per-step products and the input projection run on the part's rows only). h0, c0, hn, cn: this direction's
// (B, ...) in the caller's order; y: the layer's output (N, D*H_out); save: allocated by the caller, or null.
template <class T>
void forward_direction(const LayerSpec& s, const PackPlan& p, I64 d, const Slots& part, const T* x, const T* h0,
                       const T* c0, const DirectionParams& w, T* y, T* hn, T* cn, Saved* save, DType dt) {
  const Dims m(s, p);
  const I64 nb = part.size();
  const bool lstm = s.cell == CellKind::lstm, proj = s.proj_size > 0, whole = nb == m.B;
  const T* w_ih = w.w_ih.data<T>();
  const T* w_hh = w.w_hh.data<T>();
  const T* b_hh = ptr<T>(w.b_hh);
  const Bf16Params* b16 = save ? nullptr : w.bf16.get();  // gradients are always exact fp32
  const kernels::PackedBf16 *ih16 = b16 ? &b16->w_ih : nullptr, *hh16 = b16 ? &b16->w_hh : nullptr;

  // Input projection x W_ih^T + bias, a chunk of steps at a time just before the steps use it, so its rows
  // are still in cache when the per-step product adds h W_hh^T to them (all at once, the gate buffer is
  // 26 MB at LSTM B = 64, T = 100, H = 256: written to memory and read back). LSTM/RNN fold both biases in
  // here, GRU keeps b_hh apart because b_hn sits inside r * (W_hn h + b_hn). Training keeps every step's
  // gates (backward needs them); inference reuses one chunk-sized buffer.
  const std::vector<T> bias = projection_bias<T>(s, w);
  // float: W_ih packed once, so the bias lands in the GEMM's store instead of a pass that fills the rows
  // with it first and a beta = 1 read of them. A part projects step by step (its rows of a chunk are not
  // contiguous), so its products are as tall as the part.
  const I64 chunk_steps = std::max<I64>(1, kProjectionRows / m.B);
  const auto ih_packed = pack_f32(w_ih, m.GH, m.I, true, whole ? m.B * chunk_steps : nb, ih16);
  const auto project = [&](I64 row0, I64 rows, T* dst) {
    if (project_bf16(rows, x + row0 * m.I, m.I, ih16, bias.data(), dst, m.GH)) return;
    if constexpr (std::is_same_v<T, float>)
      if (ih_packed) return ih_packed->multiply(rows, x + row0 * m.I, m.I, 0.f, dst, m.GH, s.bias ? bias.data() : nullptr);
    for (I64 i = 0; i < rows; ++i) std::memcpy(dst + i * m.GH, bias.data(), sizeof(T) * bias.size());
    gemm(false, true, rows, m.GH, m.I, T(1), x + row0 * m.I, m.I, w_ih, m.I, T(1), dst, m.GH);
  };
  Tensor gates_t = save ? save->gates : Tensor::empty({std::min(m.N, chunk_steps * m.B), m.GH}, dt);
  T* xg = gates_t.data<T>();
  I64 chunk_row0 = 0;  // packed row of xg[0] (inference) or 0 (training: xg holds every row)

  // State in sorted slot order (row i is slot part.begin + i); slots past step t's rows are not touched.
  std::vector<T> h(static_cast<std::size_t>(nb * m.Hout), T(0)), c(static_cast<std::size_t>(lstm ? nb * m.H : 0), T(0));
  for (I64 sl = part.begin; sl < part.end; ++sl) {
    const I64 b = p.order[sl], i = sl - part.begin;
    if (h0) std::memcpy(&h[i * m.Hout], h0 + b * m.Hout, sizeof(T) * static_cast<std::size_t>(m.Hout));
    if (lstm && c0) std::memcpy(&c[i * m.H], c0 + b * m.H, sizeof(T) * static_cast<std::size_t>(m.H));
  }
  // GRU reset-before multiplies only the r and z rows of W_hh by h.
  const auto hh_packed = pack_f32(w_hh, s.cell == CellKind::gru_reset_before ? 2 * m.H : m.GH, m.Hout, true, nb, hh16);
  std::vector<T> hg(static_cast<std::size_t>(nb * m.GH)), scratch(static_cast<std::size_t>(nb * m.H)),
      scratch2(static_cast<std::size_t>(nb * m.H));
  // One direction: each step writes h straight into its rows of y, and the next step reads h_{t-1} from there
  // (no copy of the state per step; it runs forward in time, so a step's rows are a prefix of the previous
  // step's). Only the initial state, read by the first step, lives in `h`. Two directions keep the state in `h`
  // and copy it into y: their rows of y are strided (2 * H_out), and oneDNN's matmul runs a strided A on its
  // slow reference path.
  const I64 ldy = m.D * m.Hout;
  const bool state_in_y = m.D == 1;  // then d == 0
  const T* hp = h.data();  // h_{t-1} of the step's n rows, row stride ldhp
  I64 ldhp = m.Hout;

  for (I64 st = 0; st < m.T; ++st) {
    const I64 t = d == 0 ? st : m.T - 1 - st;
    if (st % chunk_steps == 0) {  // project the next chunk of steps (packed rows are in time order)
      const I64 last = d == 0 ? std::min(t + chunk_steps, m.T) - 1 : std::max<I64>(t - chunk_steps + 1, 0);
      const I64 r0 = std::min(p.offsets[t], p.offsets[last]);
      const I64 r1 = std::max(p.offsets[t] + p.batch_sizes[t], p.offsets[last] + p.batch_sizes[last]);
      if (!save) chunk_row0 = r0;
      if (whole) project(r0, r1 - r0, xg + (r0 - chunk_row0) * m.GH);
      else
        for (I64 u = std::min(t, last); u <= std::max(t, last); ++u)
          if (const StepRows r = step_rows(p, part, u); r.n > 0) project(r.offset, r.n, xg + (r.offset - chunk_row0) * m.GH);
    }
    const auto [n, off] = step_rows(p, part, t);
    if (n == 0) continue;  // the part's items have all ended (forward) or not yet begun (reverse)
    if (st > 0 && state_in_y) hp = y + (p.offsets[t - 1] + part.begin) * ldy, ldhp = ldy;
    T* g = xg + (off - chunk_row0) * m.GH;
    T* const yt = y + off * ldy + d * m.Hout;
    T* const ht = state_in_y ? yt : h.data();  // where this step's h goes
    const I64 ldht = state_in_y ? ldy : m.Hout;
    if (save) {
      copy_rows(n, m.Hout, hp, ldhp, save->hprev.data<T>() + off * m.Hout, m.Hout);
      if (lstm) std::memcpy(save->cprev.data<T>() + off * m.H, c.data(), sizeof(T) * static_cast<std::size_t>(n * m.H));
    }
    switch (s.cell) {
      case CellKind::lstm: {
        mul_wt(n, m.GH, m.Hout, hp, ldhp, w_hh, hh16, hh_packed, T(1), g, m.GH);
        T* r = proj ? (save ? save->r.data<T>() + off * m.H : scratch.data()) : ht;
        T* tc = save ? save->tc.data<T>() + off * m.H : nullptr;
        kernels::lstm_forward(n, m.H, g, m.GH, c.data(), m.H, c.data(), m.H, r, proj ? m.H : ldht, tc, m.H);
        if (proj) mul_wt(n, m.Hout, m.H, r, m.H, w.w_hr.data<T>(), b16 ? &b16->w_hr : nullptr, T(0), ht, ldht);
        break;
      }
      case CellKind::rnn_tanh:
      case CellKind::rnn_relu:
        mul_wt(n, m.GH, m.H, hp, ldhp, w_hh, hh16, hh_packed, T(1), g, m.GH);
        kernels::rnn_forward(n, m.H, g, m.GH, s.cell == CellKind::rnn_relu, ht, ldht);
        break;
      case CellKind::gru: {
        mul_wt(n, m.GH, m.H, hp, ldhp, w_hh, hh16, hh_packed, T(0), hg.data(), m.GH);
        T* hl = save ? save->aux.data<T>() + off * m.H : scratch.data();
        kernels::gru_forward(n, m.H, g, m.GH, hg.data(), m.GH, b_hh, hl, m.H, hp, ldhp, ht, ldht);
        break;
      }
      case CellKind::gru_reset_before: {
        mul_wt(n, 2 * m.H, m.H, hp, ldhp, w_hh, hh16, hh_packed, T(0), hg.data(), 2 * m.H);
        T* rh = save ? save->aux.data<T>() + off * m.H : scratch.data();
        kernels::gru_rb_stage1(n, m.H, g, m.GH, hg.data(), 2 * m.H, b_hh, hp, ldhp, rh, m.H);
        mul_wt(n, m.H, m.H, rh, m.H, w_hh + 2 * m.H * m.H, b16 ? &b16->w_hh_n : nullptr, T(0), scratch2.data(), m.H);
        kernels::gru_rb_stage2(n, m.H, g, m.GH, scratch2.data(), m.H, b_hh, hp, ldhp, ht, ldht);
        break;
      }
    }
    if (!state_in_y) copy_rows(n, m.Hout, h.data(), m.Hout, yt, ldy);
  }
  for (I64 sl = part.begin; sl < part.end; ++sl) {
    const I64 b = p.order[sl], i = sl - part.begin;
    // In y, slot sl's final h is its row of the item's last step.
    const T* h_end = state_in_y ? y + (p.offsets[p.lengths[b] - 1] + sl) * ldy : &h[i * m.Hout];
    std::memcpy(hn + b * m.Hout, h_end, sizeof(T) * static_cast<std::size_t>(m.Hout));
    if (lstm) std::memcpy(cn + b * m.H, &c[i * m.H], sizeof(T) * static_cast<std::size_t>(m.H));
  }
}

// Gradients of one direction; null where not needed. dh0, dc0: (B, H_out), (B, H) in the caller's order.
template <class T>
struct DirectionGrads {
  T *dw_ih = nullptr, *dw_hh = nullptr, *db_ih = nullptr, *db_hh = nullptr, *dw_hr = nullptr;
  T* dh0 = nullptr;
  T* dc0 = nullptr;
};

StepGrads allocate_step_grads(const LayerSpec& s, const Dims& m, DType dt) {
  StepGrads g;
  g.dG = Tensor::empty({m.N, m.GH}, dt);
  if (s.cell == CellKind::gru) g.dGh = Tensor::empty({m.N, m.GH}, dt);
  if (s.proj_size > 0) g.dHall = Tensor::empty({m.N, m.Hout}, dt);
  return g;
}

// BPTT of one direction over the slots `part`: the step loop, backwards in time, filling the part's rows of
// `sg` and its slots of dh0 / dc0. dy: (N, D*H_out) or null; dhn, dcn: this direction's (B, ...) or null.
template <class T>
void bptt_part(const LayerSpec& s, const PackPlan& p, I64 d, const Slots& part, const Saved& sv,
               const DirectionParams& w, const T* dy, const T* dhn, const T* dcn, const StepGrads& sg, T* dh0, T* dc0) {
  const Dims m(s, p);
  const I64 nb = part.size();
  const bool lstm = s.cell == CellKind::lstm, proj = s.proj_size > 0;
  const T* w_hh = w.w_hh.data<T>();
  const T* gates = sv.gates.data<T>();
  const T* hprev = sv.hprev.data<T>();
  const I64 ldy = m.D * m.Hout;

  // Running gradients of h and c, row i for slot part.begin + i.
  std::vector<T> dh(static_cast<std::size_t>(nb * m.Hout), T(0)), dc(static_cast<std::size_t>(lstm ? nb * m.H : 0), T(0));
  for (I64 sl = part.begin; sl < part.end; ++sl) {
    const I64 b = p.order[sl], i = sl - part.begin;
    if (dhn) std::memcpy(&dh[i * m.Hout], dhn + b * m.Hout, sizeof(T) * static_cast<std::size_t>(m.Hout));
    if (lstm && dcn) std::memcpy(&dc[i * m.H], dcn + b * m.H, sizeof(T) * static_cast<std::size_t>(m.H));
  }
  T* dG = ptr<T>(sg.dG);
  std::vector<T> scratch(static_cast<std::size_t>(nb * m.H));
  // dh = dG W_hh (+ beta dh) at every step: W_hh (G*H, Hout) packed once for it, as in the forward (float,
  // batch > 1; the reset-before GRU multiplies parts of W_hh and keeps the plain GEMM).
  std::optional<kernels::PackedF32> hh_packed;
  if constexpr (std::is_same_v<T, float>)
    if (nb > 1 && s.cell != CellKind::gru_reset_before) hh_packed.emplace(w_hh, m.Hout, m.GH, m.Hout, false, nb);
  auto times_w_hh = [&](I64 n, const T* dgates, T beta, T* dh_out) {
    if constexpr (std::is_same_v<T, float>)
      if (hh_packed) return hh_packed->multiply(n, dgates, m.GH, beta, dh_out, m.Hout);
    gemm(false, false, n, m.Hout, m.GH, T(1), dgates, m.GH, w_hh, m.Hout, beta, dh_out, m.Hout);
  };

  for (I64 st = m.T - 1; st >= 0; --st) {
    const I64 t = d == 0 ? st : m.T - 1 - st;
    const auto [n, off] = step_rows(p, part, t);
    if (n == 0) continue;
    if (dy)
      for (I64 i = 0; i < n; ++i)
        for (I64 j = 0; j < m.Hout; ++j) dh[i * m.Hout + j] += dy[(off + i) * ldy + d * m.Hout + j];
    const T* g = gates + off * m.GH;
    T* dg = dG + off * m.GH;
    switch (s.cell) {
      case CellKind::lstm: {
        const T* dr = dh.data();
        if (proj) {
          copy_rows(n, m.Hout, dh.data(), m.Hout, ptr<T>(sg.dHall) + off * m.Hout, m.Hout);
          gemm(false, false, n, m.H, m.Hout, T(1), dh.data(), m.Hout, w.w_hr.data<T>(), m.H, T(0), scratch.data(), m.H);
          dr = scratch.data();
        }
        kernels::lstm_backward(n, m.H, g, m.GH, sv.tc.data<T>() + off * m.H, sv.cprev.data<T>() + off * m.H, m.H, dr, m.H,
                               dc.data(), m.H, dg, m.GH);
        times_w_hh(n, dg, T(0), dh.data());
        break;
      }
      case CellKind::rnn_tanh:
      case CellKind::rnn_relu:
        kernels::rnn_backward(n, m.H, g, m.GH, s.cell == CellKind::rnn_relu, dh.data(), m.H, dg, m.GH);
        times_w_hh(n, dg, T(0), dh.data());
        break;
      case CellKind::gru: {
        T* dgh = ptr<T>(sg.dGh) + off * m.GH;
        kernels::gru_backward(n, m.H, g, m.GH, sv.aux.data<T>() + off * m.H, m.H, hprev + off * m.H, m.H, dh.data(), m.H,
                              dg, m.GH, dgh, m.GH);
        times_w_hh(n, dgh, T(1), dh.data());
        break;
      }
      case CellKind::gru_reset_before: {
        kernels::gru_rb_backward_a(n, m.H, g, m.GH, hprev + off * m.H, m.H, dh.data(), m.H, dg, m.GH);
        gemm(false, false, n, m.H, m.H, T(1), dg + 2 * m.H, m.GH, w_hh + 2 * m.H * m.H, m.H, T(0), scratch.data(), m.H);
        kernels::gru_rb_backward_b(n, m.H, g, m.GH, hprev + off * m.H, m.H, scratch.data(), m.H, dh.data(), m.H, dg, m.GH);
        gemm(false, false, n, m.H, 2 * m.H, T(1), dg, m.GH, w_hh, m.H, T(1), dh.data(), m.H);
        break;
      }
    }
  }
  for (I64 sl = part.begin; sl < part.end; ++sl) {
    const I64 b = p.order[sl], i = sl - part.begin;
    if (dh0) std::memcpy(dh0 + b * m.Hout, &dh[i * m.Hout], sizeof(T) * static_cast<std::size_t>(m.Hout));
    if (dc0) std::memcpy(dc0 + b * m.H, &dc[i * m.H], sizeof(T) * static_cast<std::size_t>(m.H));
  }
}

// The weight and bias gradients of one direction: one large GEMM (or column sum) each over all packed rows.
template <class T>
void weight_grads(const LayerSpec& s, const PackPlan& p, const T* x, const Saved& sv, const StepGrads& sg,
                  const DirectionGrads<T>& out) {
  const Dims m(s, p);
  const T* dG = sg.dG.data<T>();
  const T* hprev = sv.hprev.data<T>();
  if (out.dw_ih) gemm(true, false, m.GH, m.I, m.N, T(1), dG, m.GH, x, m.I, T(0), out.dw_ih, m.I);
  const T* dGh = s.cell == CellKind::gru ? sg.dGh.data<T>() : dG;  // gradient w.r.t. (W_hh h + b_hh)
  if (out.dw_hh) {
    if (s.cell == CellKind::gru_reset_before) {
      gemm(true, false, 2 * m.H, m.H, m.N, T(1), dG, m.GH, hprev, m.H, T(0), out.dw_hh, m.H);
      gemm(true, false, m.H, m.H, m.N, T(1), dG + 2 * m.H, m.GH, sv.aux.data<T>(), m.H, T(0), out.dw_hh + 2 * m.H * m.H, m.H);
    } else {
      gemm(true, false, m.GH, m.Hout, m.N, T(1), dGh, m.GH, hprev, m.Hout, T(0), out.dw_hh, m.Hout);
    }
  }
  if (out.db_ih) col_sum(m.N, m.GH, dG, m.GH, out.db_ih);
  if (out.db_hh) {
    // Both biases enter the same pre-activation unless the cell is GRU: then db_hh == db_ih, so copy it
    // rather than sum the (N, G*H) gradient a second time.
    if (out.db_ih && dGh == dG) std::memcpy(out.db_hh, out.db_ih, sizeof(T) * static_cast<std::size_t>(m.GH));
    else col_sum(m.N, m.GH, dGh, m.GH, out.db_hh);
  }
  if (out.dw_hr) gemm(true, false, m.Hout, m.H, m.N, T(1), sg.dHall.data<T>(), m.Hout, sv.r.data<T>(), m.H, T(0), out.dw_hr, m.H);
}

// The threads a layer call may use: one inside a caller's parallel region (whose threads are busy already).
int layer_threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// Runs f(part) for every part of split_batch: at once, one thread each, when there is more than one (oneDNN's
// GEMMs run single-threaded inside the parallel region, each part being a chain of small products that keeps
// one core busy); an exception in any part is rethrown after they all finish.
template <class F>
void for_each_part(const std::vector<BatchPart>& parts, const F& f) {
  const int threads = layer_threads();
  if (parts.size() == 1 || threads < 2) {
    for (const auto& part : parts) f(part);
    return;
  }
  const int n = static_cast<int>(parts.size());
  std::vector<std::exception_ptr> error(parts.size());
#pragma omp parallel for num_threads(std::min(n, threads)) schedule(static, 1)
  for (int k = 0; k < n; ++k) {
    enable_flush_to_zero();  // MXCSR is per thread
    try {
      f(parts[static_cast<std::size_t>(k)]);
    } catch (...) {
      error[static_cast<std::size_t>(k)] = std::current_exception();
    }
  }
  for (auto& e : error)
    if (e) std::rethrow_exception(e);
}

// The parts of this layer call (split_batch with the threads there are to use).
std::vector<BatchPart> layer_parts(const PackPlan& p, I64 D) {
  return split_batch(p, D, layer_threads());
}

struct RnnLayerNode : autograd::Node {
  LayerSpec spec;
  std::shared_ptr<const PackPlan> plan;
  std::vector<Saved> saved;
  std::vector<DirectionParams> params;
  const char* name() const override { return "rnn_layer"; }

  // BPTT and the weight gradients of every direction, run as the parts of split_batch.
  template <class T>
  void bptt_parts(const std::vector<Tensor>& g, const T* x, const std::vector<StepGrads>& sg,
                  const std::vector<DirectionGrads<T>>& out) {
    const Dims m(spec, *plan);
    const auto parts = layer_parts(*plan, m.D);
    for_each_part(parts, [&](const BatchPart& part) {
      const I64 d = part.direction;
      const T* dhn = g[1].defined() ? g[1].data<T>() + d * m.B * m.Hout : nullptr;
      const T* dcn = g.size() > 2 && g[2].defined() ? g[2].data<T>() + d * m.B * m.H : nullptr;
      bptt_part<T>(spec, *plan, d, part.slots, saved[d], params[d], ptr<T>(g[0]), dhn, dcn, sg[d], out[d].dh0, out[d].dc0);
      // A whole direction's weight gradients run on its own thread; a split one's after the parts join.
      if (part.slots.size() == m.B) weight_grads<T>(spec, *plan, x, saved[d], sg[d], out[d]);
    });
    for (I64 d = 0; d < m.D; ++d)
      if (static_cast<I64>(parts.size()) > m.D) weight_grads<T>(spec, *plan, x, saved[d], sg[d], out[d]);
  }

  std::vector<Tensor> backward(const std::vector<Tensor>& g) override {
    ensure_threads_configured();
    const Dims m(spec, *plan);
    const DType dt = inputs[0].dtype();
    std::vector<Tensor> r(inputs.size());
    if (needs_grad(0)) r[0] = Tensor::empty({m.N, m.I}, dt);
    if (needs_grad(1)) r[1] = Tensor::empty({m.D, m.B, m.Hout}, dt);
    if (needs_grad(2)) r[2] = Tensor::empty({m.D, m.B, m.H}, dt);
    for (std::size_t k = 3; k < inputs.size(); ++k)
      if (needs_grad(k)) r[k] = Tensor::empty(inputs[k].shape(), dt);
    dispatch_floating(dt, "rnn_layer", [&](auto tag) {
      using T = decltype(tag);
      std::vector<StepGrads> sg;
      std::vector<DirectionGrads<T>> out(static_cast<std::size_t>(m.D));
      for (I64 d = 0; d < m.D; ++d) {
        sg.push_back(allocate_step_grads(spec, m, dt));
        const std::size_t base = 3 + static_cast<std::size_t>(d) * kParamsPerDirection;
        DirectionGrads<T>& o = out[d];
        o.dw_ih = ptr<T>(r[base]);
        o.dw_hh = ptr<T>(r[base + 1]);
        o.db_ih = ptr<T>(r[base + 2]);
        o.db_hh = ptr<T>(r[base + 3]);
        o.dw_hr = ptr<T>(r[base + 4]);
        o.dh0 = r[1].defined() ? r[1].data<T>() + d * m.B * m.Hout : nullptr;
        o.dc0 = r[2].defined() ? r[2].data<T>() + d * m.B * m.H : nullptr;
      }
      const T* x = inputs[0].data<T>();
      bool units_split = false;  // batches of 1-3 on several threads (rnn_units_split.hpp)
      if constexpr (std::is_same_v<T, float>) {
        const int threads = layer_threads();
        if (units_split_applies(spec, *plan, true, false, threads)) {
          const float* dcn = g.size() > 2 && g[2].defined() ? g[2].data<float>() : nullptr;
          bptt_units_split(spec, *plan, saved[0], params[0], ptr<float>(g[0]), ptr<float>(g[1]), dcn, sg[0], out[0].dh0,
                           out[0].dc0, threads);
          weight_grads<T>(spec, *plan, x, saved[0], sg[0], out[0]);
          units_split = true;
        }
      }
      if (!units_split) bptt_parts<T>(g, x, sg, out);
      // dx = sum over directions of dG_d W_ih_d, after the directions join: one full-width GEMM each.
      if (r[0].defined())
        for (I64 d = 0; d < m.D; ++d)
          gemm(false, false, m.N, m.I, m.GH, T(1), sg[d].dG.template data<T>(), m.GH, params[d].w_ih.template data<T>(), m.I,
               d > 0 ? T(1) : T(0), r[0].data<T>(), m.I);
    });
    return r;
  }
};

void check_param(const Tensor& t, const Shape& shape, DType dt, const std::string& what) {
  check_shape(t, shape, what);
  check_dtype(t, dt, what);
}

}  // namespace

LayerResult rnn_layer(const LayerSpec& spec, std::shared_ptr<const PackPlan> plan, const Tensor& x, const Tensor& h0,
                      const Tensor& c0, const std::vector<DirectionParams>& params) {
  ensure_threads_configured();
  const Dims m(spec, *plan);
  const DType dt = x.dtype();
  const bool lstm = spec.cell == CellKind::lstm;
  check_shape(x, {m.N, m.I}, "rnn layer input (packed)");
  if (h0.defined()) check_param(h0, {m.D, m.B, m.Hout}, dt, "h0");
  if (c0.defined()) check_param(c0, {m.D, m.B, m.H}, dt, "c0");
  if (static_cast<I64>(params.size()) != m.D) throw Error("rnn_layer: one parameter set per direction is needed");
  for (I64 d = 0; d < m.D; ++d) {
    const auto& w = params[d];
    check_param(w.w_ih, {m.GH, m.I}, dt, "weight_ih");
    check_param(w.w_hh, {m.GH, m.Hout}, dt, "weight_hh");
    if (spec.bias) check_param(w.b_ih, {m.GH}, dt, "bias_ih"), check_param(w.b_hh, {m.GH}, dt, "bias_hh");
    if (spec.proj_size > 0) check_param(w.w_hr, {m.Hout, m.H}, dt, "weight_hr");
  }

  LayerResult res;
  res.y = Tensor::empty({m.N, m.D * m.Hout}, dt);
  res.h_n = Tensor::empty({m.D, m.B, m.Hout}, dt);
  if (lstm) res.c_n = Tensor::empty({m.D, m.B, m.H}, dt);

  auto node = std::make_shared<RnnLayerNode>();
  node->inputs = {x, h0, c0};
  for (const auto& w : params) node->inputs.insert(node->inputs.end(), {w.w_ih, w.w_hh, w.b_ih, w.b_hh, w.w_hr});
  bool training = grad_mode_enabled();
  if (training) {
    training = false;
    for (auto& in : node->inputs) training = training || (in.defined() && in.requires_grad());
  }
  if (training)
    for (I64 d = 0; d < m.D; ++d) node->saved.push_back(allocate_saved(spec, m, dt));

  dispatch_floating(dt, "rnn layer", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float>) {
      const int threads = layer_threads();
      if (units_split_applies(spec, *plan, training, params[0].bf16 != nullptr, threads))
        return forward_units_split(spec, *plan, x.data<float>(), h0.defined() ? h0.data<float>() : nullptr,
                                   c0.defined() ? c0.data<float>() : nullptr, params[0], res.y.data<float>(),
                                   res.h_n.data<float>(), lstm ? res.c_n.data<float>() : nullptr,
                                   training ? &node->saved[0] : nullptr, threads);
    }
    for_each_part(layer_parts(*plan, m.D), [&](const BatchPart& part) {
      const I64 d = part.direction;
      const T* h0d = h0.defined() ? h0.data<T>() + d * m.B * m.Hout : nullptr;
      const T* c0d = c0.defined() ? c0.data<T>() + d * m.B * m.H : nullptr;
      forward_direction<T>(spec, *plan, d, part.slots, x.data<T>(), h0d, c0d, params[d], res.y.data<T>(),
                           res.h_n.data<T>() + d * m.B * m.Hout, lstm ? res.c_n.data<T>() + d * m.B * m.H : nullptr,
                           training ? &node->saved[d] : nullptr, dt);
    });
  });
  if (training) {
    node->spec = spec;
    node->plan = std::move(plan);
    node->params = params;
    autograd::record(node, {&res.y, &res.h_n, lstm ? &res.c_n : nullptr});
  }
  return res;
}

}  // namespace birnn::nn
