#include "nn/rnn_units_split.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/flush_to_zero.hpp"
#include "kernels/ab_switch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_packed.hpp"
#include "kernels/pointwise.hpp"

namespace birnn::nn {

namespace {
using I64 = std::int64_t;

// A barrier for the threads of one layer call, met once per step: a spinning wait (a step takes a few
// microseconds, less than putting a thread to sleep and waking it), yielding the core after a while in case
// the other thread was descheduled.
class SpinBarrier {
 public:
  void set_count(int n) { n_ = n; }
  void wait() {
    const unsigned gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins) {
      if (spins < (1u << 14)) _mm_pause();
      else std::this_thread::yield();
    }
  }

 private:
  int n_ = 1;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
};

I64 gate_count(CellKind c) { return c == CellKind::lstm ? 4 : c == CellKind::gru ? 3 : 1; }

// Rows [g*H + u0, g*H + u0 + n) of W (G*H, K) for every gate g, stacked: (G*n, K).
std::vector<float> gate_rows(const float* W, I64 G, I64 H, I64 K, I64 u0, I64 n) {
  std::vector<float> out(static_cast<std::size_t>(G * n * K));
  for (I64 g = 0; g < G; ++g)
    std::memcpy(&out[static_cast<std::size_t>(g * n * K)], W + (g * H + u0) * K, sizeof(float) * static_cast<std::size_t>(n * K));
  return out;
}

// Rows of the input projection computed at once, a chunk of steps just before they run (as in rnn_layer_op.cpp).
constexpr I64 kProjectionRows = 256;

// One thread's share: units [u0, u0 + n) of every item. Writes its columns of y (and of hn, cn).
class UnitsPart {
 public:
  UnitsPart(const LayerSpec& s, const PackPlan& p, const DirectionParams& w, I64 u0, I64 n)
      : cell_(s.cell), H_(s.hidden_size), I_(s.input_size), G_(gate_count(s.cell)), u0_(u0), n_(n) {
    const I64 Gn = G_ * n_;
    w_ih_ = gate_rows(w.w_ih.data<float>(), G_, H_, I_, u0_, n_);
    w_hh_ = gate_rows(w.w_hh.data<float>(), G_, H_, H_, u0_, n_);
    // LSTM and RNN fold both biases into the projection; GRU keeps b_hh apart (b_hn sits inside r * (...)).
    bias_.assign(static_cast<std::size_t>(Gn), 0.f);
    if (s.bias) {
      const auto bih = gate_rows(w.b_ih.data<float>(), G_, H_, 1, u0_, n_), bhh = gate_rows(w.b_hh.data<float>(), G_, H_, 1, u0_, n_);
      for (I64 j = 0; j < Gn; ++j) bias_[j] = bih[j] + (cell_ == CellKind::gru ? 0.f : bhh[j]);
      if (cell_ == CellKind::gru) b_hh_ = bhh;
    }
    // Two or three rows: the panel kernel where there is one (gemm_packed.hpp); one row: the row-dot kernel.
    if (p.B > 1) hh_packed_.emplace(w_hh_.data(), Gn, H_, H_, true, p.B);
    gates_.resize(static_cast<std::size_t>(std::min(p.N, kProjectionRows + p.B) * Gn));
    hg_.resize(static_cast<std::size_t>(p.B * Gn));
    aux_.resize(static_cast<std::size_t>(p.B * n_));
    c_.assign(static_cast<std::size_t>(p.B * n_), 0.f);
  }

  // Slot sl's c0 (H values) into its row.
  void set_c0(I64 sl, const float* c0) { std::memcpy(&c_[static_cast<std::size_t>(sl * n_)], c0 + u0_, sizeof(float) * static_cast<std::size_t>(n_)); }

  // x W_ih^T + bias for packed rows [r0, r1), which become the chunk buffer's rows from 0.
  void project(const float* x, I64 r0, I64 r1) {
    const I64 Gn = G_ * n_;
    for (I64 i = 0; i < r1 - r0; ++i) std::memcpy(&gates_[static_cast<std::size_t>(i * Gn)], bias_.data(), sizeof(float) * bias_.size());
    kernels::gemm(false, true, r1 - r0, Gn, I_, 1.f, x + r0 * I_, I_, w_ih_.data(), I_, 1.f, gates_.data(), Gn);
    chunk_row0_ = r0;
  }

  // One step on packed rows [off, off + rows): this part's units of h_t (rows of y from `ht`, stride H) from
  // all of h_{t-1} (`hp`, stride H); the slots are the first `rows`.
  void step(I64 off, I64 rows, const float* hp, float* ht) {
    const I64 Gn = G_ * n_;
    float* g = &gates_[static_cast<std::size_t>((off - chunk_row0_) * Gn)];
    switch (cell_) {
      case CellKind::lstm:
        times_w_hh(rows, hp, 1.f, g);
        kernels::lstm_forward(rows, n_, g, Gn, c_.data(), n_, c_.data(), n_, ht + u0_, H_, nullptr, 0);
        break;
      case CellKind::gru:
        times_w_hh(rows, hp, 0.f, hg_.data());
        kernels::gru_forward(rows, n_, g, Gn, hg_.data(), Gn, b_hh_.empty() ? nullptr : b_hh_.data(), aux_.data(), n_,
                             hp + u0_, H_, ht + u0_, H_);
        break;
      default:
        times_w_hh(rows, hp, 1.f, g);
        kernels::rnn_forward(rows, n_, g, Gn, cell_ == CellKind::rnn_relu, ht + u0_, H_);
        break;
    }
  }

  // The final state of slot sl: h from its last row of y (`h_last`), c from its row here.
  void write_state(I64 sl, const float* h_last, float* hn, float* cn) const {
    std::memcpy(hn + u0_, h_last + u0_, sizeof(float) * static_cast<std::size_t>(n_));
    if (cn) std::memcpy(cn + u0_, &c_[static_cast<std::size_t>(sl * n_)], sizeof(float) * static_cast<std::size_t>(n_));
  }

 private:
  // C (rows, G*n) = h W_hh_part^T + beta C
  void times_w_hh(I64 rows, const float* hp, float beta, float* C) const {
    if (hh_packed_) return hh_packed_->multiply(rows, hp, H_, beta, C, G_ * n_);
    kernels::gemm(false, true, rows, G_ * n_, H_, 1.f, hp, H_, w_hh_.data(), H_, beta, C, G_ * n_);
  }

  CellKind cell_;
  I64 H_, I_, G_, u0_, n_, chunk_row0_ = 0;
  std::vector<float> w_ih_, w_hh_, bias_, b_hh_, gates_, hg_, aux_, c_;
  std::optional<kernels::PackedF32> hh_packed_;  // of w_hh_, which stays where it is
};
}  // namespace

bool units_split_applies(const LayerSpec& s, const PackPlan& p, bool training, bool bf16, int threads) {
  static const bool enabled = kernels::ab_switch_on("BIRNN_UNIT_SPLIT");
  const bool cell_ok = (s.cell == CellKind::lstm && s.proj_size == 0) || s.cell == CellKind::gru ||
                       s.cell == CellKind::rnn_tanh || s.cell == CellKind::rnn_relu;
  return enabled && cell_ok && p.B < kMaxSplitBatch + 1 && s.directions == 1 && !training && !bf16 && threads >= 2 &&
         s.hidden_size >= kMinSplitHidden;
}

void forward_units_split(const LayerSpec& s, const PackPlan& p, const float* x, const float* h0, const float* c0,
                         const DirectionParams& w, float* y, float* hn, float* cn, int threads) {
  const I64 H = s.hidden_size;
  // Unit ranges on 8-float boundaries (whole SIMD vectors for the gate pass).
  const int parts = static_cast<int>(std::min<I64>(threads, H / 8));
  std::vector<I64> bound(static_cast<std::size_t>(parts) + 1);
  for (int k = 0; k < parts; ++k) bound[k] = H * k / parts / 8 * 8;
  bound[parts] = H;
  // h_{-1} in slot order (the first step reads it like any earlier step's rows of y).
  std::vector<float> h_init(static_cast<std::size_t>(p.B * H), 0.f);
  if (h0)
    for (I64 sl = 0; sl < p.B; ++sl) std::memcpy(&h_init[sl * H], h0 + p.order[sl] * H, sizeof(float) * static_cast<std::size_t>(H));
  const I64 chunk_steps = std::max<I64>(1, kProjectionRows / p.B);

  // OpenMP may give fewer threads than asked: then a thread runs several parts, one after the other per step.
  std::vector<std::unique_ptr<UnitsPart>> part(static_cast<std::size_t>(parts));
  SpinBarrier barrier;
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> error(static_cast<std::size_t>(parts));
#pragma omp parallel num_threads(parts)
  {
    const int team = omp_get_num_threads(), k = omp_get_thread_num();
#pragma omp single
    barrier.set_count(team);  // (the end of `single` waits for every thread)
    enable_flush_to_zero();   // MXCSR is per thread
    for (int j = k; j < parts; j += team) {
      try {
        part[j] = std::make_unique<UnitsPart>(s, p, w, bound[j], bound[j + 1] - bound[j]);
        if (c0)
          for (I64 sl = 0; sl < p.B; ++sl) part[j]->set_c0(sl, c0 + p.order[sl] * H);
      } catch (...) {
        error[j] = std::current_exception();
        failed = true;
      }
    }
    barrier.wait();  // nothing below throws; every thread stops here if a part could not be set up
    if (!failed) {
      for (I64 t = 0; t < p.T; ++t) {
        const I64 n = p.batch_sizes[t], off = p.offsets[t];
        if (n == 0) break;  // one direction: the items have all ended
        const I64 last = std::min(t + chunk_steps, p.T) - 1;
        for (int j = k; j < parts; j += team) {
          if (t % chunk_steps == 0) part[j]->project(x, off, p.offsets[last] + p.batch_sizes[last]);
          part[j]->step(off, n, t == 0 ? h_init.data() : y + p.offsets[t - 1] * H, y + off * H);
        }
        barrier.wait();  // h_t complete before any thread reads it
      }
      for (int j = k; j < parts; j += team)
        for (I64 sl = 0; sl < p.B; ++sl) {
          const I64 b = p.order[sl];
          part[j]->write_state(sl, y + (p.offsets[p.lengths[b] - 1] + sl) * H, hn + b * H, cn ? cn + b * H : nullptr);
        }
    }
  }
  for (auto& e : error)
    if (e) std::rethrow_exception(e);
}

}  // namespace birnn::nn
