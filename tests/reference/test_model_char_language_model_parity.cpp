// PyTorch as the oracle for CharLanguageModel: each fixture in reference/model_fixtures/char_language_model_*
// (made by make_model_char_language_model.py) is rebuilt from its options JSON, loaded strictly with
// torch's weights, and compared: logits, next-char loss, every parameter's gradient, and the logits of a
// second chunk started from the state the first one ended in. float32 to 1e-5 (gradients 1e-4), float64 to 1e-9.
#include <gtest/gtest.h>

#include <algorithm>

#include "birnn/birnn.hpp"
#include "birnn/models/char_language_model.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";

std::vector<std::string> fixtures() { return parity::fixture_stems(kDir, "char_language_model_"); }

bool is_data(const std::string& n) {
  return n == "ids" || n == "lengths" || n == "logits" || n == "loss" || n == "next_ids" || n == "next_logits" ||
         n.rfind("grad.", 0) == 0;
}

using Param = parity::FixtureParam;
class CharLanguageModelParity : public ::testing::TestWithParam<Param> {};

TEST_P(CharLanguageModelParity, LogitsLossGradientsAndCarriedStateMatch) {
  const auto& [name, dt] = GetParam();
  const auto [fwd_tol, grad_tol] = parity::tolerance(dt);
  const NamedTensors fx = load_safetensors(kDir + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) { return parity::tensor_or_none(fx, k); };
  CharLanguageModel model(CharLanguageModelOptions::from_json(fx.metadata.at("config")));
  model.to(dt);
  model.eval();
  const std::map<std::string, Tensor> weights = parity::weights_of(fx, is_data);
  model.load_state_dict(weights);  // strict: the state_dict keys are PyTorch's

  const Tensor ids = get("ids"), lengths = get("lengths");
  {
    NoGradGuard ng;
    const Tensor logits = model.forward(ids, lengths);
    EXPECT_EQ(logits.dtype(), dt);
    EXPECT_LE(scaled_error(logits, get("logits")), fwd_tol) << "logits";
  }
  const Tensor loss = model.loss(ids, lengths);
  EXPECT_LE(scaled_error(loss, get("loss")), fwd_tol) << "loss";
  loss.backward();
  parity::expect_gradients_match(model, fx, grad_tol);

  // Truncated BPTT: the state forward(ids, lengths) ends in starts the next chunk.
  NoGradGuard ng;
  RecurrentState s;
  model.forward(ids, lengths, &s);
  const Tensor next = model.forward(get("next_ids"), Tensor(), &s);
  EXPECT_LE(scaled_error(next, get("next_logits")), fwd_tol) << "next_logits";

  // Without padding, the carried state makes two chunks equal one pass over their concatenation.
  if (!lengths.defined() && !model.options().bidirectional()) {
    const std::int64_t T = ids.size(1), T2 = get("next_ids").size(1);
    const Tensor whole = model.forward(cat({ids, get("next_ids")}, 1));
    EXPECT_LE(scaled_error(narrow(whole, 1, T, T2), get("next_logits")), fwd_tol) << "concatenation";
    EXPECT_LE(scaled_error(narrow(whole, 1, 0, T), get("logits")), fwd_tol) << "concatenation, first chunk";
  }
}

std::vector<Param> all_params() { return parity::in_both_dtypes(fixtures()); }

INSTANTIATE_TEST_SUITE_P(Fixtures, CharLanguageModelParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) { return parity::test_name(i.param); });

TEST(CharLanguageModelParity, FixturesCoverEveryOption) {
  bool gru = false, one_hot = false, bidir = false, lengths = false, layers2 = false;
  for (const auto& f : fixtures()) {
    const NamedTensors fx = load_safetensors(kDir + "/" + f + ".safetensors");
    const auto o = CharLanguageModelOptions::from_json(fx.metadata.at("config"));
    gru |= o.cell() == "gru";
    one_hot |= o.one_hot();
    bidir |= o.bidirectional();
    layers2 |= o.num_layers() > 1;
    lengths |= fx.tensors.count("lengths") > 0;
  }
  EXPECT_TRUE(gru && one_hot && bidir && lengths && layers2);
}

}  // namespace
}  // namespace birnn
