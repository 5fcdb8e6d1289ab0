// PyTorch as the oracle: every fixture in reference/fixtures (made by make_fixtures.py from
// torch.nn.RNN/LSTM/GRU) is loaded into a birnn module, run forward and backward, and compared:
// float32 forward to 1e-5 and gradients to 1e-4, float64 to 1e-9 (relative to each tensor's scale).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "birnn/birnn.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

std::vector<std::string> fixture_files() { return parity::fixture_stems(BIRNN_FIXTURE_DIR); }


RecurrentConfig config_from(const std::map<std::string, std::string>& md) {
  auto num = [&](const char* k) { return std::stoll(md.at(k)); };
  RecurrentConfig c;
  const std::string cell = md.at("cell");
  c.cell = cell == "lstm" ? CellKind::lstm : cell == "gru" ? CellKind::gru : cell == "gru_reset_before" ? CellKind::gru_reset_before
         : cell == "rnn_relu" ? CellKind::rnn_relu : CellKind::rnn_tanh;
  c.input_size = num("input_size");
  c.hidden_size = num("hidden_size");
  c.num_layers = num("num_layers");
  c.proj_size = num("proj_size");
  c.bias = num("bias") != 0;
  c.batch_first = num("batch_first") != 0;
  c.bidirectional = num("bidirectional") != 0;
  return c;
}

struct Param {
  std::string fixture;
  DType dtype;
};

void PrintTo(const Param& p, std::ostream* os) { *os << p.fixture << (p.dtype == DType::f32 ? " float32" : " float64"); }

class PyTorchParity : public ::testing::TestWithParam<Param> {};

TEST_P(PyTorchParity, ForwardAndGradientsMatch) {
  const auto& [name, dt] = GetParam();
  const double fwd_tol = dt == DType::f32 ? 1e-5 : 1e-9, grad_tol = dt == DType::f32 ? 1e-4 : 1e-9;
  const NamedTensors fx = load_safetensors(std::string(BIRNN_FIXTURE_DIR) + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) {
    auto it = fx.tensors.find(k);
    return it == fx.tensors.end() ? Tensor() : it->second;
  };
  RecurrentBase m(config_from(fx.metadata));
  m.to(dt);
  std::map<std::string, Tensor> weights;
  for (auto& [n, p] : m.named_parameters()) weights[n] = get(n);
  m.load_state_dict(weights);

  Tensor x = get("input").to(dt).set_requires_grad(true);
  Tensor h0 = get("h0"), c0 = get("c0");
  if (h0.defined()) h0 = h0.to(dt).set_requires_grad(true);
  if (c0.defined()) c0 = c0.to(dt).set_requires_grad(true);
  auto out = m.forward(x, get("lengths"), h0, c0);

  EXPECT_LE(scaled_error(out.output, get("output")), fwd_tol) << "output";
  EXPECT_LE(scaled_error(out.h_n, get("h_n")), fwd_tol) << "h_n";
  if (get("c_n").defined()) EXPECT_LE(scaled_error(out.c_n, get("c_n")), fwd_tol) << "c_n";

  std::vector<Tensor> roots{out.output, out.h_n}, grads{get("grad_output").to(dt), get("grad_h_n").to(dt)};
  if (out.c_n.defined()) roots.push_back(out.c_n), grads.push_back(get("grad_c_n").to(dt));
  autograd::backward(roots, grads);

  EXPECT_LE(scaled_error(x.grad(), get("grad.input")), grad_tol) << "grad.input";
  if (h0.defined()) EXPECT_LE(scaled_error(h0.grad(), get("grad.h0")), grad_tol) << "grad.h0";
  if (c0.defined()) EXPECT_LE(scaled_error(c0.grad(), get("grad.c0")), grad_tol) << "grad.c0";
  for (auto& [n, p] : m.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << "no gradient for " << n;
    EXPECT_LE(scaled_error(p.grad(), get("grad." + n)), grad_tol) << "grad." << n;
  }
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const auto& f : fixture_files()) v.push_back({f, DType::f32}), v.push_back({f, DType::f64});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PyTorchParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return i.param.fixture + (i.param.dtype == DType::f32 ? "_f32" : "_f64");
                         });

TEST(PyTorchParity, FixtureMatrixIsLargeEnough) { EXPECT_GE(fixture_files().size(), 60u); }

// A float32 PyTorch state_dict saved as safetensors (parameters only, PyTorch's names) loads through
// birnn::load with strict checking and reproduces PyTorch's forward output.
TEST(PyTorchStateDict, LoadsUnchangedAndGivesTheSameOutputs) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(BIRNN_STATE_DICT_DIR)) {
    if (e.path().extension() != ".safetensors") continue;
    ++files;
    const std::string name = e.path().stem().string();
    const NamedTensors fx = load_safetensors(std::string(BIRNN_FIXTURE_DIR) + "/" + name + ".safetensors");
    RecurrentBase m(config_from(fx.metadata));
    load(m, e.path().string());
    auto get = [&](const std::string& k) {
      auto it = fx.tensors.find(k);
      return it == fx.tensors.end() ? Tensor() : it->second.to(it->second.dtype() == DType::i64 ? DType::i64 : DType::f32);
    };
    NoGradGuard ng;
    m.eval();
    auto out = m.forward(get("input"), get("lengths"), get("h0"), get("c0"));
    EXPECT_LE(scaled_error(out.output, fx.tensors.at("output")), 1e-5) << name;
    EXPECT_LE(scaled_error(out.h_n, fx.tensors.at("h_n")), 1e-5) << name;
  }
  EXPECT_GE(files, 8);
}

}  // namespace
}  // namespace birnn
