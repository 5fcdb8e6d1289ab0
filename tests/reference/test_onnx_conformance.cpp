// ONNX as a second oracle, written from the ONNX operator spec by other people than PyTorch's: the
// conformance cases Debian ships for ONNX's RNN, LSTM and GRU operators (libonnx-testdata), and random cases
// run through ONNX's own reference implementation (fixtures made by make_onnx_fixtures.py). It is the only
// outside oracle for the reset-before GRU (ONNX's default linear_before_reset=0), which PyTorch lacks.
// Forward only (ONNX has no gradients); float32 to 1e-5, float64 to 1e-9 where the reference is float64.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "birnn/birnn.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

std::string onnx_dir() { return std::string(BIRNN_REFERENCE_DIR) + "/onnx_fixtures"; }

// ONNX stacks the gates of W, R and B as LSTM i,o,f,c and GRU z,r,h; PyTorch and birnn as LSTM i,f,g,o and
// GRU r,z,n. Entry k is the ONNX position of PyTorch's gate k.
std::vector<std::int64_t> onnx_gate_of(const std::string& op) {
  if (op == "LSTM") return {0, 2, 3, 1};
  if (op == "GRU") return {1, 0, 2};
  return {0};
}

// The (G*H, K) block of ONNX's flat W, R or B starting at element `first`, with its gates in PyTorch's order
// (K = 1 gives a bias vector of G*H).
Tensor pytorch_gates(const Tensor& onnx, std::int64_t first, const std::vector<std::int64_t>& gate_of, std::int64_t H,
                     std::int64_t K) {
  const std::vector<double> v = onnx.to_double_vector();
  std::vector<double> out;
  for (std::int64_t g : gate_of)
    for (std::int64_t row = 0; row < H; ++row)
      for (std::int64_t k = 0; k < K; ++k) out.push_back(v[static_cast<std::size_t>(first + (g * H + row) * K + k)]);
  const std::int64_t rows = static_cast<std::int64_t>(gate_of.size()) * H;
  return K == 1 ? Tensor::from_vector(out, {rows}) : Tensor::from_vector(out, {rows, K});
}

struct LayerRun {
  Tensor output, h_n;
};

// Runs the fixture's case through a birnn layer in dtype dt. reset_after_override: -1 = the case's own GRU form,
// else that form (to show a case can tell the two apart).
LayerRun run_case(const NamedTensors& fx, DType dt, int reset_after_override = -1) {
  const auto& md = fx.metadata;
  const std::string op = md.at("op");
  EXPECT_EQ(md.at("direction"), "forward");  // every ONNX case shipped or made has one direction
  const Tensor& X = fx.tensors.at("X");
  const std::int64_t H = std::stoll(md.at("hidden_size")), I = X.shape()[2];
  const bool layout_batch_first = md.at("layout") == "1";
  const bool reset_after = reset_after_override >= 0 ? reset_after_override == 1 : md.at("linear_before_reset") == "1";
  const bool has_bias = fx.tensors.count("B") > 0;

  RecurrentConfig c;
  c.cell = op == "LSTM"  ? CellKind::lstm
           : op == "RNN" ? CellKind::rnn_tanh
           : reset_after ? CellKind::gru
                         : CellKind::gru_reset_before;
  c.input_size = I;
  c.hidden_size = H;
  c.num_layers = 1;
  c.bias = has_bias;
  c.batch_first = layout_batch_first;
  RecurrentBase m(c);
  m.to(dt);

  const auto gate_of = onnx_gate_of(op);
  const std::int64_t G = static_cast<std::int64_t>(gate_of.size());
  std::map<std::string, Tensor> w{{"weight_ih_l0", pytorch_gates(fx.tensors.at("W"), 0, gate_of, H, I).to(dt)},
                                  {"weight_hh_l0", pytorch_gates(fx.tensors.at("R"), 0, gate_of, H, H).to(dt)}};
  if (has_bias) {  // ONNX's B is [Wb | Rb]: PyTorch's bias_ih then bias_hh
    w["bias_ih_l0"] = pytorch_gates(fx.tensors.at("B"), 0, gate_of, H, 1).to(dt);
    w["bias_hh_l0"] = pytorch_gates(fx.tensors.at("B"), G * H, gate_of, H, 1).to(dt);
  }
  m.load_state_dict(w);

  // One direction: ONNX's initial_h (1, B, H) is PyTorch's h0 as it is.
  auto state = [&](const char* k) { return fx.tensors.count(k) ? fx.tensors.at(k).to(dt) : Tensor(); };
  NoGradGuard no_grad;
  auto out = m.forward(X.to(dt), Tensor(), state("initial_h"), state("initial_c"));
  return {out.output, out.h_n};
}

// ONNX's Y is (T, 1, B, H) in layout 0 and (B, T, 1, H) in layout 1, Y_h (1, B, H) or (B, 1, H): with one
// direction each holds its numbers in the order of birnn's output (T, B, H) / (B, T, H) and h_n (1, B, H).
double error_against(const Tensor& got, const Tensor& onnx) {
  if (got.numel() != onnx.numel()) return INFINITY;
  return scaled_error(got, onnx.to(got.dtype()).reshape(got.shape()));
}

class OnnxConformance : public ::testing::TestWithParam<parity::FixtureParam> {};

TEST_P(OnnxConformance, OutputsMatchOnnx) {
  const auto& [name, dt] = GetParam();
  const NamedTensors fx = load_safetensors(onnx_dir() + "/" + name + ".safetensors");
  // Shipped cases hold float32 outputs (rounded by ONNX's numpy run), so 1e-5 in either dtype; random cases
  // hold float64 ones.
  const bool shipped = name.rfind("shipped_", 0) == 0;
  const double tol = dt == DType::f64 && !shipped ? 1e-9 : 1e-5;
  const LayerRun r = run_case(fx, dt);
  int compared = 0;
  for (const auto& [key, got] : {std::pair<std::string, Tensor>{"Y", r.output}, {"Y_h", r.h_n}}) {
    if (!fx.tensors.count(key)) continue;
    EXPECT_LE(error_against(got, fx.tensors.at(key)), tol) << key;
    ++compared;
  }
  EXPECT_GE(compared, 1) << "the case holds neither Y nor Y_h";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OnnxConformance,
                         ::testing::ValuesIn(parity::in_both_dtypes(parity::fixture_stems(onnx_dir()))),
                         [](const ::testing::TestParamInfo<parity::FixtureParam>& i) {
                           return parity::test_name(i.param);
                         });

// Every usable shipped case (11 in ONNX 1.12: all but test_lstm_with_peepholes) and the 7 random ones are here.
TEST(OnnxConformance, EveryCaseIsPresent) {
  EXPECT_EQ(parity::fixture_stems(onnx_dir(), "shipped_").size(), 11u);
  EXPECT_EQ(parity::fixture_stems(onnx_dir(), "random_").size(), 7u);
}

// The random GRU cases tell the two GRU forms apart, and the gate reordering above matters for every random
// case: the tests above could not pass with the wrong form or order. (The shipped cases with constant weights
// cannot tell either: every unit, and so every gate block, is alike.)
TEST(OnnxConformance, RandomCasesDistinguishTheGruFormsAndTheGateOrder) {
  for (const auto& name : parity::fixture_stems(onnx_dir(), "random_gru")) {
    const NamedTensors fx = load_safetensors(onnx_dir() + "/" + name + ".safetensors");
    const bool reset_after = fx.metadata.at("linear_before_reset") == "1";
    EXPECT_GT(error_against(run_case(fx, DType::f64, reset_after ? 0 : 1).output, fx.tensors.at("Y")), 1e-3) << name;
  }
  for (const auto& name : parity::fixture_stems(onnx_dir(), "random_")) {
    NamedTensors fx = load_safetensors(onnx_dir() + "/" + name + ".safetensors");
    if (fx.metadata.at("op") == "RNN") continue;  // one gate: no order
    // Swap the first two ONNX gate blocks of W, R and both halves of B, then expect a mismatch.
    const std::int64_t H = std::stoll(fx.metadata.at("hidden_size"));
    for (const char* k : {"W", "R", "B"}) {
      if (!fx.tensors.count(k)) continue;
      Tensor& t = fx.tensors.at(k);
      std::vector<double> v = t.to_double_vector();
      const std::int64_t per_gate = k[0] == 'B' ? H : H * t.shape()[2];
      const std::int64_t blocks = k[0] == 'B' ? 2 : 1, G = fx.metadata.at("op") == "LSTM" ? 4 : 3;
      for (std::int64_t b = 0; b < blocks; ++b)
        for (std::int64_t e = 0; e < per_gate; ++e)
          std::swap(v[b * G * per_gate + e], v[b * G * per_gate + per_gate + e]);
      t = Tensor::from_vector(v, t.shape());
    }
    EXPECT_GT(error_against(run_case(fx, DType::f64).output, fx.tensors.at("Y")), 1e-3) << name;
  }
}

}  // namespace
}  // namespace birnn
