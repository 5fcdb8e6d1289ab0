// PyTorch as the oracle for the losses: every fixture in reference/loss_fixtures (made by
// make_loss_fixtures.py from torch.nn.functional, PyTorch 1.13) is run through the birnn loss it names,
// forward and backward with the same upstream gradient, in float32 (forward 1e-5, gradients 1e-4) and
// float64 (1e-9), relative to each tensor's scale.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "birnn/birnn.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/loss_fixtures";

std::vector<std::string> fixture_names() { return parity::fixture_stems(kDir); }

using Param = parity::FixtureParam;

class LossParity : public ::testing::TestWithParam<Param> {};

TEST_P(LossParity, ForwardAndGradientsMatch) {
  const auto& [name, dt] = GetParam();
  const auto [fwd_tol, grad_tol] = parity::tolerance(dt);
  const NamedTensors fx = load_safetensors(kDir + "/" + name + ".safetensors");
  auto get = [&](const std::string& k) { return parity::tensor_or_none(fx, k); };
  auto floating = [&](const std::string& k) {
    Tensor t = get(k);
    return t.defined() ? t.to(dt) : t;
  };
  const auto& md = fx.metadata;
  const std::string loss = md.at("loss");
  const Reduction red = reduction_from_string(md.at("reduction"));
  const bool batch_first = md.count("batch_first") && md.at("batch_first") == "1";

  Tensor x = floating("input").set_requires_grad(true);
  Tensor target = get("target");
  const bool target_grad = fx.tensors.count("grad.target") > 0;
  if (target.dtype() != DType::i64) target = target.to(dt).set_requires_grad(target_grad);

  Tensor out;
  if (loss == "cross_entropy" || loss == "sequence_cross_entropy") {
    auto o = CrossEntropyOptions().reduction(red).ignore_index(std::stoll(md.at("ignore_index")))
                 .label_smoothing(std::stod(md.at("label_smoothing"))).weight(floating("weight")).batch_first(batch_first);
    out = loss == "cross_entropy" ? cross_entropy(x, target, o) : sequence_cross_entropy(x, target, get("lengths"), o);
  } else if (loss == "bce_with_logits") {
    auto o = BCEWithLogitsOptions().reduction(red).weight(floating("weight")).pos_weight(floating("pos_weight"))
                 .lengths(get("lengths")).batch_first(batch_first);
    out = binary_cross_entropy_with_logits(x, target, o);
  } else if (loss == "mse") {
    out = mse_loss(x, target, MSELossOptions().reduction(red).lengths(get("lengths")).batch_first(batch_first));
  } else {
    FAIL() << "unknown loss " << loss;
  }
  ASSERT_EQ(out.dtype(), dt);
  EXPECT_LE(scaled_error(out, get("loss")), fwd_tol) << "loss";

  autograd::backward({out}, {floating("grad_loss")});
  ASSERT_TRUE(x.grad().defined());
  EXPECT_LE(scaled_error(x.grad(), get("grad.input")), grad_tol) << "grad.input";
  if (target_grad) {
    ASSERT_TRUE(target.grad().defined());
    EXPECT_LE(scaled_error(target.grad(), get("grad.target")), grad_tol) << "grad.target";
  }
}

std::vector<Param> all_params() { return parity::in_both_dtypes(fixture_names()); }

INSTANTIATE_TEST_SUITE_P(Fixtures, LossParity, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& i) { return parity::test_name(i.param); });

// Every option of the matrix is present (the script writes 56 files).
TEST(LossParity, FixtureMatrixIsComplete) {
  const auto names = fixture_names();
  EXPECT_GE(names.size(), 56u);
  for (const char* must : {"ce_mean_ls01_w_ign", "ce_none_ls0_ign2", "ce_nd_sum", "ce_unbatched_mean", "ce_all_ignored_mean",
                           "seq_ce_tb_mean", "seq_ce_bt_none", "bce_sum_w_pw", "bce_len_mean", "mse_none", "mse_len_bf_sum"})
    EXPECT_TRUE(std::find(names.begin(), names.end(), must) != names.end()) << must;
}

}  // namespace
}  // namespace birnn
