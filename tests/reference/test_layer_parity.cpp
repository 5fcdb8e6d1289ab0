// PyTorch as the oracle for the layers: every fixture in reference/layer_fixtures (made by
// make_layer_fixtures.py from torch.nn modules and plain torch ops) is rebuilt in birnn from its metadata,
// loaded with the same weights, run forward and backward, and compared: float32 forward to 1e-5 and
// gradients to 1e-4, float64 to 1e-9 (relative to each tensor's scale).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "birnn/birnn.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/layer_fixtures";

std::vector<std::string> layer_fixture_files() { return parity::fixture_stems(kDir); }


// The birnn side of one fixture: a module (possibly without parameters) and how to call it.
struct Built {
  std::shared_ptr<Module> module;
  std::function<Tensor(const Tensor& input, const Tensor& lengths)> forward;
};

template <class M>
Built wrap(std::shared_ptr<M> m) {
  return {m, [m](const Tensor& x, const Tensor&) { return m->forward(x); }};
}

Built build(const std::map<std::string, std::string>& md) {
  auto num = [&](const char* k) { return std::stoll(md.at(k)); };
  auto flag = [&](const char* k) { return md.at(k) == "1"; };
  const std::string layer = md.at("layer");
  if (layer == "embedding") {
    const auto pad = md.at("padding_idx") == "none" ? std::nullopt : std::optional<std::int64_t>(num("padding_idx"));
    return wrap(std::make_shared<Embedding>(EmbeddingOptions(num("num_embeddings"), num("embedding_dim")).padding_idx(pad)));
  }
  if (layer == "conv1d")
    return wrap(std::make_shared<Conv1d>(Conv1dOptions(num("in_channels"), num("out_channels"), num("kernel_size"))
                                             .stride(num("stride"))
                                             .padding(num("padding"))
                                             .dilation(num("dilation"))
                                             .bias(flag("bias"))));
  if (layer == "layer_norm") {
    const std::string shape = md.at("shape");
    const std::int64_t n = std::stoll(shape.substr(shape.rfind(',') + 1));
    return wrap(std::make_shared<LayerNorm>(LayerNormOptions(n).eps(std::stod(md.at("eps"))).elementwise_affine(flag("elementwise_affine"))));
  }
  if (layer == "gelu") return wrap(std::make_shared<GELU>(GELUOptions().approximate(md.at("approximate"))));
  if (layer == "relu") return wrap(std::make_shared<ReLU>());
  if (layer == "tanh") return wrap(std::make_shared<Tanh>());
  if (layer == "sigmoid") return wrap(std::make_shared<Sigmoid>());
  if (layer == "softmax") return wrap(std::make_shared<Softmax>(num("dim")));
  if (layer == "log_softmax") return wrap(std::make_shared<LogSoftmax>(num("dim")));
  if (layer == "adaptive_avg_pool1d") return wrap(std::make_shared<AdaptiveAvgPool1d>(num("output_size")));
  if (layer == "adaptive_max_pool1d") return wrap(std::make_shared<AdaptiveMaxPool1d>(num("output_size")));

  // Functions without a module: an empty Module stands in.
  auto none = std::make_shared<Module>();
  if (layer == "max_over_time" || layer == "mean_over_time") {
    const bool bf = flag("batch_first"), max = layer == "max_over_time";
    return {none, [bf, max](const Tensor& x, const Tensor& len) { return max ? max_over_time(x, len, bf) : mean_over_time(x, len, bf); }};
  }
  if (layer == "merge_directions") {
    const BiMerge mode = bi_merge_from_string(md.at("mode"));
    return {none, [mode](const Tensor& x, const Tensor&) { return merge_directions(x, mode); }};
  }
  if (layer == "permute") {
    std::vector<std::int64_t> dims;
    std::stringstream ss(md.at("dims"));
    for (std::string d; std::getline(ss, d, ',');) dims.push_back(std::stoll(d));
    return {none, [dims](const Tensor& x, const Tensor&) { return permute(x, dims); }};
  }
  throw Error("unknown layer in fixture: " + layer);
}

bool is_data(const std::string& name) {
  return name == "input" || name == "lengths" || name == "output" || name == "grad_output" || name.rfind("grad.", 0) == 0;
}

using Param = parity::FixtureParam;

class LayerParity : public ::testing::TestWithParam<Param> {};

TEST_P(LayerParity, ForwardAndGradientsMatch) {
  const auto& [name, dt] = GetParam();
  const auto [fwd_tol, grad_tol] = parity::tolerance(dt);
  const NamedTensors fx = load_safetensors(kDir + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) { return parity::tensor_or_none(fx, k); };
  Built b = build(fx.metadata);
  b.module->to(dt);
  // Strict load: the file's parameters are exactly the module's, by PyTorch's names.
  const std::map<std::string, Tensor> weights = parity::weights_of(fx, is_data);
  b.module->load_state_dict(weights);

  Tensor x = get("input");
  if (x.dtype() != DType::i64) x = x.to(dt).set_requires_grad(true);
  const Tensor out = b.forward(x, get("lengths"));
  EXPECT_EQ(out.dtype(), dt);
  EXPECT_LE(scaled_error(out, get("output")), fwd_tol) << "output";

  autograd::backward({out}, {get("grad_output").to(dt)});
  if (get("grad.input").defined()) {
    ASSERT_TRUE(x.grad().defined()) << "no gradient for the input";
    EXPECT_LE(scaled_error(x.grad(), get("grad.input")), grad_tol) << "grad.input";
  }
  parity::expect_gradients_match(*b.module, fx, grad_tol);
}

std::vector<Param> all_params() { return parity::in_both_dtypes(layer_fixture_files()); }

INSTANTIATE_TEST_SUITE_P(Fixtures, LayerParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) { return parity::test_name(i.param); });

TEST(LayerParity, EveryLayerHasFixtures) {
  std::set<std::string> layers;
  for (const auto& f : layer_fixture_files()) layers.insert(load_safetensors(kDir + "/" + f + ".safetensors").metadata.at("layer"));
  for (const char* l : {"embedding", "conv1d", "layer_norm", "gelu", "relu", "tanh", "sigmoid", "softmax", "log_softmax",
                        "adaptive_avg_pool1d", "adaptive_max_pool1d", "max_over_time", "mean_over_time", "merge_directions", "permute"})
    EXPECT_TRUE(layers.count(l)) << "no fixture for " << l;
}

}  // namespace
}  // namespace birnn
