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

std::vector<std::string> fixtures() {
  std::vector<std::string> v;
  for (const auto& s : parity::fixture_stems(kDir))
    if (s.rfind(kPrefix, 0) == 0) v.push_back(s);
  return v;
}

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
    const bool f64 = f.metadata.at("dtype") == "f64";
    PooledTextClassifier model(options_of(f.metadata));
    if (f64) model.to(DType::f64);
    std::map<std::string, Tensor> state;
    for (const auto& [k, v] : f.tensors)
      if (k.rfind("input.", 0) != 0 && k.rfind("output.", 0) != 0 && k.rfind("grad.", 0) != 0) state[k] = v;
    model.load_state_dict(state, /*strict=*/true);
    model.eval();
    const Tensor lengths = f.metadata.at("full_lengths") == "1" ? Tensor() : f.tensors.at("input.lengths");
    const Tensor loss = model.loss(f.tensors.at("input.ids"), lengths, f.tensors.at("input.labels"));
    const Tensor logits = model.forward(f.tensors.at("input.ids"), lengths);
    const double fwd_tol = f64 ? 1e-9 : 1e-5, grad_tol = f64 ? 1e-9 : 1e-4;
    const double fwd_err = scaled_error(logits, f.tensors.at("output.logits"));
    EXPECT_LT(fwd_err, fwd_tol);
    EXPECT_LT(scaled_error(reshape(loss, {1}), f.tensors.at("output.loss")), fwd_tol);
    loss.backward();
    std::size_t checked = 0;
    double worst_grad = 0;
    for (const auto& [name, p] : model.named_parameters()) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(p.grad().defined());
      const double err = scaled_error(p.grad(), f.tensors.at("grad." + name));
      EXPECT_LT(err, grad_tol);
      worst_grad = std::max(worst_grad, err);
      ++checked;
    }
    EXPECT_EQ(checked, state.size());
    std::printf("  %s: logits error %.2e, worst gradient error %.2e\n", stem.c_str(), fwd_err, worst_grad);
  }
}

}  // namespace
}  // namespace birnn
