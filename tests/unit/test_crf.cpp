// CRF (crf.hpp). Brute force is the oracle: every one of the K^L tag sequences is enumerated to get log Z,
// the NLL, the best sequence and the marginals exactly (float64, 1e-10), with ragged lengths and
// constraints. Gradients: float64 central differences through the shared helper.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "unit/gradcheck.hpp"
#include "unit/test_util.hpp"

namespace birnn::testing {
namespace {

using I64 = std::vector<std::int64_t>;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

Tensor ids(const I64& v, const Shape& s) { return Tensor::from_vector(v, s); }

// One item, read out of the module and the padded batch, enumerated exhaustively.
struct Brute {
  double logZ = kNegInf, best_score = kNegInf;
  I64 best;
  std::vector<double> marg;  // (L, K) tag marginals
};

Brute brute_force(const CRF& crf, const Tensor& em, std::int64_t b, std::int64_t L, bool batch_first) {
  const std::int64_t K = crf.options().num_tags(), T = em.size(batch_first ? 1 : 0), B = em.size(batch_first ? 0 : 1);
  const auto sd = crf.state_dict();
  const Tensor s = sd.at("start_transitions"), f = sd.at("end_transitions"), A = sd.at("transitions");
  const auto& c = crf.options().constraints();
  auto e = [&](std::int64_t t, std::int64_t k) { return em.item((batch_first ? b * T + t : t * B + b) * K + k); };
  auto allowed = [&](const I64& y) {
    if (c.start().count(y[0]) || c.end().count(y.back())) return false;
    for (std::size_t t = 1; t < y.size(); ++t)
      if (c.transitions().count({y[t - 1], y[t]})) return false;
    return true;
  };
  std::vector<std::pair<double, I64>> all;
  I64 y(static_cast<std::size_t>(L), 0);
  for (;;) {
    if (allowed(y)) {
      double sc = s.item(y[0]) + f.item(y.back());
      for (std::int64_t t = 0; t < L; ++t) sc += e(t, y[t]);
      for (std::int64_t t = 1; t < L; ++t) sc += A.item(y[t - 1] * K + y[t]);
      all.push_back({sc, y});
    }
    std::int64_t t = 0;  // next sequence, like an odometer
    while (t < L && ++y[t] == K) y[t++] = 0;
    if (t == L) break;
  }
  Brute r;
  double m = kNegInf;
  for (auto& [sc, seq] : all) m = std::max(m, sc);
  double z = 0;
  for (auto& [sc, seq] : all) z += std::exp(sc - m);
  r.logZ = m + std::log(z);
  r.marg.assign(static_cast<std::size_t>(L * K), 0.0);
  for (auto& [sc, seq] : all) {
    if (sc > r.best_score) r.best_score = sc, r.best = seq;
    for (std::int64_t t = 0; t < L; ++t) r.marg[t * K + seq[t]] += std::exp(sc - r.logZ);
  }
  return r;
}

double gold_score(const CRF& crf, const Tensor& em, const Tensor& tags, std::int64_t b, std::int64_t L, bool bf) {
  const std::int64_t K = crf.options().num_tags(), T = em.size(bf ? 1 : 0), B = em.size(bf ? 0 : 1);
  const auto sd = crf.state_dict();
  auto y = [&](std::int64_t t) { return static_cast<std::int64_t>(tags.item(bf ? b * T + t : t * B + b)); };
  double sc = sd.at("start_transitions").item(y(0)) + sd.at("end_transitions").item(y(L - 1));
  for (std::int64_t t = 0; t < L; ++t) sc += em.item((bf ? b * T + t : t * B + b) * K + y(t));
  for (std::int64_t t = 1; t < L; ++t) sc += sd.at("transitions").item(y(t - 1) * K + y(t));
  return sc;
}

CRF make_crf(std::int64_t K, bool batch_first, CRFConstraints c = {}, std::uint64_t seed = 5) {
  manual_seed(seed);
  CRF crf(CRFOptions(K).batch_first(batch_first).constraints(std::move(c)));
  crf.to(DType::f64);
  // Spread the parameters beyond the init range so transitions matter as much as emissions.
  for (auto& p : crf.parameters())
    for (std::int64_t i = 0; i < p.numel(); ++i) p.data<double>()[i] = uniform(-1.5, 1.5);
  return crf;
}

// A constraint set that still leaves valid sequences of every length for K = 3.
CRFConstraints some_constraints() { return CRFConstraints().forbid(0, 2).forbid(2, 2).forbid(1, 0).forbid_start(2).forbid_end(0); }

// Tags that respect some_constraints() for every prefix of length >= 2 (item 0) or >= 1 (the others):
// item b follows pattern b % 4, in the (T, B) or (B, T) layout.
Tensor valid_tags(std::int64_t T, std::int64_t B, bool bf) {
  const std::vector<I64> patterns{{0, 1, 2, 1}, {1, 2, 1, 1}, {1, 1, 2, 1}, {1, 1, 1, 2}};
  I64 v(static_cast<std::size_t>(T * B));
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t b = 0; b < B; ++b) v[static_cast<std::size_t>(bf ? b * T + t : t * B + b)] = patterns[b % 4][t % 4];
  return ids(v, bf ? Shape{B, T} : Shape{T, B});
}

struct Case {
  bool batch_first, constrained;
};

class CRFBruteForce : public ::testing::TestWithParam<Case> {};

TEST_P(CRFBruteForce, LogPartitionNllViterbiAndMarginalsAreExact) {
  const auto [bf, constrained] = GetParam();
  const std::int64_t K = 3, T = 4, B = 4;
  CRF crf = make_crf(K, bf, constrained ? some_constraints() : CRFConstraints());
  const I64 len{4, 1, 3, 2};
  const Tensor lengths = ids(len, {B});
  manual_seed(77);
  Tensor em = random_f64(bf ? Shape{B, T, K} : Shape{T, B, K}, -2, 2).set_requires_grad(true);
  I64 tv(static_cast<std::size_t>(T * B));
  for (std::size_t i = 0; i < tv.size(); ++i) tv[i] = static_cast<std::int64_t>(i * 5 % K);
  Tensor tags = constrained ? valid_tags(T, B, bf) : ids(tv, bf ? Shape{B, T} : Shape{T, B});

  const Tensor logZ = crf.log_partition(em, lengths);
  const Tensor nll = crf.nll(em, tags, lengths);
  const auto best = crf.decode(em, lengths);
  ASSERT_EQ(logZ.shape(), (Shape{B}));
  double total = 0;
  for (std::int64_t b = 0; b < B; ++b) {
    const Brute bt = brute_force(crf, em, b, len[b], bf);
    EXPECT_NEAR(logZ.item(b), bt.logZ, 1e-10) << "item " << b;
    total += bt.logZ - gold_score(crf, em, tags, b, len[b], bf);
    EXPECT_EQ(best[b], bt.best) << "item " << b;
    ASSERT_EQ(static_cast<std::int64_t>(best[b].size()), len[b]);
  }
  EXPECT_NEAR(nll.item(), total, 1e-10);  // default reduction: sum

  // d log Z / d emissions = the tag marginals; zero at padded steps.
  sum(logZ).backward();
  for (std::int64_t b = 0; b < B; ++b) {
    const Brute bt = brute_force(crf, em, b, len[b], bf);
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t k = 0; k < K; ++k) {
        const double g = em.grad().item((bf ? b * T + t : t * B + b) * K + k);
        EXPECT_NEAR(g, t < len[b] ? bt.marg[t * K + k] : 0.0, 1e-10) << "b " << b << " t " << t << " k " << k;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, CRFBruteForce,
                         ::testing::Values(Case{false, false}, Case{true, false}, Case{false, true}, Case{true, true}),
                         [](const auto& i) {
                           return std::string(i.param.batch_first ? "batch_first" : "time_major") + (i.param.constrained ? "_constrained" : "");
                         });

TEST(CRF, ReductionsAgree) {
  const std::int64_t K = 3, T = 4, B = 3;
  CRF crf = make_crf(K, false);
  manual_seed(8);
  const Tensor em = random_f64({T, B, K});
  const Tensor tags = ids({0, 1, 2, 2, 0, 1, 1, 1, 0, 0, 2, 2}, {T, B});
  const Tensor lengths = ids({4, 2, 3}, {B});
  auto with = [&](CRFReduction r) {
    CRF c(CRFOptions(K).reduction(r));
    c.to(DType::f64);
    c.load_state_dict(crf.state_dict());
    return c.nll(em, tags, lengths);
  };
  const Tensor none = with(CRFReduction::none);
  ASSERT_EQ(none.shape(), (Shape{B}));
  const double s = none.item(0) + none.item(1) + none.item(2);
  EXPECT_NEAR(with(CRFReduction::sum).item(), s, 1e-12);
  EXPECT_NEAR(with(CRFReduction::mean).item(), s / 3, 1e-12);
  EXPECT_NEAR(with(CRFReduction::token_mean).item(), s / 9, 1e-12);
  for (std::int64_t b = 0; b < B; ++b) EXPECT_GT(none.item(b), 0.0);  // a probability below 1
  EXPECT_EQ(crf_reduction_from_string("token_mean"), CRFReduction::token_mean);
  EXPECT_THROW(crf_reduction_from_string("tokens"), OptionError);
}

// ---------------------------------------------------------------- gradient checks

void check_grads(CRF& crf, const Tensor& em, const Tensor& tags, const Tensor& lengths) {
  const auto p = crf.parameters();  // start_transitions, end_transitions, transitions
  EXPECT_EQ(gradcheck([&](auto& v) { return crf.nll(v[0], tags, lengths); }, {em, p[0], p[1], p[2]}), "");
  EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(crf.log_partition(v[0], lengths)); }, {em, p[0], p[1], p[2]}), "");
}

TEST(CRFGradcheck, EmissionsAndAllThreeTransitionParameters) {
  const std::int64_t K = 4, T = 5, B = 3;
  for (bool bf : {false, true}) {
    CRF crf = make_crf(K, bf);
    manual_seed(9);
    Tensor em = random_f64(bf ? Shape{B, T, K} : Shape{T, B, K}, -2, 2).set_requires_grad(true);
    I64 tv(static_cast<std::size_t>(T * B));
    for (std::size_t i = 0; i < tv.size(); ++i) tv[i] = static_cast<std::int64_t>((i * 3 + 1) % K);
    check_grads(crf, em, ids(tv, bf ? Shape{B, T} : Shape{T, B}), ids({5, 1, 3}, {B}));
  }
}

TEST(CRFGradcheck, WithConstraintsEveryReductionAndNoLengths) {
  const std::int64_t K = 3, T = 4, B = 2;
  for (CRFReduction r : {CRFReduction::none, CRFReduction::sum, CRFReduction::mean, CRFReduction::token_mean}) {
    manual_seed(10);
    CRF crf(CRFOptions(K).constraints(some_constraints()).reduction(r));
    crf.to(DType::f64);
    Tensor em = random_f64({T, B, K}, -2, 2).set_requires_grad(true);
    const Tensor tags = valid_tags(T, B, false);
    const auto p = crf.parameters();
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(crf.nll(v[0], tags, ids({4, 3}, {B}))); }, {em, p[0], p[1], p[2]}), "");
    EXPECT_EQ(gradcheck([&](auto& v) { return weighted_sum(crf.nll(v[0], tags)); }, {em, p[0], p[1], p[2]}), "");
  }
}

TEST(CRFGradcheck, ForbiddenEntriesGetZeroGradient) {
  CRF crf = make_crf(3, false, some_constraints());
  manual_seed(11);
  Tensor em = random_f64({4, 2, 3}).set_requires_grad(true);
  crf.nll(em, valid_tags(4, 2, false)).backward();
  const auto sd = crf.named_parameters();
  const Tensor gs = sd[0].second.grad(), ge = sd[1].second.grad(), gA = sd[2].second.grad();
  EXPECT_EQ(gs.item(2), 0.0);
  EXPECT_EQ(ge.item(0), 0.0);
  const CRFConstraints c = some_constraints();
  for (auto [i, j] : c.transitions()) EXPECT_EQ(gA.item(i * 3 + j), 0.0) << i << " -> " << j;
  EXPECT_NE(gA.item(1 * 3 + 1), 0.0);
}

// Emissions in the hundreds push the exp-space fast path into its exact fallbacks; results must still
// equal brute force (computed in log space) and gradients central differences.
TEST(CRF, ExtremeEmissionsStayExact) {
  const std::int64_t K = 3, T = 4, B = 2;
  CRF crf = make_crf(K, false, some_constraints());
  manual_seed(12);
  Tensor em = random_f64({T, B, K}, -900, 900).set_requires_grad(true);
  const Tensor lengths = ids({4, 3}, {B});
  const Tensor logZ = crf.log_partition(em, lengths);
  for (std::int64_t b = 0; b < B; ++b) EXPECT_NEAR(logZ.item(b), brute_force(crf, em, b, b == 0 ? 4 : 3, false).logZ, 1e-9);
  auto p = crf.parameters();
  const Tensor tags = valid_tags(T, B, false);
  EXPECT_EQ(gradcheck([&](auto& v) { return crf.nll(v[0], tags, lengths); }, {em, p[0], p[1], p[2]}, 1e-6, 1e-5), "");
  // Huge transitions too (A - Amax spans more than exp's range).
  p[2].data<double>()[1 * 3 + 1] = 800;
  p[2].data<double>()[1 * 3 + 2] = -800;
  const Tensor z2 = crf.log_partition(em, lengths);
  for (std::int64_t b = 0; b < B; ++b) EXPECT_NEAR(z2.item(b), brute_force(crf, em, b, b == 0 ? 4 : 3, false).logZ, 1e-9);
  EXPECT_EQ(gradcheck([&](auto& v) { return crf.nll(v[0], tags, lengths); }, {em, p[0], p[1], p[2]}, 1e-6, 1e-5), "");
}

// The state that wins at step 1 (tag 2) can only be reached from states 1000 below the best state of
// step 0 (0 -> 2 is forbidden), so the exp-space sums underflow to 0 and must be redone in log space,
// in the forward (alpha) and the backward (beta) recursions.
TEST(CRF, ExactWhenTheOnlyWayInIsFarBelowTheBestState) {
  CRF crf = make_crf(3, false, CRFConstraints().forbid(0, 2));
  Tensor em = Tensor::from_vector(std::vector<double>{0, -1000, -1000, -1000, -1000, 2000, 0, 0, 0}, {3, 1, 3});
  em.set_requires_grad(true);
  for (std::int64_t L : {2, 3}) {
    const Tensor lengths = ids({L}, {1});
    const Brute bt = brute_force(crf, em, 0, L, false);
    EXPECT_NEAR(crf.log_partition(em, lengths).item(), bt.logZ, 1e-9);
    EXPECT_EQ(crf.decode(em, lengths)[0], bt.best);
    em.zero_grad();
    crf.log_partition(em, lengths).backward();
    for (std::int64_t t = 0; t < L; ++t)
      for (std::int64_t k = 0; k < 3; ++k) EXPECT_NEAR(em.grad().item(t * 3 + k), bt.marg[t * 3 + k], 1e-10);
    const auto p = crf.parameters();
    const Tensor tags = ids({1, 2, 1}, {3, 1});
    EXPECT_EQ(gradcheck([&](auto& v) { return crf.nll(v[0], tags, lengths); }, {em, p[0], p[1], p[2]}, 1e-6, 1e-5), "");
  }
}

// ---------------------------------------------------------------- constraints and decoding

TEST(CRF, BioConstraints) {
  const std::vector<std::string> names{"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};
  const CRFConstraints c = CRFConstraints::bio(names);
  EXPECT_EQ(c.start(), (std::set<std::int64_t>{2, 4}));
  EXPECT_TRUE(c.end().empty());
  // I-PER (2) only after B-PER (1) or I-PER (2); I-LOC (4) only after B-LOC (3) or I-LOC (4).
  std::set<std::pair<std::int64_t, std::int64_t>> expect;
  for (std::int64_t i = 0; i < 5; ++i) {
    if (i != 1 && i != 2) expect.insert({i, 2});
    if (i != 3 && i != 4) expect.insert({i, 4});
  }
  EXPECT_EQ(c.transitions(), expect);
  EXPECT_THROW(CRFConstraints::bio({"O", "PER"}), OptionError);
  EXPECT_THROW(CRFConstraints::bio({"O", "E-PER"}), OptionError);
}

TEST(CRF, DecodingRespectsConstraintsEvenWhenEmissionsPreferForbiddenTags) {
  const std::vector<std::string> names{"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};
  const std::int64_t K = 5, T = 4, B = 3;
  CRF crf = make_crf(K, true, CRFConstraints::bio(names));
  manual_seed(13);
  Tensor em = random_f64({B, T, K}, -1, 1);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) em.data<double>()[(b * T + t) * K + (t % 2 ? 4 : 2)] += 10;  // I-* everywhere
  const Tensor lengths = ids({4, 1, 3}, {B});
  const auto best = crf.decode(em, lengths);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& y = best[b];
    EXPECT_NE(y[0], 2);
    EXPECT_NE(y[0], 4);
    for (std::size_t t = 1; t < y.size(); ++t) {
      if (y[t] == 2) EXPECT_TRUE(y[t - 1] == 1 || y[t - 1] == 2);
      if (y[t] == 4) EXPECT_TRUE(y[t - 1] == 3 || y[t - 1] == 4);
    }
    EXPECT_EQ(y, brute_force(crf, em, b, lengths.data<std::int64_t>()[b], true).best);
  }
  // Without constraints the same emissions decode to forbidden sequences.
  CRF free_crf = make_crf(K, true);
  EXPECT_EQ(free_crf.decode(em, lengths)[0][0], 2);
}

TEST(CRF, Float32AgreesWithFloat64) {
  CRF crf = make_crf(3, false);
  manual_seed(14);
  const Tensor em = random_f64({4, 2, 3});
  const Tensor tags = ids({0, 1, 2, 2, 1, 0, 0, 1}, {4, 2});
  const double ref = crf.nll(em, tags).item();
  const auto best = crf.decode(em);
  crf.to(DType::f32);
  EXPECT_NEAR(crf.nll(em.to(DType::f32), tags).item(), ref, 1e-5 * std::abs(ref) + 1e-5);
  EXPECT_EQ(crf.decode(em.to(DType::f32)), best);
  EXPECT_EQ(crf.nll(em.to(DType::f32), tags).dtype(), DType::f32);
}

TEST(CRF, ModuleParametersNamesShapesAndInit) {
  manual_seed(15);
  CRF crf(CRFOptions(7));
  const auto np = crf.named_parameters();
  ASSERT_EQ(np.size(), 3u);
  EXPECT_EQ(np[0].first, "start_transitions");
  EXPECT_EQ(np[1].first, "end_transitions");
  EXPECT_EQ(np[2].first, "transitions");
  EXPECT_EQ(np[0].second.shape(), (Shape{7}));
  EXPECT_EQ(np[2].second.shape(), (Shape{7, 7}));
  EXPECT_EQ(np[2].second.dtype(), DType::f32);
  for (auto& [n, p] : np)
    for (std::int64_t i = 0; i < p.numel(); ++i) {
      EXPECT_GE(p.item(i), -0.1);
      EXPECT_LT(p.item(i), 0.1);
    }
  EXPECT_EQ(crf.options().reduction(), CRFReduction::sum);
}

TEST(CRF, TrainingOnOneSequenceLearnsIt) {
  // Plain gradient descent on the parameters alone (emissions all zero): the gold sequence becomes the best.
  CRF crf(CRFOptions(3));
  const Tensor em = Tensor::zeros({4, 1, 3});
  const Tensor tags = ids({2, 0, 0, 1}, {4, 1});
  const double before = crf.nll(em, tags).item();
  for (int step = 0; step < 100; ++step) {
    crf.zero_grad();
    crf.nll(em, tags).backward();
    for (auto& p : crf.parameters())
      for (std::int64_t i = 0; i < p.numel(); ++i) p.data<float>()[i] -= 0.5f * p.grad().data<float>()[i];
  }
  EXPECT_LT(crf.nll(em, tags).item(), before / 4);
  EXPECT_EQ(crf.decode(em)[0], (I64{2, 0, 0, 1}));
}

// ---------------------------------------------------------------- bad input


TEST(CRFBadInput, TypedExceptionsNameTheProblem) {
  CRF crf(CRFOptions(3).constraints(some_constraints()));
  const Tensor em = Tensor::zeros({4, 2, 3});
  const Tensor ok_tags = valid_tags(4, 2, false);
  EXPECT_THROW(crf.nll(Tensor::zeros({4, 2, 5}), ok_tags), ShapeError);     // K mismatch
  EXPECT_THROW(crf.nll(Tensor::zeros({4, 3}), ok_tags), ShapeError);        // not 3-D
  EXPECT_THROW(crf.nll(em, ids({0, 1}, {2})), ShapeError);                  // tags shape
  EXPECT_THROW(crf.nll(em, Tensor::zeros({4, 2})), ShapeError);             // float tags
  EXPECT_THROW(crf.nll(em, Tensor()), ShapeError);
  EXPECT_THROW(crf.nll(em.to(DType::f64), ok_tags), ShapeError);            // dtype differs from the parameters
  EXPECT_THROW(crf.decode(Tensor::zeros({4, 2, 3}, DType::i64)), ShapeError);

  std::string m = error_of([&] { crf.nll(em, ok_tags, ids({4, 0}, {2})); });
  EXPECT_NE(m.find("lengths[1] = 0"), std::string::npos) << m;
  m = error_of([&] { crf.decode(em, ids({5, 1}, {2})); });
  EXPECT_NE(m.find("1..4"), std::string::npos) << m;

  I64 bad{1, 1, 1, 1, 1, 7, 1, 1};  // (T, B) = (4, 2): step 2 of item 1 is 7
  m = error_of([&] { crf.nll(em, ids(bad, {4, 2})); });
  EXPECT_NE(m.find("step 2 of item 1 = 7"), std::string::npos) << m;
  // Padding is not checked: the same tag beyond item 1's length is fine.
  EXPECT_NO_THROW(crf.nll(em, ids(bad, {4, 2}), ids({4, 2}, {2})));

  m = error_of([&] { crf.nll(em, ids({1, 1, 0, 1, 2, 1, 2, 1}, {4, 2})); });  // item 0: 1 -> 0 forbidden
  EXPECT_NE(m.find("may not follow tag 1"), std::string::npos) << m;
  m = error_of([&] { crf.nll(em, ids({2, 1, 1, 1, 1, 1, 1, 1}, {4, 2})); });  // starts with 2
  EXPECT_NE(m.find("may not start"), std::string::npos) << m;
  m = error_of([&] { crf.nll(em, ids({1, 1, 1, 1, 1, 1, 1, 1}, {4, 2}), ids({4, 1}, {2})); });  // fine
  EXPECT_EQ(m, "(no exception)");
  m = error_of([&] { crf.nll(em, ids({1, 1, 1, 1, 2, 1, 0, 1}, {4, 2})); });  // item 0: 1 1 2 0 ends with 0
  EXPECT_NE(m.find("step 3 of item 0: tag 0 may not end"), std::string::npos) << m;
}

TEST(CRFBadInput, OptionsAndImpossibleConstraints) {
  EXPECT_THROW(CRF(CRFOptions(0)), OptionError);
  EXPECT_THROW(CRF(CRFOptions(3).constraints(CRFConstraints().forbid(0, 3))), OptionError);
  EXPECT_THROW(CRF(CRFOptions(3).constraints(CRFConstraints().forbid_start(-1))), OptionError);
  const std::string m = error_of([] { CRF(CRFOptions(2).constraints(CRFConstraints().forbid_end(5))); });
  EXPECT_NE(m.find("forbidden end tag 5"), std::string::npos) << m;
  // Every start forbidden: no sequence at all.
  CRF none(CRFOptions(2).constraints(CRFConstraints().forbid_start(0).forbid_start(1)));
  EXPECT_THROW(none.decode(Tensor::zeros({2, 1, 2})), OptionError);
  EXPECT_THROW(none.log_partition(Tensor::zeros({2, 1, 2})), OptionError);
  // Length-1 sequences impossible (0 may not start, 1 may not end), longer ones fine.
  CRF odd(CRFOptions(2).constraints(CRFConstraints().forbid_start(1).forbid_end(0)));
  EXPECT_NO_THROW(odd.decode(Tensor::zeros({2, 1, 2})));
  const std::string m2 = error_of([&] { odd.decode(Tensor::zeros({2, 1, 2}), ids({1}, {1})); });
  EXPECT_NE(m2.find("no tag sequence of length 1"), std::string::npos) << m2;
}

}  // namespace
}  // namespace birnn::testing
