// Float64 gradient checks of every layer configuration: cell x direction x layers x variant
// (dense; ragged lengths + h0/c0 + batch_first; no bias + ragged). Gradients of the input, h0, c0 and
// every weight are compared with central differences.
#include <gtest/gtest.h>

#include "unit/rnn_test_util.hpp"

namespace birnn::testing {
namespace {

struct Case {
  CellKind cell;
  std::int64_t proj;
  bool bi;
  std::int64_t layers;
  int variant;  // 0 dense, 1 ragged + h0 + batch_first, 2 no bias + ragged
};

void PrintTo(const Case& c, std::ostream* os) { *os << cell_name(c.cell) << " variant " << c.variant; }

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  static const char* variants[] = {"dense", "ragged_h0_bf", "nobias_ragged"};
  return std::string(cell_name(c.cell)) + (c.proj ? "_proj" : "") + (c.bi ? "_bi" : "_uni") + "_l" +
         std::to_string(c.layers) + "_" + variants[c.variant];
}

std::vector<Case> all_cases() {
  std::vector<Case> v;
  const std::pair<CellKind, std::int64_t> cells[] = {{CellKind::rnn_tanh, 0}, {CellKind::rnn_relu, 0}, {CellKind::lstm, 0},
                                                     {CellKind::lstm, 2},     {CellKind::gru, 0},      {CellKind::gru_reset_before, 0}};
  for (auto [cell, proj] : cells)
    for (bool bi : {false, true})
      for (std::int64_t layers : {1, 2})
        for (int variant : {0, 1, 2}) v.push_back({cell, proj, bi, layers, variant});
  return v;
}

class RnnGradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(RnnGradcheck, MatchesCentralDifferences) {
  const Case& c = GetParam();
  manual_seed(7);
  const std::int64_t T = 4, B = 3, I = 3, H = 3;
  const bool ragged = c.variant != 0, with_h0 = c.variant == 1, batch_first = c.variant == 1;
  RecurrentBase m(make_config(c.cell, I, H, c.layers, c.bi, c.proj, c.variant != 2, batch_first));
  m.to(DType::f64);
  const auto& cfg = m.config();
  const std::int64_t LD = c.layers * cfg.num_directions();
  std::vector<Tensor> inputs;
  inputs.push_back(random_f64(batch_first ? Shape{B, T, I} : Shape{T, B, I}).set_requires_grad(true));
  if (with_h0) {
    inputs.push_back(random_f64({LD, B, cfg.output_size()}, -0.5, 0.5).set_requires_grad(true));
    if (c.cell == CellKind::lstm) inputs.push_back(random_f64({LD, B, H}, -0.5, 0.5).set_requires_grad(true));
  }
  const std::size_t n_state = inputs.size();
  for (auto& p : m.parameters()) inputs.push_back(p);
  const Tensor lengths = ragged ? ragged_lengths(B, T) : Tensor();

  auto loss = [&](const std::vector<Tensor>& in) {
    const Tensor h0 = n_state > 1 ? in[1] : Tensor();
    const Tensor c0 = n_state > 2 ? in[2] : Tensor();
    auto out = m.forward(in[0], lengths, h0, c0);
    Tensor l = add(weighted_sum(out.output, 1), weighted_sum(out.h_n, 2));
    if (out.c_n.defined()) l = add(l, weighted_sum(out.c_n, 3));
    return l;
  };
  EXPECT_EQ(gradcheck(loss, inputs, 1e-6, 1e-6), "");
}

INSTANTIATE_TEST_SUITE_P(AllConfigurations, RnnGradcheck, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace birnn::testing
