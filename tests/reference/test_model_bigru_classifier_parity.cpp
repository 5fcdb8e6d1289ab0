// BiGRUClassifier against its PyTorch twin (make_model_bigru_classifier.py): the fixture's state_dict loads
// strictly, logits, the (masked) BCE loss and every parameter's gradient match in float32 (1e-5 / 1e-4,
// relative to each tensor's scale) and float64 (1e-9). Covers per-step and pooled (max, mean, last) heads,
// every merge mode, float features and token ids, both GRU forms, 1-2 layers, variable and full lengths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "birnn/birnn.hpp"
#include "birnn/models/bigru_classifier.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";
const std::string kPrefix = "bigru_classifier_";
const std::set<std::string> kData{"input", "lengths", "target", "logits", "loss"};

std::vector<std::string> fixtures() {
  std::vector<std::string> v = parity::fixture_stems(kDir, kPrefix);
  v.erase(std::remove(v.begin(), v.end(), kPrefix + "state_dict"), v.end());
  return v;
}

TEST(BiGRUClassifierParity, FixturesExist) { EXPECT_GE(fixtures().size(), 11u); }

TEST(BiGRUClassifierParity, LogitsLossAndGradientsMatchPyTorch) {
  double worst[2][2] = {{0, 0}, {0, 0}};  // [float32|float64][output|gradient]
  for (const std::string& stem : fixtures()) {
    SCOPED_TRACE(stem);
    const NamedTensors nt = load_safetensors(kDir + "/" + stem + ".safetensors");
    parity::expect_classifier_fixture_matches<BiGRUClassifier>(nt, kData, "target", worst);
  }
  std::printf("[ parity ] worst scaled error: float32 output %.2g grad %.2g; float64 output %.2g grad %.2g\n",
              worst[0][0], worst[0][1], worst[1][0], worst[1][1]);
}

// A PyTorch state_dict exported as float32 safetensors loads with birnn::load (strict) and reproduces
// that configuration's logits.
TEST(BiGRUClassifierParity, PyTorchStateDictLoadsWithBirnnLoad) {
  const std::string sd_path = kDir + "/" + kPrefix + "state_dict.safetensors";
  const NamedTensors sd = load_safetensors(sd_path);
  const NamedTensors fx = load_safetensors(kDir + "/" + sd.metadata.at("fixture") + ".safetensors");
  BiGRUClassifier model(BiGRUClassifierOptions::from_json(fx.metadata.at("config")));
  load(model, sd_path);
  model.eval();
  const Tensor logits = model.forward(fx.tensors.at("input"), fx.tensors.at("lengths"));  // token ids
  EXPECT_LT(scaled_error(logits, fx.tensors.at("logits")), 1e-5);
  EXPECT_TRUE(model.state_dict().count("embedding.weight"));
}

}  // namespace
}  // namespace birnn
