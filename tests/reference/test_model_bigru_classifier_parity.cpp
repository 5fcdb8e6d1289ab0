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
  std::vector<std::string> v;
  for (const auto& s : parity::fixture_stems(kDir))
    if (s.rfind(kPrefix, 0) == 0 && s != kPrefix + "state_dict") v.push_back(s);
  return v;
}

std::map<std::string, Tensor> params_of(const NamedTensors& nt) {
  std::map<std::string, Tensor> p;
  for (const auto& [k, v] : nt.tensors)
    if (!kData.count(k) && k.rfind("grad.", 0) != 0) p[k] = v;
  return p;
}

TEST(BiGRUClassifierParity, FixturesExist) { EXPECT_GE(fixtures().size(), 11u); }

TEST(BiGRUClassifierParity, LogitsLossAndGradientsMatchPyTorch) {
  double worst[2][2] = {{0, 0}, {0, 0}};  // [float32|float64][output|gradient]
  for (const std::string& stem : fixtures()) {
    const NamedTensors nt = load_safetensors(kDir + "/" + stem + ".safetensors");
    const auto opts = BiGRUClassifierOptions::from_json(nt.metadata.at("config"));
    const auto& t = nt.tensors;
    const Tensor lengths = t.count("lengths") ? t.at("lengths") : Tensor();
    for (DType dt : {DType::f32, DType::f64}) {
      SCOPED_TRACE(stem + (dt == DType::f32 ? " float32" : " float64"));
      const double out_tol = dt == DType::f32 ? 1e-5 : 1e-9, grad_tol = dt == DType::f32 ? 1e-4 : 1e-9;
      BiGRUClassifier model(opts);
      model.to(dt);
      model.load_state_dict(params_of(nt), /*strict=*/true);
      model.eval();
      const Tensor x = t.at("input").dtype() == DType::i64 ? t.at("input") : t.at("input").to(dt);
      const int k = dt == DType::f32 ? 0 : 1;
      const double e_logits = scaled_error(model.forward(x, lengths), t.at("logits"));
      EXPECT_LT(e_logits, out_tol);
      Tensor loss = model.loss(x, t.at("target"), lengths);
      const double e_loss = scaled_error(loss, t.at("loss"));
      EXPECT_LT(e_loss, out_tol);
      worst[k][0] = std::max({worst[k][0], e_logits, e_loss});
      model.zero_grad();
      loss.backward();
      std::size_t checked = 0;
      for (const auto& [name, p] : model.named_parameters()) {
        ASSERT_TRUE(p.grad().defined()) << name;
        const double e = scaled_error(p.grad(), t.at("grad." + name));
        EXPECT_LT(e, grad_tol) << name;
        worst[k][1] = std::max(worst[k][1], e);
        ++checked;
      }
      EXPECT_EQ(checked, params_of(nt).size());
    }
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
