// compare: the six cell forms, their names, parameter counts and cost measurement.
#include <gtest/gtest.h>

#include "birnn/compare/cells.hpp"
#include "birnn/compare/cost.hpp"
#include "birnn/memory.hpp"
#include "birnn/tensor.hpp"
#include "test_util.hpp"

namespace birnn::compare {
namespace {

TEST(CompareCells, SixFormsInReportOrderWithRoundTripNames) {
  const auto all = all_cell_variants();
  ASSERT_EQ(all.size(), 6u);
  const char* ids[] = {"rnn", "lstm", "gru", "birnn", "bilstm", "bigru"};
  const char* labels[] = {"RNN", "LSTM", "GRU", "BiRNN", "BiLSTM", "BiGRU"};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(all[i].id(), ids[i]);
    EXPECT_EQ(all[i].label(), labels[i]);
    EXPECT_EQ(parse_cell_variant(ids[i]).id(), ids[i]);
    EXPECT_EQ(parse_cell_variant(labels[i]).id(), ids[i]);  // case-insensitive
  }
}

TEST(CompareCells, BadNamesAreOptionErrorsNamingTheItem) {
  using testing::contains;
  using testing::error_of;
  EXPECT_TRUE(contains(error_of<OptionError>([] { parse_cell_variant("transformer"); }), "transformer"));
  EXPECT_TRUE(contains(error_of<OptionError>([] { parse_cell_variants("rnn,,gru"); }), "empty"));
  EXPECT_TRUE(contains(error_of<OptionError>([] { parse_cell_variants("lstm,LSTM"); }), "twice"));
  EXPECT_TRUE(contains(error_of<OptionError>([] { parse_cell_variants(""); }), "empty"));
  EXPECT_EQ(parse_cell_variants("gru,birnn").size(), 2u);
}

TEST(CompareCells, ParameterCountsFollowTheGateCounts) {
  const std::int64_t I = 2, H = 8;
  auto count = [&](const char* id) { return make_cell_model(parse_cell_variant(id), I, H, 1)->recurrent_parameter_count(); };
  // G*H*(I + H) weights + 2*G*H biases per direction.
  EXPECT_EQ(count("rnn"), 1 * H * (I + H) + 2 * 1 * H);
  EXPECT_EQ(count("lstm"), 4 * H * (I + H) + 2 * 4 * H);
  EXPECT_EQ(count("gru"), 3 * H * (I + H) + 2 * 3 * H);
  for (const char* base : {"rnn", "lstm", "gru"}) EXPECT_EQ(count((std::string("bi") + base).c_str()), 2 * count(base));
  auto bi = make_cell_model(parse_cell_variant("bigru"), I, H, 1);
  EXPECT_EQ(bi->parameter_count(), bi->recurrent_parameter_count() + 2 * H + 1);  // head on 2H features
}

TEST(CompareCells, ForwardGivesOneOutputPerSequence) {
  for (const auto& v : all_cell_variants()) {
    auto m = make_cell_model(v, 2, 4, 3);
    Tensor y = m->forward(Tensor::full({5, 7, 2}, 0.5));
    EXPECT_EQ(y.shape(), (Shape{7, 3})) << v.label();
  }
}

TEST(CompareCost, MeasuresPositiveTimesAndMemoryAndLeavesNoGradients) {
  CostOptions o;
  o.seq_len = 6, o.batch = 4, o.hidden_size = 8, o.reps = 3;
  const CellCost c = measure_cost(parse_cell_variant("bilstm"), o);
  EXPECT_EQ(c.variant.id(), "bilstm");
  EXPECT_GT(c.forward_ms, 0);
  EXPECT_GT(c.backward_ms, 0);
  EXPECT_GT(c.tokens_per_s, 0);
  // At least the LSTM's saved gates for every step of both directions: 2 * T * B * 4H floats.
  EXPECT_GE(c.peak_bytes, std::size_t(2 * 6 * 4 * 4 * 8 * 4));
  EXPECT_EQ(c.recurrent_parameters, 2 * (4 * 8 * (2 + 8) + 2 * 4 * 8));
  const auto all = measure_costs(parse_cell_variants("rnn,bigru"), o);  // interleaved, in the given order
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].variant.id(), "rnn");
  EXPECT_EQ(all[1].variant.id(), "bigru");
  EXPECT_EQ(all[1].recurrent_parameters, 2 * (3 * 8 * (2 + 8) + 2 * 3 * 8));
  EXPECT_GT(all[1].cpu_share, 0);
  EXPECT_EQ(median_of({3, 1, 2}), 2);
  EXPECT_EQ(median_of({4, 1, 2, 3}), 2.5);
}

// The counters behind the peak-memory column (memory.hpp): live bytes follow tensor storage exactly
// (64-byte rounding), the peak keeps the high-water mark until reset.
TEST(CompareCost, TensorMemoryCountersFollowStorage) {
  const std::size_t before = tensor_bytes_live();
  reset_peak_tensor_bytes();
  EXPECT_EQ(peak_tensor_bytes(), before);
  {
    Tensor a = Tensor::empty({1000});  // 4000 bytes -> 4032
    EXPECT_EQ(tensor_bytes_live(), before + 4032);
    Tensor b = a;                      // a handle, not a copy
    EXPECT_EQ(tensor_bytes_live(), before + 4032);
    Tensor c = a.clone();
    EXPECT_EQ(tensor_bytes_live(), before + 2 * 4032);
  }
  EXPECT_EQ(tensor_bytes_live(), before);
  EXPECT_EQ(peak_tensor_bytes(), before + 2 * 4032);
  reset_peak_tensor_bytes();
  EXPECT_EQ(peak_tensor_bytes(), before);
}

}  // namespace
}  // namespace birnn::compare
