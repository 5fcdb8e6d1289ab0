// CRF negative log-likelihood as one autograd op, and Viterbi decoding.
//
// Per item with length L, emissions e (L, K), start s, end f, transitions A (-inf where forbidden):
//   alpha_0(k) = s_k + e_0(k);   alpha_t(j) = e_t(j) + log sum_i exp(alpha_{t-1}(i) + A_ij)
//   beta_{L-1}(k) = f_k;         beta_t(i) = log sum_j exp(A_ij + e_{t+1}(j) + beta_{t+1}(j))
//   log Z = log sum_k exp(alpha_{L-1}(k) + f_k)
// Marginals P_t(k) = exp(alpha_t(k) + beta_t(k) - log Z) and
// P_t(i, j) = exp(alpha_{t-1}(i) + A_ij + e_t(j) + beta_t(j) - log Z) give the gradient of
// nll = log Z - score(y):  de_t(k) = P_t(k) - [y_t = k],  ds = P_0 - onehot(y_0),
// df = P_{L-1} - onehot(y_{L-1}),  dA_ij = sum_{t>0} P_t(i, j) - [y_{t-1} = i, y_t = j].
#include "nn/crf_op.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "birnn/autograd.hpp"
#include "core/dispatch.hpp"
#include "kernels/crf_kernels.hpp"

namespace birnn::nn {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  dispatch_floating(t.dtype(), "CRF", [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}

double log_sum_exp(const double* x, std::int64_t n) {
  double m = kNegInf;
  for (std::int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  if (m == kNegInf) return kNegInf;
  double s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
  return m + std::log(s);
}

// Validated inputs as doubles; parameters carry -inf where the lattice forbids.
struct Problem {
  std::int64_t T = 0, B = 0, K = 0;
  bool batch_first = false;
  std::vector<std::int64_t> len;  // (B)
  std::vector<double> e;          // emissions, in the caller's layout
  std::vector<double> s, f, A;    // (K), (K), (K, K)
  std::int64_t at(std::int64_t t, std::int64_t b, std::int64_t k) const {
    return (batch_first ? b * T + t : t * B + b) * K + k;
  }
  const double* row(std::int64_t t, std::int64_t b) const { return &e[static_cast<std::size_t>(at(t, b, 0))]; }
};

Problem make_problem(const CRFArgs& a, const std::string& op) {
  const Tensor& em = a.emissions;
  const std::int64_t K = a.lattice->K;
  if (em.dim() != 3 || em.size(2) != K)
    throw ShapeError(op + ": emissions must be " + (a.batch_first ? "(B, T, K)" : "(T, B, K)") + " with K = " + std::to_string(K) +
                     " tags, got " + shape_str(em.shape()));
  dispatch_floating(em.dtype(), (op + " emissions").c_str(), [](auto) {});
  for (const Tensor* p : {&a.start, &a.end, &a.transitions})
    if (p->dtype() != em.dtype())
      throw ShapeError(op + ": the CRF's parameters are " + dtype_name(p->dtype()) + " but the emissions are " +
                       dtype_name(em.dtype()) + " (convert one with .to())");
  Problem pb;
  pb.batch_first = a.batch_first;
  pb.T = em.size(a.batch_first ? 1 : 0), pb.B = em.size(a.batch_first ? 0 : 1), pb.K = K;
  if (pb.T < 1) throw ShapeError(op + ": emissions " + shape_str(em.shape()) + " have no time steps");
  pb.len.assign(static_cast<std::size_t>(pb.B), pb.T);
  if (a.lengths.defined()) {
    check_dtype(a.lengths, DType::i64, op + " lengths");
    check_shape(a.lengths, {pb.B}, op + " lengths (one per batch item)");
    for (std::int64_t b = 0; b < pb.B; ++b) {
      const std::int64_t L = a.lengths.data<std::int64_t>()[b];
      if (L < 1 || L > pb.T)
        throw ShapeError(op + ": lengths[" + std::to_string(b) + "] = " + std::to_string(L) + ": each length must be in 1.." +
                         std::to_string(pb.T));
      pb.len[static_cast<std::size_t>(b)] = L;
    }
  }
  pb.e = to_doubles(em);
  pb.s = to_doubles(a.start), pb.f = to_doubles(a.end), pb.A = to_doubles(a.transitions);
  const CRFLattice& lat = *a.lattice;
  for (std::int64_t k = 0; k < K; ++k) {
    if (!lat.start[static_cast<std::size_t>(k)]) pb.s[static_cast<std::size_t>(k)] = kNegInf;
    if (!lat.end[static_cast<std::size_t>(k)]) pb.f[static_cast<std::size_t>(k)] = kNegInf;
  }
  for (std::size_t i = 0; i < pb.A.size(); ++i)
    if (!lat.trans[i]) pb.A[i] = kNegInf;
  return pb;
}

// log-space products with the transition matrix. Fast path in exp space (K^2 multiply-adds, no exp per
// pair): sum_i exp(x_i + A_ij) = exp(m + Amax) sum_i exp(x_i - m) exp(A_ij - Amax). A sum that comes out
// tiny may have lost underflowed terms that matter, so that entry is redone exactly in log space.
// The exp-space product is a matrix product with EA (forward) or its transpose (backward), both stored so
// that the SIMD kernel reads rows, for the rows of all items at one time step together: one pass over the
// K x K matrix serves several items.
struct LogTransitions {
  std::int64_t K = 0;
  std::vector<double> A, EA;  // EA = exp(A - Amax), 0 where forbidden
  std::vector<double> AT, EAT;  // transposes
  double Amax = 0;
  static constexpr double kTiny = 1e-280;

  explicit LogTransitions(const std::vector<double>& a, std::int64_t k)
      : K(k), A(a), EA(a.size(), 0.0), AT(a.size()), EAT(a.size()) {
    double m = kNegInf;
    for (double v : A) m = std::max(m, v);
    Amax = m == kNegInf ? 0.0 : m;
    for (std::size_t i = 0; i < A.size(); ++i) EA[i] = A[i] == kNegInf ? 0.0 : std::exp(A[i] - Amax);
    for (std::int64_t i = 0; i < K; ++i)
      for (std::int64_t j = 0; j < K; ++j) {
        AT[static_cast<std::size_t>(j * K + i)] = A[static_cast<std::size_t>(i * K + j)];
        EAT[static_cast<std::size_t>(j * K + i)] = EA[static_cast<std::size_t>(i * K + j)];
      }
  }
  // For each of the n rows r: out[r][j] = log sum_i exp(x[r][i] + A[i, j])
  void forward(std::size_t n, const double* const* x, double* const* out) const { apply(n, x, out, EA, A); }
  // For each of the n rows r: out[r][i] = log sum_j exp(A[i, j] + x[r][j])
  void backward(std::size_t n, const double* const* x, double* const* out) const { apply(n, x, out, EAT, AT); }

 private:
  mutable std::vector<double> w_, s_, m_;  // scratch: (rows, K), (rows, K), (rows)
  mutable std::vector<std::size_t> live_;  // the rows with a finite maximum

  // out[r][j] = log sum_i exp(x[r][i] + a[i, j]) with ea = exp(a - Amax); a is A (fwd) or its transpose.
  void apply(std::size_t n, const double* const* x, double* const* out, const std::vector<double>& ea, const std::vector<double>& a) const {
    const auto Ks = static_cast<std::size_t>(K);
    w_.resize(n * Ks), s_.resize(n * Ks), m_.resize(n), live_.clear();
    for (std::size_t r = 0; r < n; ++r) {
      double m = kNegInf;
      for (std::int64_t i = 0; i < K; ++i) m = std::max(m, x[r][i]);
      if (m == kNegInf) {
        std::fill(out[r], out[r] + K, kNegInf);
        continue;
      }
      m_[live_.size()] = m;
      kernels::crf_exp_shifted(x[r], m, K, &w_[live_.size() * Ks]);
      live_.push_back(r);
    }
    kernels::crf_matmul(static_cast<std::int64_t>(live_.size()), w_.data(), ea.data(), K, K, s_.data());
    for (std::size_t l = 0; l < live_.size(); ++l) {
      const double* xr = x[live_[l]];
      double* o = out[live_[l]];
      const double* s = &s_[l * Ks];
      kernels::crf_log_offset(s, m_[l] + Amax, K, o);
      for (std::int64_t j = 0; j < K; ++j) {
        if (s[j] > kTiny) continue;
        double* terms = &w_[l * Ks];  // this row of w_ is free after the product: scratch for the terms
        for (std::int64_t i = 0; i < K; ++i) terms[i] = xr[i] + a[static_cast<std::size_t>(i * K + j)];
        o[j] = log_sum_exp(terms, K);
      }
    }
  }
};

// The rows of the items that are still running at one step: inputs and outputs of LogTransitions.
struct StepRows {
  std::vector<const double*> in;
  std::vector<double*> out;
  std::vector<std::int64_t> items;
  void clear() { in.clear(), out.clear(), items.clear(); }
  void add(std::int64_t b, const double* x, double* o) { items.push_back(b), in.push_back(x), out.push_back(o); }
};

struct CRFNode : autograd::Node {
  Problem pb;
  LogTransitions lt;
  std::vector<double> alpha;         // (B, T, K): alpha of item b at step t
  std::vector<double> logZ;          // (B)
  std::vector<std::int64_t> tags;    // (B, T) gold tags, empty for log_partition
  CRFReduction reduction = CRFReduction::none;
  double denom = 1;                  // mean: B, token_mean: sum of lengths

  CRFNode(Problem p, LogTransitions l) : pb(std::move(p)), lt(std::move(l)) {}
  const char* name() const override { return "crf_nll"; }
  std::vector<Tensor> backward(const std::vector<Tensor>& g) override;
};

std::vector<Tensor> CRFNode::backward(const std::vector<Tensor>& g) {
  const std::int64_t T = pb.T, B = pb.B, K = pb.K;
  const auto Ks = static_cast<std::size_t>(K);
  std::vector<double> de(pb.e.size(), 0.0), ds(Ks, 0.0), df(Ks, 0.0), dA(Ks * Ks, 0.0);
  const std::vector<double> gv = g[0].to_double_vector();
  const bool want_A = needs_grad(3);
  std::vector<double> v(Ks), p(Ks);
  // beta of every item (B, T, K), from the end, the items still running at step t together
  std::vector<double> beta(static_cast<std::size_t>(B * T) * Ks), vs(static_cast<std::size_t>(B) * Ks);
  for (std::int64_t b = 0; b < B; ++b)
    std::copy(pb.f.begin(), pb.f.end(), &beta[static_cast<std::size_t>(b * T + pb.len[static_cast<std::size_t>(b)] - 1) * Ks]);
  StepRows rows_t;
  for (std::int64_t t = T - 2; t >= 0; --t) {
    rows_t.clear();
    for (std::int64_t b = 0; b < B; ++b) {
      if (pb.len[static_cast<std::size_t>(b)] <= t + 1) continue;
      const double* e1 = pb.row(t + 1, b);
      const double* be1 = &beta[static_cast<std::size_t>(b * T + t + 1) * Ks];
      double* vb = &vs[rows_t.items.size() * Ks];
      for (std::int64_t j = 0; j < K; ++j) vb[j] = e1[j] + be1[j];
      rows_t.add(b, vb, &beta[static_cast<std::size_t>(b * T + t) * Ks]);
    }
    lt.backward(rows_t.in.size(), rows_t.in.data(), rows_t.out.data());
  }
  // Fast-path pairwise marginals factor as P(i, j) = EA_ij * r_i * c_j: the rows r (times u S) and c of a
  // sentence are stacked and summed as R^T C into G, and dA gets EA * G once at the end.
  std::vector<double> R, C, G;
  if (want_A) R.resize(static_cast<std::size_t>(T) * Ks), C.resize(static_cast<std::size_t>(T) * Ks), G.assign(Ks * Ks, 0.0);
  for (std::int64_t b = 0; b < B; ++b) {
    const double u = reduction == CRFReduction::none ? gv[static_cast<std::size_t>(b)] : gv[0] / denom;
    const std::int64_t L = pb.len[static_cast<std::size_t>(b)];
    const double* al = &alpha[static_cast<std::size_t>(b * T) * Ks];
    const double lz = logZ[static_cast<std::size_t>(b)];
    const std::int64_t* y = tags.empty() ? nullptr : &tags[static_cast<std::size_t>(b * T)];
    const double* be = &beta[static_cast<std::size_t>(b * T) * Ks];
    // unary marginals -> emissions, start, end
    for (std::int64_t t = 0; t < L; ++t) {
      for (std::int64_t k = 0; k < K; ++k) p[static_cast<std::size_t>(k)] = al[t * K + k] + be[t * K + k];
      kernels::crf_exp_shifted(p.data(), lz, K, p.data());
      for (std::int64_t k = 0; k < K; ++k) {
        const double d = u * (p[static_cast<std::size_t>(k)] - (y && y[t] == k ? 1.0 : 0.0));
        de[static_cast<std::size_t>(pb.at(t, b, k))] = d;
        if (t == 0) ds[static_cast<std::size_t>(k)] += d;
        if (t == L - 1) df[static_cast<std::size_t>(k)] += d;
      }
    }
    if (!want_A) continue;
    // pairwise marginals -> transitions: P(i, j) = S * a_i * EA_ij * c_j with a, c <= 1 (fast path), unless
    // the common factor S would be huge, in which case each entry is exponentiated on its own.
    std::int64_t rows = 0;  // fast-path steps stacked in R, C
    for (std::int64_t t = 1; t < L; ++t) {
      const double* e1 = pb.row(t, b);
      double ma = kNegInf, mv = kNegInf;
      for (std::int64_t k = 0; k < K; ++k) {
        v[static_cast<std::size_t>(k)] = e1[k] + be[t * K + k];
        ma = std::max(ma, al[(t - 1) * K + k]);
        mv = std::max(mv, v[static_cast<std::size_t>(k)]);
      }
      const double log_s = ma + mv + lt.Amax - lz;
      if (std::isfinite(log_s) && log_s < 300) {
        const double uS = u * std::exp(log_s);
        double* r = &R[static_cast<std::size_t>(rows * K)];
        kernels::crf_exp_shifted(al + (t - 1) * K, ma, K, r);
        for (std::int64_t k = 0; k < K; ++k) r[k] *= uS;
        kernels::crf_exp_shifted(v.data(), mv, K, &C[static_cast<std::size_t>(rows * K)]);
        ++rows;
      } else {
        for (std::int64_t i = 0; i < K; ++i)
          for (std::int64_t j = 0; j < K; ++j) {
            const double aij = lt.A[static_cast<std::size_t>(i * K + j)];
            if (aij != kNegInf) dA[static_cast<std::size_t>(i * K + j)] += u * std::exp(al[(t - 1) * K + i] + aij + v[static_cast<std::size_t>(j)] - lz);
          }
      }
      if (y) dA[static_cast<std::size_t>(y[t - 1] * K + y[t])] -= u;
    }
    if (rows > 0) kernels::crf_add_outer(rows, R.data(), C.data(), K, K, G.data());
  }
  if (want_A)
    for (std::size_t i = 0; i < Ks * Ks; ++i) dA[i] += lt.EA[i] * G[i];
  const DType dt = inputs[0].dtype();
  auto make = [&](const std::vector<double>& d, const Shape& s) {
    Tensor t = Tensor::empty(s, dt);
    dispatch_floating(dt, "CRF", [&](auto tag) {
      using T = decltype(tag);
      for (std::size_t i = 0; i < d.size(); ++i) t.data<T>()[i] = static_cast<T>(d[i]);
    });
    return t;
  };
  std::vector<Tensor> r(4);
  if (needs_grad(0)) r[0] = make(de, inputs[0].shape());
  if (needs_grad(1)) r[1] = make(ds, {K});
  if (needs_grad(2)) r[2] = make(df, {K});
  if (want_A) r[3] = make(dA, {K, K});
  return r;
}

// Checks the gold tags of real steps (ids and constraints) and returns them as (B, T).
std::vector<std::int64_t> check_tags(const Problem& pb, const CRFArgs& a, const Tensor& tags, const std::string& op) {
  check_dtype(tags, DType::i64, op + " tags");
  check_shape(tags, a.batch_first ? Shape{pb.B, pb.T} : Shape{pb.T, pb.B}, op + " tags");
  const CRFLattice& lat = *a.lattice;
  std::vector<std::int64_t> y(static_cast<std::size_t>(pb.B * pb.T), 0);
  for (std::int64_t b = 0; b < pb.B; ++b) {
    const std::int64_t L = pb.len[static_cast<std::size_t>(b)];
    for (std::int64_t t = 0; t < L; ++t) {
      const std::int64_t id = tags.data<std::int64_t>()[a.batch_first ? b * pb.T + t : t * pb.B + b];
      const std::string where = "tags at step " + std::to_string(t) + " of item " + std::to_string(b);
      if (id < 0 || id >= pb.K)
        throw ShapeError(op + ": " + where + " = " + std::to_string(id) + " is not a tag id in 0.." + std::to_string(pb.K - 1));
      if (t == 0 && !lat.start[static_cast<std::size_t>(id)])
        throw ShapeError(op + ": " + where + ": tag " + std::to_string(id) + " may not start a sequence (constraints)");
      if (t > 0 && !lat.trans[static_cast<std::size_t>(y[static_cast<std::size_t>(b * pb.T + t - 1)] * pb.K + id)])
        throw ShapeError(op + ": " + where + ": tag " + std::to_string(id) + " may not follow tag " +
                         std::to_string(y[static_cast<std::size_t>(b * pb.T + t - 1)]) + " (constraints)");
      if (t == L - 1 && !lat.end[static_cast<std::size_t>(id)])
        throw ShapeError(op + ": " + where + ": tag " + std::to_string(id) + " may not end a sequence (constraints)");
      y[static_cast<std::size_t>(b * pb.T + t)] = id;
    }
  }
  return y;
}

}  // namespace

CRFLattice CRFLattice::from(const CRFConstraints& c, std::int64_t K) {
  auto check = [&](std::int64_t id, const char* what) {
    if (id < 0 || id >= K)
      throw OptionError(std::string("CRF constraints: ") + what + " tag " + std::to_string(id) + " is not in 0.." + std::to_string(K - 1));
  };
  CRFLattice lat;
  lat.K = K;
  lat.start.assign(static_cast<std::size_t>(K), 1);
  lat.end.assign(static_cast<std::size_t>(K), 1);
  lat.trans.assign(static_cast<std::size_t>(K * K), 1);
  for (auto k : c.start()) check(k, "forbidden start"), lat.start[static_cast<std::size_t>(k)] = 0;
  for (auto k : c.end()) check(k, "forbidden end"), lat.end[static_cast<std::size_t>(k)] = 0;
  for (auto [i, j] : c.transitions()) {
    check(i, "forbidden transition's from");
    check(j, "forbidden transition's to");
    lat.trans[static_cast<std::size_t>(i * K + j)] = 0;
  }
  return lat;
}

Tensor crf_nll(const CRFArgs& a, const Tensor& tags, CRFReduction reduction) {
  const std::string op = tags.defined() ? "CRF nll" : "CRF log_partition";
  Problem pb = make_problem(a, op);
  std::vector<std::int64_t> y;
  if (tags.defined()) y = check_tags(pb, a, tags, op);
  LogTransitions lt(pb.A, pb.K);
  const std::int64_t T = pb.T, B = pb.B, K = pb.K;
  std::vector<double> alpha(static_cast<std::size_t>(B * T * K), kNegInf), logZ(static_cast<std::size_t>(B)),
      values(static_cast<std::size_t>(B)), last(static_cast<std::size_t>(K));
  // alpha, the items still running at step t together
  for (std::int64_t b = 0; b < B; ++b) {
    double* al = &alpha[static_cast<std::size_t>(b * T * K)];
    const double* e0 = pb.row(0, b);
    for (std::int64_t k = 0; k < K; ++k) al[k] = pb.s[static_cast<std::size_t>(k)] + e0[k];
  }
  StepRows rows_t;
  for (std::int64_t t = 1; t < T; ++t) {
    rows_t.clear();
    for (std::int64_t b = 0; b < B; ++b)
      if (pb.len[static_cast<std::size_t>(b)] > t) rows_t.add(b, &alpha[static_cast<std::size_t>((b * T + t - 1) * K)], &alpha[static_cast<std::size_t>((b * T + t) * K)]);
    lt.forward(rows_t.in.size(), rows_t.in.data(), rows_t.out.data());
    for (std::size_t r = 0; r < rows_t.items.size(); ++r) {
      const double* et = pb.row(t, rows_t.items[r]);
      for (std::int64_t k = 0; k < K; ++k) rows_t.out[r][k] += et[k];
    }
  }
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t L = pb.len[static_cast<std::size_t>(b)];
    const double* al = &alpha[static_cast<std::size_t>(b * T * K)];
    for (std::int64_t k = 0; k < K; ++k) last[static_cast<std::size_t>(k)] = al[(L - 1) * K + k] + pb.f[static_cast<std::size_t>(k)];
    const double lz = log_sum_exp(last.data(), K);
    if (lz == kNegInf)
      throw OptionError(op + ": no tag sequence of length " + std::to_string(L) + " (item " + std::to_string(b) +
                        ") satisfies the CRF constraints");
    logZ[static_cast<std::size_t>(b)] = lz;
    double score = 0;  // of the gold tags, with the raw parameters (they are allowed)
    if (!y.empty()) {
      const std::int64_t* yb = &y[static_cast<std::size_t>(b * T)];
      score = pb.s[static_cast<std::size_t>(yb[0])] + pb.f[static_cast<std::size_t>(yb[L - 1])];
      for (std::int64_t t = 0; t < L; ++t) score += pb.row(t, b)[yb[t]];
      for (std::int64_t t = 1; t < L; ++t) score += pb.A[static_cast<std::size_t>(yb[t - 1] * K + yb[t])];
    }
    values[static_cast<std::size_t>(b)] = lz - score;
  }

  double denom = 1, total = 0;
  for (double v : values) total += v;
  if (reduction == CRFReduction::mean) denom = static_cast<double>(B);
  if (reduction == CRFReduction::token_mean) {
    denom = 0;
    for (auto L : pb.len) denom += static_cast<double>(L);
  }
  const DType dt = a.emissions.dtype();
  Tensor out = Tensor::empty(reduction == CRFReduction::none ? Shape{B} : Shape{}, dt);
  dispatch_floating(dt, "CRF", [&](auto tag) {
    using Tv = decltype(tag);
    if (reduction == CRFReduction::none)
      for (std::int64_t b = 0; b < B; ++b) out.data<Tv>()[b] = static_cast<Tv>(values[static_cast<std::size_t>(b)]);
    else
      out.data<Tv>()[0] = static_cast<Tv>(total / denom);
  });

  auto node = std::make_shared<CRFNode>(std::move(pb), std::move(lt));
  node->inputs = {a.emissions, a.start, a.end, a.transitions};
  node->alpha = std::move(alpha);
  node->logZ = std::move(logZ);
  node->tags = std::move(y);
  node->reduction = reduction;
  node->denom = denom;
  autograd::record(node, {&out});
  return out;
}

std::vector<std::vector<std::int64_t>> crf_viterbi(const CRFArgs& a) {
  const Problem pb = make_problem(a, "CRF decode");
  const std::int64_t T = pb.T, K = pb.K;
  std::vector<std::vector<std::int64_t>> best(static_cast<std::size_t>(pb.B));
  std::vector<double> delta(static_cast<std::size_t>(K)), next(static_cast<std::size_t>(K));
  std::vector<std::int64_t> back(static_cast<std::size_t>(T * K));  // back[t * K + j]: best tag before j at step t
  for (std::int64_t b = 0; b < pb.B; ++b) {
    const std::int64_t L = pb.len[static_cast<std::size_t>(b)];
    for (std::int64_t k = 0; k < K; ++k) delta[static_cast<std::size_t>(k)] = pb.s[static_cast<std::size_t>(k)] + pb.row(0, b)[k];
    for (std::int64_t t = 1; t < L; ++t) {
      const double* et = pb.row(t, b);
      // next[j] = max_i delta[i] + A[i, j] (strict: ties keep the lower id), back = its argmax
      kernels::crf_maxplus(delta.data(), pb.A.data(), K, K, next.data(), &back[static_cast<std::size_t>(t * K)]);
      for (std::int64_t j = 0; j < K; ++j) next[static_cast<std::size_t>(j)] += et[j];
      delta.swap(next);
    }
    double m = kNegInf;
    std::int64_t arg = -1;
    for (std::int64_t k = 0; k < K; ++k) {
      const double v = delta[static_cast<std::size_t>(k)] + pb.f[static_cast<std::size_t>(k)];
      if (v > m) m = v, arg = k;
    }
    if (arg < 0)
      throw OptionError("CRF decode: no tag sequence of length " + std::to_string(L) + " (item " + std::to_string(b) +
                        ") satisfies the CRF constraints");
    auto& path = best[static_cast<std::size_t>(b)];
    path.assign(static_cast<std::size_t>(L), 0);
    path[static_cast<std::size_t>(L - 1)] = arg;
    for (std::int64_t t = L - 1; t > 0; --t)
      path[static_cast<std::size_t>(t - 1)] = back[static_cast<std::size_t>(t * K + path[static_cast<std::size_t>(t)])];
  }
  return best;
}

}  // namespace birnn::nn
