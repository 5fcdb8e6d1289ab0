// Batch planning (shuffle, bucketing) and padded id tensors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "birnn/data/batch.hpp"
#include "birnn/error.hpp"
#include "birnn/random.hpp"

using namespace birnn::data;
using Ids = std::vector<std::int64_t>;

namespace {
Ids flat(const std::vector<Ids>& batches) {
  Ids all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}
Ids values(const birnn::Tensor& t) {
  Ids v(static_cast<std::size_t>(t.numel()));
  for (std::int64_t i = 0; i < t.numel(); ++i) v[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(t.item(i));
  return v;
}
}  // namespace

TEST(DataBatch, PlanInOrder) {
  const auto p = plan_batches({3, 1, 2, 5, 4}, BatchOptions(2));
  EXPECT_EQ(p, (std::vector<Ids>{{0, 1}, {2, 3}, {4}}));
  EXPECT_EQ(plan_batches({3, 1, 2, 5, 4}, BatchOptions(2).drop_last(true)).size(), 2u);
  EXPECT_TRUE(plan_batches({}, BatchOptions(2)).empty());
  EXPECT_THROW(plan_batches({1}, BatchOptions(0)), birnn::OptionError);
  EXPECT_THROW(plan_batches({1}, BatchOptions(1).bucket(-1)), birnn::OptionError);
}

TEST(DataBatch, ShuffleIsAPermutationAndSeeded) {
  Ids lengths(103, 1);
  birnn::manual_seed(7);
  const auto a = plan_batches(lengths, BatchOptions(10).shuffle(true));
  birnn::manual_seed(7);
  const auto b = plan_batches(lengths, BatchOptions(10).shuffle(true));
  EXPECT_EQ(a, b);
  auto all = flat(a);
  std::sort(all.begin(), all.end());
  Ids want(103);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(all, want);
  EXPECT_NE(flat(a), want);
}

TEST(DataBatch, BucketingCutsPadding) {
  Ids lengths;
  for (int i = 0; i < 256; ++i) lengths.push_back(1 + (i * 37) % 50);
  const auto padding = [&](const std::vector<Ids>& plan) {
    std::int64_t pad = 0;
    for (const auto& b : plan) {
      std::int64_t T = 0;
      for (auto i : b) T = std::max(T, lengths[static_cast<std::size_t>(i)]);
      for (auto i : b) pad += T - lengths[static_cast<std::size_t>(i)];
    }
    return pad;
  };
  birnn::manual_seed(1);
  const auto plain = plan_batches(lengths, BatchOptions(16).shuffle(true));
  birnn::manual_seed(1);
  const auto bucketed = plan_batches(lengths, BatchOptions(16).shuffle(true).bucket(8));
  EXPECT_LT(padding(bucketed) * 4, padding(plain));
  auto all = flat(bucketed);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 256u);
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
  // Without shuffling, each chunk of k batches is sorted longest first.
  const auto sorted = plan_batches({1, 3, 2, 4, 9, 8}, BatchOptions(2).bucket(2));
  EXPECT_EQ(sorted, (std::vector<Ids>{{3, 1}, {2, 0}, {4, 5}}));
}

TEST(DataBatch, PadBatch) {
  const std::vector<Ids> seqs = {{5, 6, 7}, {8}, {9, 10}};
  const auto b = pad_batch(seqs, {2, 0, 1});
  EXPECT_EQ(b.ids.shape(), (birnn::Shape{3, 3}));
  EXPECT_EQ(b.ids.dtype(), birnn::DType::i64);
  EXPECT_EQ(values(b.ids), (Ids{9, 10, 0, 5, 6, 7, 8, 0, 0}));
  EXPECT_EQ(values(b.lengths), (Ids{2, 3, 1}));
  EXPECT_EQ(b.indices, (Ids{2, 0, 1}));
  const auto t = pad_batch(seqs, {0, 1}, 2);
  EXPECT_EQ(values(t.ids), (Ids{5, 6, 8, 0}));
  EXPECT_EQ(values(t.lengths), (Ids{2, 1}));
  EXPECT_THROW(pad_batch(seqs, {}), birnn::OptionError);
  EXPECT_THROW(pad_batch(seqs, {3}), birnn::OptionError);
  EXPECT_THROW(pad_batch({{1}, {}}, {1}), birnn::OptionError);
}

TEST(DataBatch, PadCharBatch) {
  // Sentence 0: words "ab", "c"; sentence 1: word "defg".
  const std::vector<std::vector<Ids>> chars = {{{2, 3}, {4}}, {{5, 6, 7, 8}}};
  const auto t = pad_char_batch(chars, {0, 1});
  EXPECT_EQ(t.shape(), (birnn::Shape{2, 2, 4}));
  EXPECT_EQ(values(t), (Ids{2, 3, 0, 0, 4, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0}));
  const auto c = pad_char_batch(chars, {1, 0}, 3);
  EXPECT_EQ(c.shape(), (birnn::Shape{2, 2, 3}));
  EXPECT_EQ(values(c), (Ids{5, 6, 7, 0, 0, 0, 2, 3, 0, 4, 0, 0}));
  EXPECT_EQ(pad_char_batch({{{}}}, {0}).shape(), (birnn::Shape{1, 1, 1}));
  EXPECT_THROW(pad_char_batch(chars, {2}), birnn::OptionError);
}
