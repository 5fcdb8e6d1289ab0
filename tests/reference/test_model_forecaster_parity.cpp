// PyTorch as the oracle for Forecaster: each fixture in reference/model_fixtures/forecaster_* (made by
// make_model_forecaster.py) is rebuilt from its options JSON (normalisation constants included), loaded
// strictly with torch's weights, and compared: forecasts in original units, the normalised outputs, the
// loss and every parameter's gradient. float32 to 1e-5 (gradients 1e-4), float64 to 1e-9.
#include <gtest/gtest.h>

#include <algorithm>

#include "birnn/birnn.hpp"
#include "birnn/models/forecaster.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";

std::vector<std::string> fixtures() { return parity::fixture_stems(kDir, "forecaster_"); }

bool is_data(const std::string& n) {
  return n == "values" || n == "features" || n == "lengths" || n == "targets" || n == "forecast" || n == "normalized" ||
         n == "loss" || n.rfind("grad.", 0) == 0;
}

using Param = parity::FixtureParam;
class ForecasterParity : public ::testing::TestWithParam<Param> {};

TEST_P(ForecasterParity, ForecastsLossAndGradientsMatch) {
  const auto& [name, dt] = GetParam();
  const auto [fwd_tol, grad_tol] = parity::tolerance(dt);
  const NamedTensors fx = load_safetensors(kDir + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) { return parity::tensor_or_none(fx, k); };
  Forecaster model(ForecasterOptions::from_json(fx.metadata.at("config")));
  model.to(dt);
  model.eval();
  const std::map<std::string, Tensor> weights = parity::weights_of(fx, is_data);
  model.load_state_dict(weights);

  auto in = [&](const char* k) { const Tensor t = get(k); return t.defined() ? t.to(dt) : t; };
  const Tensor values = in("values"), features = in("features"), targets = in("targets"), lengths = get("lengths");
  {
    NoGradGuard ng;
    const Tensor y = model.forward(values, features, lengths);
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_LE(scaled_error(y, get("forecast")), fwd_tol) << "forecast";
    EXPECT_LE(scaled_error(model.forward_normalized(values, features, lengths), get("normalized")), fwd_tol) << "normalized";
    // (B, W, 1) values are the same input as (B, W).
    const Tensor y3 = model.forward(values.reshape({values.size(0), values.size(1), 1}), features, lengths);
    EXPECT_LE(scaled_error(y3, get("forecast")), fwd_tol) << "forecast from (B, W, 1)";
  }
  const Tensor loss = model.loss(values, features, targets, lengths);
  EXPECT_LE(scaled_error(loss, get("loss")), fwd_tol) << "loss";
  loss.backward();
  parity::expect_gradients_match(model, fx, grad_tol);
}

std::vector<Param> all_params() { return parity::in_both_dtypes(fixtures()); }

INSTANTIATE_TEST_SUITE_P(Fixtures, ForecasterParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) { return parity::test_name(i.param); });

TEST(ForecasterParity, FixturesCoverEveryOption) {
  bool gru = false, features = false, feature_norm = false, bidir = false, lengths = false, layers2 = false;
  for (const auto& f : fixtures()) {
    const NamedTensors fx = load_safetensors(kDir + "/" + f + ".safetensors");
    const auto o = ForecasterOptions::from_json(fx.metadata.at("config"));
    gru |= o.cell() == "gru";
    features |= o.num_features() > 0;
    feature_norm |= !o.feature_std().empty();
    bidir |= o.bidirectional();
    layers2 |= o.num_layers() > 1;
    lengths |= fx.tensors.count("lengths") > 0;
    EXPECT_NE(o.target_std(), 1.0) << f << ": the normalisation must be exercised";
  }
  EXPECT_TRUE(gru && features && feature_norm && bidir && lengths && layers2);
}

}  // namespace
}  // namespace birnn
