// PyTorch as the oracle for CNNLSTMBiGRUClassifier and its MaxPool1d layer. Each model fixture of
// make_model_cnn_lstm_bigru_classifier.py holds a state_dict from torch's init, token ids with variable
// lengths, the logits, the cross-entropy loss and its gradient w.r.t. every parameter; the maxpool fixtures
// hold torch.nn.MaxPool1d's output and input gradient. float32: outputs to 1e-5, gradients to 1e-4;
// float64: 1e-9.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "birnn/birnn.hpp"
#include "birnn/models/cnn_lstm_bigru_classifier.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

const std::string kDir = BIRNN_REFERENCE_DIR "/model_fixtures";
const std::string kPrefix = "cnn_lstm_bigru_classifier_";

std::vector<std::string> fixtures(bool maxpool) {
  std::vector<std::string> v;
  for (const auto& s : parity::fixture_stems(kDir))
    if (s.rfind(kPrefix, 0) == 0 && (s.rfind(kPrefix + "maxpool_", 0) == 0) == maxpool) v.push_back(s);
  return v;
}

CNNLSTMBiGRUClassifierOptions options_of(const std::map<std::string, std::string>& md) {
  auto num = [&](const char* k) { return std::stoll(md.at(k)); };
  return CNNLSTMBiGRUClassifierOptions(num("vocab_size"), num("num_classes"))
      .embedding_dim(num("embedding_dim"))
      .filters(num("filters"))
      .kernel_size(num("kernel_size"))
      .pool_size(num("pool_size"))
      .lstm_hidden(num("lstm_hidden"))
      .gru_hidden(num("gru_hidden"))
      .pooling(md.at("pooling"))
      .dropout(std::stod(md.at("dropout")));
}

TEST(CNNLSTMBiGRUClassifierParity, FixturesExist) {
  EXPECT_GE(fixtures(false).size(), 5u);
  EXPECT_GE(fixtures(true).size(), 4u);
}

TEST(CNNLSTMBiGRUClassifierParity, ForwardAndGradientsMatchPyTorch) {
  for (const std::string& stem : fixtures(false)) {
    SCOPED_TRACE(stem);
    const NamedTensors f = load_safetensors(kDir + "/" + stem + ".safetensors");
    CNNLSTMBiGRUClassifier model(options_of(f.metadata));
    parity::expect_token_classifier_matches(model, f, stem);
  }
}

TEST(CNNLSTMBiGRUClassifierParity, MaxPool1dMatchesPyTorch) {
  for (const std::string& stem : fixtures(true)) {
    SCOPED_TRACE(stem);
    const NamedTensors f = load_safetensors(kDir + "/" + stem + ".safetensors");
    const double tol = f.metadata.at("dtype") == "f64" ? 1e-12 : 1e-6;
    MaxPool1d pool(MaxPool1dOptions(std::stoll(f.metadata.at("kernel_size"))).stride(std::stoll(f.metadata.at("stride"))));
    Tensor x = f.tensors.at("input").clone();
    x.set_requires_grad(true);
    const Tensor y = pool.forward(x);
    EXPECT_LT(scaled_error(y, f.tensors.at("output")), tol);
    sum(mul(y, f.tensors.at("weight"))).backward();
    EXPECT_LT(scaled_error(x.grad(), f.tensors.at("grad.input")), tol);
  }
}

}  // namespace
}  // namespace birnn
