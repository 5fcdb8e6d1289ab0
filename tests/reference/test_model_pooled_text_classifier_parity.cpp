// PyTorch as the oracle for PooledTextClassifier: each fixture of make_model_pooled_text_classifier.py
// holds a state_dict from torch's init, token ids with variable lengths, the logits, the cross-entropy
// loss and its gradient w.r.t. every parameter. The birnn model is built from the metadata, loads the
// state_dict strictly, and must agree: float32 logits to 1e-5 and gradients to 1e-4, float64 to 1e-9.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "birnn/birnn.hpp"
#include "birnn/models/pooled_text_classifier.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";
const std::string kPrefix = "pooled_text_classifier_";

std::vector<std::string> fixtures() { return parity::fixture_stems(kDir, kPrefix); }

PooledTextClassifierOptions options_of(const std::map<std::string, std::string>& md) {
  auto num = [&](const char* k) { return std::stoll(md.at(k)); };
  return PooledTextClassifierOptions(num("vocab_size"), num("num_classes"))
      .embedding_dim(num("embedding_dim"))
      .mlp_dim(num("mlp_dim"))
      .hidden_size(num("hidden_size"))
      .num_layers(num("num_layers"))
      .lstm_dropout(std::stod(md.at("lstm_dropout")))
      .bidirectional(md.at("bidirectional") == "1")
      .head_dim(num("head_dim"))
      .dropout(std::stod(md.at("dropout")));
}

TEST(PooledTextClassifierParity, FixturesExist) { EXPECT_GE(fixtures().size(), 4u); }

TEST(PooledTextClassifierParity, ForwardAndGradientsMatchPyTorch) {
  for (const std::string& stem : fixtures()) {
    SCOPED_TRACE(stem);
    const NamedTensors f = load_safetensors(kDir + "/" + stem + ".safetensors");
    PooledTextClassifier model(options_of(f.metadata));
    parity::expect_token_classifier_matches(model, f, stem);
  }
}

}  // namespace
}  // namespace birnn
