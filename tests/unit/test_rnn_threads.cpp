// Threads: how a layer's batch is cut into parts (split_batch), and that a layer gives the same outputs and
// gradients on any number of threads, its batch cut, its hidden units cut (batches of 1-3, rnn_units_split)
// or neither; inference (no saved state) through the units split as well.
#include <gtest/gtest.h>

#include <numeric>

#include "nn/batch_parts.hpp"
#include "nn/rnn_units_split.hpp"
#include "unit/rnn_test_util.hpp"

namespace birnn::testing {
namespace {

using nn::BatchPart;
using nn::split_batch;

std::shared_ptr<const nn::PackPlan> plan(std::int64_t T, std::vector<std::int64_t> lengths) {
  const auto B = static_cast<std::int64_t>(lengths.size());
  return nn::make_pack_plan(T, B, Tensor::from_vector(lengths, {B}));
}

// Packed rows of a part: the lengths of its slots.
std::int64_t rows(const nn::PackPlan& p, const BatchPart& part) {
  std::int64_t n = 0;
  for (std::int64_t s = part.slots.begin; s < part.slots.end; ++s) n += p.lengths[p.order[s]];
  return n;
}

// Every direction's parts cover its slots in order, each at least kMinPartSlots wide when there are several.
void expect_cover(const nn::PackPlan& p, std::int64_t D, const std::vector<BatchPart>& parts) {
  ASSERT_EQ(parts.size() % D, 0u);
  const std::size_t per = parts.size() / D;
  for (std::int64_t d = 0; d < D; ++d) {
    std::int64_t next = 0;
    for (std::size_t k = 0; k < per; ++k) {
      const BatchPart& part = parts[d * per + k];
      EXPECT_EQ(part.direction, d);
      EXPECT_EQ(part.slots.begin, next);
      if (per > 1) EXPECT_GE(part.slots.size(), nn::kMinPartSlots);
      next = part.slots.end;
    }
    EXPECT_EQ(next, p.B);
  }
}

TEST(BatchParts, DenseBatchSplitsIntoEqualHalves) {
  const auto p = plan(10, std::vector<std::int64_t>(64, 10));
  const auto parts = split_batch(*p, 1, 2);
  expect_cover(*p, 1, parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].slots.end, 32);
}

TEST(BatchParts, TwoDirectionsOnTwoThreadsRunWhole) {
  const auto p = plan(10, std::vector<std::int64_t>(64, 10));
  const auto parts = split_batch(*p, 2, 2);
  expect_cover(*p, 2, parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].slots.size(), 64);
  EXPECT_EQ(parts[1].direction, 1);
  EXPECT_EQ(split_batch(*p, 2, 4).size(), 4u);  // two threads per direction: each direction halved
  EXPECT_EQ(split_batch(*p, 1, 1).size(), 1u);
  EXPECT_EQ(split_batch(*p, 2, 1).size(), 2u);  // one part per direction even on one thread
  EXPECT_EQ(split_batch(*p, 1, 0).size(), 1u);
}

TEST(BatchParts, RaggedBatchSplitsByRowsNotItems) {
  // Lengths 10..100 as in the ragged benchmark: the longest items fill the first part with fewer slots.
  std::vector<std::int64_t> L;
  for (std::int64_t b = 0; b < 64; ++b) L.push_back(10 + b * 90 / 63);
  const auto p = plan(100, L);
  for (int threads : {2, 3, 5}) {
    const auto parts = split_batch(*p, 1, threads);
    expect_cover(*p, 1, parts);
    ASSERT_EQ(parts.size(), static_cast<std::size_t>(threads));
    for (const auto& part : parts)  // within one longest item of an equal share
      EXPECT_NEAR(static_cast<double>(rows(*p, part)), static_cast<double>(p->N) / threads, 100.0) << threads;
    EXPECT_LT(parts[0].slots.size(), parts.back().slots.size());
  }
}

TEST(BatchParts, SmallBatchesKeepTwoSlotsPerPart) {
  EXPECT_EQ(split_batch(*plan(5, {5}), 1, 2).size(), 1u);
  EXPECT_EQ(split_batch(*plan(5, {5, 5, 5}), 1, 2).size(), 1u);
  EXPECT_EQ(split_batch(*plan(5, {5, 5, 5, 5}), 1, 2).size(), 2u);
  EXPECT_EQ(split_batch(*plan(5, {5, 5, 5, 5, 5}), 1, 8).size(), 2u);
  // One long item and many short ones: the long one still gets a partner slot.
  const auto p = plan(100, {100, 1, 1, 1, 1, 1});
  const auto parts = split_batch(*p, 1, 2);
  expect_cover(*p, 1, parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].slots.size(), 2);
}

TEST(BatchParts, StepRowsOfAPart) {
  const auto p = plan(4, {4, 2, 3, 1});  // sorted lengths 4, 3, 2, 1
  const nn::Slots tail{2, 4};            // the items of lengths 2 and 1
  EXPECT_EQ(nn::step_rows(*p, tail, 0).n, 2);
  EXPECT_EQ(nn::step_rows(*p, tail, 0).offset, 2);
  EXPECT_EQ(nn::step_rows(*p, tail, 1).n, 1);
  EXPECT_EQ(nn::step_rows(*p, tail, 1).offset, p->offsets[1] + 2);
  EXPECT_EQ(nn::step_rows(*p, tail, 2).n, 0);
  EXPECT_EQ(nn::step_rows(*p, nn::Slots{0, 2}, 3).n, 1);
}

struct LayerRun {
  std::vector<Tensor> values;  // output, h_n, c_n, then the gradients of x, h0, c0 and every parameter
};

LayerRun run_layer(RecurrentBase& m, const Tensor& x, const Tensor& lengths, const Tensor& h0, const Tensor& c0,
                   int threads) {
  set_num_threads(threads);
  const bool lstm = m.config().cell == CellKind::lstm;
  std::vector<Tensor> leaves{x.detach().set_requires_grad(true), h0.detach().set_requires_grad(true),
                             c0.detach().set_requires_grad(true)};
  for (auto& p : m.parameters()) p.zero_grad();
  auto out = m.forward(leaves[0], lengths, leaves[1], lstm ? leaves[2] : Tensor());
  Tensor loss = add(weighted_sum(out.output, 1), weighted_sum(out.h_n, 2));
  if (lstm) loss = add(loss, weighted_sum(out.c_n, 3));
  loss.backward();
  LayerRun r;
  r.values = {out.output, out.h_n};
  if (lstm) r.values.push_back(out.c_n);
  for (std::size_t i = 0; i < (lstm ? 3u : 2u); ++i) r.values.push_back(leaves[i].grad());
  for (auto& p : m.parameters()) r.values.push_back(p.grad());
  return r;
}

// The 1-thread run is the one the PyTorch fixtures check; more threads cut the batch (one direction) or run
// the directions side by side and then cut them (4 threads), in float64 and in float32 (whose parts take
// other kernel paths: shorter products, the input projection step by step). Batches of 1-3 in float32 cut
// the hidden units instead, forward and BPTT (cells it supports, H >= kMinSplitHidden).
TEST(RnnThreads, SameOutputsAndGradientsOnAnyThreadCount) {
  const int saved = num_threads();
  const std::pair<CellKind, std::int64_t> cells[] = {{CellKind::rnn_tanh, 0}, {CellKind::lstm, 0}, {CellKind::lstm, 3},
                                                     {CellKind::gru, 0},      {CellKind::gru_reset_before, 0}};
  struct BatchHidden {
    std::int64_t B, H;
  };
  for (DType dt : {DType::f64, DType::f32})
    for (BatchHidden shape : {BatchHidden{9, 8}, BatchHidden{1, 64}, BatchHidden{2, 100}, BatchHidden{3, 64}})
      for (auto [cell, proj] : cells)
        for (bool bi : {false, true})
          for (bool ragged : {false, true}) {
            if (dt == DType::f64 && shape.B < 9) continue;  // the units split is float only
            manual_seed(11);
            const std::int64_t T = 7, B = shape.B, I = 5, H = shape.H, L = 2;
            RecurrentBase m(make_config(cell, I, H, L, bi, proj));
            m.to(dt);
            const std::int64_t D = m.config().num_directions(), Ho = m.config().output_size();
            const Tensor x = random_f64({T, B, I}).to(dt), h0 = random_f64({L * D, B, Ho}, -0.5, 0.5).to(dt),
                         c0 = random_f64({L * D, B, H}, -0.5, 0.5).to(dt);
            const Tensor one_short = Tensor::from_vector(std::vector<std::int64_t>{4}, {1});
            const Tensor lengths = ragged ? (B == 1 ? one_short : ragged_lengths(B, T)) : Tensor();
            if (B < 9 && !bi && proj == 0 && cell != CellKind::gru_reset_before) {  // the split is what runs
              nn::LayerSpec spec;
              spec.cell = cell, spec.input_size = I, spec.hidden_size = H;
              ASSERT_TRUE(nn::units_split_applies(spec, *nn::make_pack_plan(T, B, lengths), true, false, 2));
            }
            const LayerRun one = run_layer(m, x, lengths, h0, c0, 1);
            for (int threads : {2, 3, 4}) {
              const LayerRun many = run_layer(m, x, lengths, h0, c0, threads);
              ASSERT_EQ(many.values.size(), one.values.size());
              for (std::size_t k = 0; k < one.values.size(); ++k) {
                const Tensor& a = one.values[k];
                const Tensor& b = many.values[k];
                ASSERT_TRUE(a.defined() && b.defined()) << k;
                ASSERT_EQ(a.numel(), b.numel());
                const double tol = dt == DType::f64 ? 1e-12 : 2e-5;
                for (std::int64_t i = 0; i < a.numel(); ++i)
                  ASSERT_NEAR(b.item(i), a.item(i), tol * (1.0 + std::abs(a.item(i))))
                      << cell_name(cell) << (proj ? " proj" : "") << " B=" << B << " H=" << H << " bi=" << bi
                      << " ragged=" << ragged << " threads=" << threads << " value " << k << " element " << i;
              }
            }
          }
  set_num_threads(saved);
}

// Float32 inference at batches 1-3 on 2 and 3 threads (3: unit ranges of unequal width, H not a multiple of
// 24) against 1 thread, for every cell the split runs, with h0 / c0, dense and with ragged lengths.
TEST(RnnThreads, SmallBatchUnitsSplitMatchesOneThread) {
  const int saved = num_threads();
  NoGradGuard no_grad;
  for (CellKind cell : {CellKind::lstm, CellKind::gru, CellKind::rnn_tanh, CellKind::rnn_relu})
    for (std::int64_t H : {nn::kMinSplitHidden, std::int64_t{100}})
      for (std::int64_t B = 1; B <= nn::kMaxSplitBatch; ++B)
        for (bool ragged : {false, true}) {
          manual_seed(13);
          const std::int64_t T = 9, I = 7, L = 2;
          RecurrentBase m(make_config(cell, I, H, L, false));
          m.to(DType::f32);
          const Tensor one_short = Tensor::from_vector(std::vector<std::int64_t>{5}, {1});
          const Tensor lengths = ragged ? (B == 1 ? one_short : ragged_lengths(B, T)) : Tensor();
          nn::LayerSpec spec;
          spec.cell = cell, spec.input_size = I, spec.hidden_size = H;
          const auto p = nn::make_pack_plan(T, B, lengths);
          ASSERT_TRUE(nn::units_split_applies(spec, *p, false, false, 2)) << cell_name(cell);  // the path under test
          ASSERT_FALSE(nn::units_split_applies(spec, *p, false, true, 2));  // bf16 inference packs whole weights
          ASSERT_TRUE(nn::units_split_applies(spec, *p, true, true, 2));    // training runs fp32 anyway
          ASSERT_FALSE(nn::units_split_applies(spec, *p, false, false, 1));
          const bool lstm = cell == CellKind::lstm;
          const Tensor x = random_f64({T, B, I}).to(DType::f32), h0 = random_f64({L, B, H}, -0.5, 0.5).to(DType::f32),
                       c0 = random_f64({L, B, H}, -0.5, 0.5).to(DType::f32);
          set_num_threads(1);
          const auto one = m.forward(x, lengths, h0, lstm ? c0 : Tensor());
          for (int threads : {2, 3}) {
            set_num_threads(threads);
            const auto many = m.forward(x, lengths, h0, lstm ? c0 : Tensor());
            std::vector<std::pair<Tensor, Tensor>> pairs{{one.output, many.output}, {one.h_n, many.h_n}};
            if (lstm) pairs.push_back({one.c_n, many.c_n});
            for (const auto& [a, b] : pairs)
              for (std::int64_t i = 0; i < a.numel(); ++i)
                ASSERT_NEAR(b.item(i), a.item(i), 2e-6 * (1.0 + std::abs(a.item(i))))
                    << cell_name(cell) << " H=" << H << " B=" << B << " ragged=" << ragged << " threads=" << threads
                    << " element " << i;
          }
        }
  set_num_threads(saved);
}

}  // namespace
}  // namespace birnn::testing
