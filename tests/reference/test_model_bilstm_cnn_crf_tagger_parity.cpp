// PyTorch as the oracle for BiLSTMCNNCRFTagger: every fixture made by make_model_bilstm_cnn_crf_tagger.py
// (the same model in torch, with a plain-torch CRF) is rebuilt from its JSON config, loaded strictly with
// torch's state_dict, and compared: emissions and the loss (float32 1e-5, float64 1e-9, scaled), the
// gradient of the loss w.r.t. every parameter (float32 1e-4, float64 1e-9) and the decoded tag paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "birnn/birnn.hpp"
#include "birnn/models/bilstm_cnn_crf_tagger.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";
const std::string kPrefix = "bilstm_cnn_crf_tagger_";

std::vector<std::string> fixtures() { return parity::fixture_stems(kDir, kPrefix); }

bool is_data(const std::string& n) {
  static const std::set<std::string> data{"words", "chars", "lengths", "char_lengths", "tags", "emissions", "loss", "paths"};
  return data.count(n) || n.rfind("grad.", 0) == 0;
}

using Param = parity::FixtureParam;

class TaggerParity : public ::testing::TestWithParam<Param> {};

TEST_P(TaggerParity, EmissionsLossGradientsAndPathsMatch) {
  const auto& [name, dt] = GetParam();
  const auto [fwd_tol, grad_tol] = parity::tolerance(dt);
  const NamedTensors fx = load_safetensors(kDir + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) { return parity::tensor_or_none(fx, k); };
  BiLSTMCNNCRFTagger model(BiLSTMCNNCRFTaggerOptions::from_json(fx.metadata.at("config")));
  model.to(dt);
  const std::map<std::string, Tensor> weights = parity::weights_of(fx, is_data);
  model.load_state_dict(weights);  // strict: the same names as torch's state_dict
  model.eval();

  const Tensor words = get("words"), chars = get("chars"), lengths = get("lengths"), char_lengths = get("char_lengths"),
               tags = get("tags");
  const Tensor em = model.emissions(words, chars, lengths, char_lengths);
  EXPECT_EQ(em.dtype(), dt);
  EXPECT_LE(scaled_error(em, get("emissions")), fwd_tol) << "emissions";
  const Tensor loss = model.loss_from_emissions(em, lengths, tags);
  EXPECT_LE(scaled_error(loss, get("loss")), fwd_tol) << "loss " << loss.item() << " vs " << get("loss").item();
  model.zero_grad();
  loss.backward();
  parity::expect_gradients_match(model, fx, grad_tol);

  const auto paths = model.decode(words, chars, lengths, char_lengths);
  const Tensor want = get("paths");
  const std::int64_t B = want.size(0), T = want.size(1);
  ASSERT_EQ(static_cast<std::int64_t>(paths.size()), B);
  for (std::int64_t b = 0; b < B; ++b) {
    std::vector<std::int64_t> w;
    for (std::int64_t t = 0; t < T && want.item(b * T + t) >= 0; ++t) w.push_back(static_cast<std::int64_t>(want.item(b * T + t)));
    EXPECT_EQ(paths[static_cast<std::size_t>(b)], w) << "path of sentence " << b;
  }
}

std::vector<Param> all_params() { return parity::in_both_dtypes(fixtures()); }

INSTANTIATE_TEST_SUITE_P(Fixtures, TaggerParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) { return parity::test_name(i.param, kPrefix.size()); });

// The fixtures cover each option that changes the graph.
TEST(TaggerParity, FixturesCoverEveryGraph) {
  std::set<std::string> seen;
  for (const auto& f : fixtures()) {
    const auto o = BiLSTMCNNCRFTaggerOptions::from_json(load_safetensors(kDir + "/" + f + ".safetensors").metadata.at("config"));
    seen.insert(std::string(o.use_char_cnn() ? "cnn" : "words") + (o.use_crf() ? "+crf" : "+softmax"));
    if (!o.crf_constraints().empty()) seen.insert("constraints");
    if (o.num_layers() > 1) seen.insert("layers");
    seen.insert("act:" + o.char_activation());
    seen.insert("red:" + o.loss_reduction());
    seen.insert("cell:" + o.cell() + (o.bidirectional() ? "+bi" : "+uni"));
  }
  for (const char* s : {"cnn+crf", "words+crf", "cnn+softmax", "words+softmax", "constraints", "layers", "act:tanh", "act:relu",
                        "act:none", "red:token_mean", "red:mean", "red:sum", "cell:lstm+bi", "cell:gru+uni", "cell:rnn+bi"})
    EXPECT_TRUE(seen.count(s)) << "no fixture with " << s;
}

}  // namespace
}  // namespace birnn
