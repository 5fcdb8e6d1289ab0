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
#include "kernels/pointwise_backward.hpp"

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

// Rows [g*H + u0, g*H + u0 + n) of W (G*H, K) for every gate g, stacked: (G*n, K).
std::vector<float> gate_rows(const float* W, I64 G, I64 H, I64 K, I64 u0, I64 n) {
  std::vector<float> out(static_cast<std::size_t>(G * n * K));
  for (I64 g = 0; g < G; ++g)
    std::memcpy(&out[static_cast<std::size_t>(g * n * K)], W + (g * H + u0) * K,
                sizeof(float) * static_cast<std::size_t>(n * K));
  return out;
}

// Between a part's gate layout (rows, G*n: gate g's n units at g*n) and the layer's (rows, G*H: at g*H + u0).
void gates_to_layer(I64 rows, I64 G, I64 n, const float* part, I64 H, I64 u0, float* layer) {
  for (I64 g = 0; g < G; ++g) copy_rows(rows, n, part + g * n, G * n, layer + g * H + u0, G * H);
}
void gates_from_layer(I64 rows, I64 G, I64 n, const float* layer, I64 H, I64 u0, float* part) {
  for (I64 g = 0; g < G; ++g) copy_rows(rows, n, layer + g * H + u0, G * H, part + g * n, G * n);
}

// Unit ranges on 8-float boundaries (whole SIMD vectors for the gate pass), one per part.
std::vector<I64> unit_bounds(I64 H, int threads) {
  const int parts = static_cast<int>(std::min<I64>(threads, H / 8));
  std::vector<I64> bound(static_cast<std::size_t>(parts) + 1);
  for (int k = 0; k < parts; ++k) bound[k] = H * k / parts / 8 * 8;
  bound[parts] = H;
  return bound;
}

// Runs the unit ranges of `bound` as parts on up to that many threads: make(j, u0, n) builds part j (if any
// part throws, none runs and the first error is rethrown); then, for i < iterations, every thread calls
// step(part, i) for its parts and all meet at the barrier; then finish(part). OpenMP may give fewer threads
// than asked: then a thread runs several parts, one after the other in each iteration.
template <class Part, class Make, class Step, class Finish>
void run_unit_parts(const std::vector<I64>& bound, I64 iterations, const Make& make, const Step& step,
                    const Finish& finish) {
  const int parts = static_cast<int>(bound.size()) - 1;
  std::vector<std::unique_ptr<Part>> part(static_cast<std::size_t>(parts));
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
        part[j] = make(j, bound[j], bound[j + 1] - bound[j]);
      } catch (...) {
        error[j] = std::current_exception();
        failed = true;
      }
    }
    barrier.wait();  // nothing below throws; every thread stops here if a part could not be set up
    if (!failed) {
      for (I64 i = 0; i < iterations; ++i) {
        for (int j = k; j < parts; j += team) step(*part[j], i);
        barrier.wait();
      }
      for (int j = k; j < parts; j += team) finish(*part[j]);
    }
  }
  for (auto& e : error)
    if (e) std::rethrow_exception(e);
}

// One thread's share of the forward: units [u0, u0 + n) of every item. Writes its columns of y (and of hn,
// cn, and of what BPTT needs when `save` is given).
class ForwardPart {
 public:
  ForwardPart(const LayerSpec& s, const PackPlan& p, const DirectionParams& w, Saved* save, I64 u0, I64 n)
      : cell_(s.cell), H_(s.hidden_size), I_(s.input_size), G_(gate_count(s.cell)), u0_(u0), n_(n), save_(save) {
    const I64 Gn = G_ * n_;
    w_ih_ = gate_rows(w.w_ih.data<float>(), G_, H_, I_, u0_, n_);
    w_hh_ = gate_rows(w.w_hh.data<float>(), G_, H_, H_, u0_, n_);
    bias_ = gate_rows(projection_bias<float>(s, w).data(), G_, H_, 1, u0_, n_);
    if (cell_ == CellKind::gru && s.bias) b_hh_ = gate_rows(w.b_hh.data<float>(), G_, H_, 1, u0_, n_);  // apart
    // Two or three rows: the panel kernel where there is one (gemm_packed.hpp); one row: the row-dot kernel.
    if (p.B > 1) hh_packed_.emplace(w_hh_.data(), Gn, H_, H_, true, p.B);
    gates_.resize(static_cast<std::size_t>(std::min(p.N, kProjectionRows + p.B) * Gn));
    hg_.resize(static_cast<std::size_t>(p.B * Gn));
    aux_.resize(static_cast<std::size_t>(p.B * n_));
    c_.assign(static_cast<std::size_t>(p.B * n_), 0.f);
  }

  // Slot sl's c0 (H values) into its row.
  void set_c0(I64 sl, const float* c0) {
    std::memcpy(&c_[static_cast<std::size_t>(sl * n_)], c0 + u0_, sizeof(float) * static_cast<std::size_t>(n_));
  }

  // x W_ih^T + bias for packed rows [r0, r1), which become the chunk buffer's rows from 0.
  void project(const float* x, I64 r0, I64 r1) {
    const I64 Gn = G_ * n_;
    for (I64 i = 0; i < r1 - r0; ++i)
      std::memcpy(&gates_[static_cast<std::size_t>(i * Gn)], bias_.data(), sizeof(float) * bias_.size());
    kernels::gemm(false, true, r1 - r0, Gn, I_, 1.f, x + r0 * I_, I_, w_ih_.data(), I_, 1.f, gates_.data(), Gn);
    chunk_row0_ = r0;
  }

  // One step on packed rows [off, off + rows): this part's units of h_t (rows of y from `ht`, stride H) from
  // all of h_{t-1} (`hp`, stride H); the slots are the first `rows`.
  void step(I64 off, I64 rows, const float* hp, float* ht) {
    const I64 Gn = G_ * n_;
    float* g = &gates_[static_cast<std::size_t>((off - chunk_row0_) * Gn)];
    const auto at = [&](const Tensor& t) { return ptr<float>(t) + off * H_ + u0_; };
    if (save_) {
      copy_rows(rows, n_, hp + u0_, H_, at(save_->hprev), H_);
      if (cell_ == CellKind::lstm) copy_rows(rows, n_, c_.data(), n_, at(save_->cprev), H_);
    }
    switch (cell_) {
      case CellKind::lstm:
        times_w_hh(rows, hp, 1.f, g);
        kernels::lstm_forward(rows, n_, g, Gn, c_.data(), n_, c_.data(), n_, ht + u0_, H_,
                              save_ ? at(save_->tc) : nullptr, H_);
        break;
      case CellKind::gru:
        times_w_hh(rows, hp, 0.f, hg_.data());
        kernels::gru_forward(rows, n_, g, Gn, hg_.data(), Gn, b_hh_.empty() ? nullptr : b_hh_.data(),
                             save_ ? at(save_->aux) : aux_.data(), save_ ? H_ : n_, hp + u0_, H_, ht + u0_, H_);
        break;
      default:
        times_w_hh(rows, hp, 1.f, g);
        kernels::rnn_forward(rows, n_, g, Gn, cell_ == CellKind::rnn_relu, ht + u0_, H_);
        break;
    }
    if (save_) gates_to_layer(rows, G_, n_, g, H_, u0_, ptr<float>(save_->gates) + off * G_ * H_);
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
  Saved* save_;
  std::vector<float> w_ih_, w_hh_, bias_, b_hh_, gates_, hg_, aux_, c_;
  std::optional<kernels::PackedF32> hh_packed_;  // of w_hh_, which stays where it is
};

// One thread's share of BPTT: the gate gradients of units [u0, u0 + n) (written into the layer's dG rows)
// and their product with its rows of W_hh, a partial dh_{t-1} of all H units; after the barrier each part
// sums the partials of every part over its own units.
class BpttPart {
 public:
  BpttPart(const LayerSpec& s, const PackPlan& p, const DirectionParams& w, const Saved& sv, const StepGrads& sg,
           float* partials, int parts, int index, I64 u0, I64 n)
      : cell_(s.cell), H_(s.hidden_size), G_(gate_count(s.cell)), B_(p.B), u0_(u0), n_(n), sv_(sv), sg_(sg),
        partials_(partials), parts_(parts), index_(index) {
    const I64 Gn = G_ * n_;
    w_hh_ = gate_rows(w.w_hh.data<float>(), G_, H_, H_, u0_, n_);
    if (p.B > 1) hh_packed_.emplace(w_hh_.data(), H_, Gn, H_, false, p.B);
    g_.resize(static_cast<std::size_t>(p.B * Gn));
    dg_.resize(static_cast<std::size_t>(p.B * Gn));
    dgh_.resize(cell_ == CellKind::gru ? static_cast<std::size_t>(p.B * Gn) : 0);
    dh_.assign(static_cast<std::size_t>(p.B * n_), 0.f);
    dc_.assign(cell_ == CellKind::lstm ? static_cast<std::size_t>(p.B * n_) : 0, 0.f);
  }

  // Slot sl's incoming gradients of h_n and c_n (H values each, or null).
  void set_final(I64 sl, const float* dhn, const float* dcn) {
    if (dhn)
      std::memcpy(&dh_[static_cast<std::size_t>(sl * n_)], dhn + u0_, sizeof(float) * static_cast<std::size_t>(n_));
    if (dcn)
      std::memcpy(&dc_[static_cast<std::size_t>(sl * n_)], dcn + u0_, sizeof(float) * static_cast<std::size_t>(n_));
  }

  // One step of BPTT on packed rows [off, off + rows) (rows may be 0: a padded step), between two barriers:
  // first dh_t from the partials the parts wrote before the last barrier, then this step's gate gradients
  // and partial. dy: (N, H) or null.
  void step(I64 off, I64 rows, const float* dy, int parity) {
    finish_dh();
    if (rows == 0) return;
    gate_grads(off, rows, dy, parity);
    pending_rows_ = rows, pending_parity_ = parity;
  }

  // dh of this part's units from the last step's partials, if not summed yet.
  void finish_dh() {
    if (pending_rows_ > 0) sum_partials(pending_rows_, pending_parity_);
    pending_rows_ = 0;
  }

  void write_initial(I64 sl, float* dh0, float* dc0) const {
    if (dh0)
      std::memcpy(dh0 + u0_, &dh_[static_cast<std::size_t>(sl * n_)], sizeof(float) * static_cast<std::size_t>(n_));
    if (dc0)
      std::memcpy(dc0 + u0_, &dc_[static_cast<std::size_t>(sl * n_)], sizeof(float) * static_cast<std::size_t>(n_));
  }

 private:
  void gate_grads(I64 off, I64 rows, const float* dy, int parity) {
    const I64 Gn = G_ * n_;
    const auto at = [&](const Tensor& t) { return t.data<float>() + off * H_ + u0_; };
    if (dy)
      for (I64 i = 0; i < rows; ++i)
        for (I64 j = 0; j < n_; ++j) dh_[i * n_ + j] += dy[(off + i) * H_ + u0_ + j];
    gates_from_layer(rows, G_, n_, sv_.gates.data<float>() + off * G_ * H_, H_, u0_, g_.data());
    const float* dgates = dg_.data();  // what multiplies W_hh
    switch (cell_) {
      case CellKind::lstm:
        kernels::lstm_backward(rows, n_, g_.data(), Gn, at(sv_.tc), at(sv_.cprev), H_, dh_.data(), n_, dc_.data(), n_,
                               dg_.data(), Gn);
        break;
      case CellKind::gru:  // leaves the direct part z * dh in dh_
        kernels::gru_backward(rows, n_, g_.data(), Gn, at(sv_.aux), H_, at(sv_.hprev), H_, dh_.data(), n_, dg_.data(),
                              Gn, dgh_.data(), Gn);
        dgates = dgh_.data();
        gates_to_layer(rows, G_, n_, dgh_.data(), H_, u0_, ptr<float>(sg_.dGh) + off * G_ * H_);
        break;
      default:
        kernels::rnn_backward(rows, n_, g_.data(), Gn, cell_ == CellKind::rnn_relu, dh_.data(), n_, dg_.data(), Gn);
        break;
    }
    gates_to_layer(rows, G_, n_, dg_.data(), H_, u0_, ptr<float>(sg_.dG) + off * G_ * H_);
    float* mine = partial(index_, parity);
    if (hh_packed_) hh_packed_->multiply(rows, dgates, Gn, 0.f, mine, H_);
    else kernels::gemm(false, false, rows, H_, Gn, 1.f, dgates, Gn, w_hh_.data(), H_, 0.f, mine, H_);
  }

  // dh_{t-1} of this part's units = (GRU: the direct part +) the sum of every part's partial (after a barrier).
  void sum_partials(I64 rows, int parity) {
    const bool keep = cell_ == CellKind::gru;
    for (I64 i = 0; i < rows; ++i)
      for (I64 j = 0; j < n_; ++j) {
        float sum = keep ? dh_[i * n_ + j] : 0.f;
        for (int k = 0; k < parts_; ++k) sum += partial(k, parity)[i * H_ + u0_ + j];
        dh_[i * n_ + j] = sum;
      }
  }

  // Part k's partial dh of one parity (steps alternate between two, so a part that runs ahead to the next
  // step never overwrites what another part is still summing).
  float* partial(int k, int parity) const { return partials_ + (static_cast<I64>(k) * 2 + parity) * B_ * H_; }

  CellKind cell_;
  I64 H_, G_, B_, u0_, n_;
  const Saved& sv_;
  const StepGrads& sg_;
  float* partials_;
  int parts_, index_;
  I64 pending_rows_ = 0;  // rows of the partials written in the last step, not summed yet
  int pending_parity_ = 0;
  std::vector<float> w_hh_, g_, dg_, dgh_, dh_, dc_;
  std::optional<kernels::PackedF32> hh_packed_;  // of w_hh_, which stays where it is
};
}  // namespace

bool units_split_applies(const LayerSpec& s, const PackPlan& p, bool training, bool bf16, int threads) {
  static const bool enabled = kernels::ab_switch_on("BIRNN_UNIT_SPLIT");
  const bool cell_ok = (s.cell == CellKind::lstm && s.proj_size == 0) || s.cell == CellKind::gru ||
                       s.cell == CellKind::rnn_tanh || s.cell == CellKind::rnn_relu;
  return enabled && cell_ok && p.B <= kMaxSplitBatch && s.directions == 1 && !(bf16 && !training) && threads >= 2 &&
         s.hidden_size >= kMinSplitHidden;
}

void forward_units_split(const LayerSpec& s, const PackPlan& p, const float* x, const float* h0, const float* c0,
                         const DirectionParams& w, float* y, float* hn, float* cn, Saved* save, int threads) {
  const I64 H = s.hidden_size;
  // h_{-1} in slot order (the first step reads it like any earlier step's rows of y).
  std::vector<float> h_init(static_cast<std::size_t>(p.B * H), 0.f);
  if (h0)
    for (I64 sl = 0; sl < p.B; ++sl)
      std::memcpy(&h_init[sl * H], h0 + p.order[sl] * H, sizeof(float) * static_cast<std::size_t>(H));
  const I64 chunk_steps = std::max<I64>(1, kProjectionRows / p.B);
  run_unit_parts<ForwardPart>(
      unit_bounds(H, threads), p.T,
      [&](int, I64 u0, I64 n) {
        auto part = std::make_unique<ForwardPart>(s, p, w, save, u0, n);
        if (c0)
          for (I64 sl = 0; sl < p.B; ++sl) part->set_c0(sl, c0 + p.order[sl] * H);
        return part;
      },
      [&](ForwardPart& part, I64 t) {
        const I64 n = p.batch_sizes[t], off = p.offsets[t];
        if (n == 0) return;  // one direction: the items have all ended
        const I64 last = std::min(t + chunk_steps, p.T) - 1;
        if (t % chunk_steps == 0) part.project(x, off, p.offsets[last] + p.batch_sizes[last]);
        part.step(off, n, t == 0 ? h_init.data() : y + p.offsets[t - 1] * H, y + off * H);
      },
      [&](ForwardPart& part) {
        for (I64 sl = 0; sl < p.B; ++sl) {
          const I64 b = p.order[sl];
          part.write_state(sl, y + (p.offsets[p.lengths[b] - 1] + sl) * H, hn + b * H, cn ? cn + b * H : nullptr);
        }
      });
}

void bptt_units_split(const LayerSpec& s, const PackPlan& p, const Saved& sv, const DirectionParams& w, const float* dy,
                      const float* dhn, const float* dcn, const StepGrads& sg, float* dh0, float* dc0, int threads) {
  const I64 H = s.hidden_size;
  const auto bound = unit_bounds(H, threads);
  const int parts = static_cast<int>(bound.size()) - 1;
  std::vector<float> partials(static_cast<std::size_t>(parts * 2 * p.B * H));
  // One barrier a step: iteration i sums the partials of step i - 1 (written before the barrier) and writes
  // its own into the other parity's buffers, which every part finished reading before that barrier.
  run_unit_parts<BpttPart>(
      bound, p.T,
      [&](int j, I64 u0, I64 n) {
        auto part = std::make_unique<BpttPart>(s, p, w, sv, sg, partials.data(), parts, j, u0, n);
        for (I64 sl = 0; sl < p.B; ++sl)
          part->set_final(sl, dhn ? dhn + p.order[sl] * H : nullptr, dcn ? dcn + p.order[sl] * H : nullptr);
        return part;
      },
      [&](BpttPart& part, I64 i) {
        const I64 t = p.T - 1 - i;
        part.step(p.offsets[t], p.batch_sizes[t], dy, static_cast<int>(i % 2));
      },
      [&](BpttPart& part) {
        part.finish_dh();
        for (I64 sl = 0; sl < p.B; ++sl)
          part.write_initial(sl, dh0 ? dh0 + p.order[sl] * H : nullptr, dc0 ? dc0 + p.order[sl] * H : nullptr);
      });
}

}  // namespace birnn::nn
