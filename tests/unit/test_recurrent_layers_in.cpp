// find_recurrent_layers: the RNN/LSTM/GRU layers of a state dict, from PyTorch's names and shapes alone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "birnn/birnn.hpp"
#include "birnn/recurrent_layers_in.hpp"

namespace birnn {
namespace {

std::map<std::string, Tensor> with_prefix(const std::map<std::string, Tensor>& sd, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  for (const auto& [k, v] : sd) out[prefix + k] = v;
  return out;
}

TEST(RecurrentLayersIn, ReadsEveryOptionTheWeightsShow) {
  struct Case {
    std::map<std::string, Tensor> sd;
    std::string code;
  };
  const std::vector<Case> cases = {
      {LSTM(LSTMOptions(5, 3).num_layers(2).bidirectional(true).proj_size(2)).state_dict(),
       "LSTM(LSTMOptions(5, 3).num_layers(2).bidirectional(true).proj_size(2))"},
      {LSTM(LSTMOptions(7, 4)).state_dict(), "LSTM(LSTMOptions(7, 4))"},
      {GRU(GRUOptions(6, 4).num_layers(3).bias(false)).state_dict(), "GRU(GRUOptions(6, 4).num_layers(3).bias(false))"},
      {GRU(GRUOptions(6, 4).bidirectional(true).reset_after(false)).state_dict(),
       "GRU(GRUOptions(6, 4).bidirectional(true))"},
      {RNN(RNNOptions(2, 5).num_layers(2).bidirectional(true).nonlinearity("relu")).state_dict(),
       "RNN(RNNOptions(2, 5).num_layers(2).bidirectional(true))"},
      // hidden 1 with 4 gates: weight_ih has 4 rows, as many as a 4-unit RNN's; weight_hh's width tells.
      {LSTM(LSTMOptions(3, 1)).state_dict(), "LSTM(LSTMOptions(3, 1))"},
  };
  for (const auto& c : cases) {
    const auto found = find_recurrent_layers(c.sd);
    ASSERT_EQ(found.size(), 1u) << c.code;
    EXPECT_TRUE(found[0].loads()) << c.code << ": " << found[0].problem;
    EXPECT_EQ(found[0].prefix, "");
    EXPECT_EQ(found[0].options_code(), c.code);
  }
  const auto lstm = find_recurrent_layers(cases[0].sd)[0];
  EXPECT_EQ(lstm.cell, "LSTM");
  EXPECT_EQ(lstm.input_size, 5);
  EXPECT_EQ(lstm.hidden_size, 3);
  EXPECT_EQ(lstm.num_layers, 2);
  EXPECT_EQ(lstm.proj_size, 2);
  EXPECT_TRUE(lstm.bias);
  EXPECT_TRUE(lstm.bidirectional);
}

TEST(RecurrentLayersIn, FindsLayersInsideAModelByTheirPrefix) {
  auto sd = with_prefix(LSTM(LSTMOptions(8, 16).num_layers(2)).state_dict(), "encoder.rnn.");
  for (const auto& [k, v] : with_prefix(GRU(GRUOptions(16, 4).bidirectional(true)).state_dict(), "decoder.")) sd[k] = v;
  sd["fc.weight"] = Tensor::zeros({3, 8});
  sd["my_weight_ih_l0"] = Tensor::zeros({4, 2});  // not a layer: the name has no dot before weight_ih_l0
  const auto found = find_recurrent_layers(sd);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].loads() && found[1].loads()) << found[0].problem << found[1].problem;
  EXPECT_EQ(found[0].prefix, "decoder.");
  EXPECT_EQ(found[0].options_code(), "GRU(GRUOptions(16, 4).bidirectional(true))");
  EXPECT_EQ(found[1].prefix, "encoder.rnn.");
  EXPECT_EQ(found[1].options_code(), "LSTM(LSTMOptions(8, 16).num_layers(2))");
}

// A set that does not load is listed with its first fault, naming the tensor: what `birnn info` prints.
TEST(RecurrentLayersIn, NamesTheFaultOfAnIncompleteOrInconsistentSet) {
  const auto full = LSTM(LSTMOptions(5, 3).num_layers(2).bidirectional(true)).state_dict();
  ASSERT_EQ(find_recurrent_layers(full).size(), 1u);
  EXPECT_TRUE(find_recurrent_layers(full)[0].loads());
  auto problem_of = [](const std::map<std::string, Tensor>& sd) {
    const auto found = find_recurrent_layers(sd);
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? std::string("nothing found") : found[0].problem;
  };
  for (const char* missing : {"weight_hh_l1_reverse", "bias_hh_l0", "bias_ih_l1", "weight_hh_l0"}) {
    auto sd = full;
    sd.erase(missing);
    EXPECT_EQ(problem_of(sd), std::string(missing) + ": missing");
  }
  auto sd = full;
  sd["weight_ih_l1"] = Tensor::zeros({12, 5});  // layer 1 reads 2 * 3 features, not 5
  EXPECT_EQ(problem_of(sd), "weight_ih_l1: shape (12, 5), expected (12, 6)");
  sd = full;
  sd["weight_ih_l0"] = Tensor::zeros({10, 5});  // 10 rows are no whole number of gates of 3 units
  EXPECT_EQ(problem_of(sd), "weight_ih_l0: shape (10, 5), no whole number of gates of 3 units");
  sd = full;
  sd["weight_ih_l0"] = Tensor::zeros({6, 5});  // 2 gates: no cell has 2
  EXPECT_NE(problem_of(sd).find("2 gates of 3 units"), std::string::npos);
  EXPECT_EQ(problem_of({{"weight_ih_l0", Tensor::zeros({4})}, {"weight_hh_l0", Tensor::zeros({4, 1})}}),
            "weight_ih_l0: shape (4,), not a matrix");
  EXPECT_EQ(problem_of({{"weight_ih_l0", Tensor::zeros({4, 2})}}), "weight_hh_l0: missing");
  const auto gru = GRU(GRUOptions(5, 3)).state_dict();
  sd = gru;
  sd["weight_hr_l0"] = Tensor::zeros({2, 3});
  EXPECT_EQ(problem_of(sd), "weight_hr_l0: a projection, which only LSTM has");
}

// Layers after a gap in the numbering, or a tensor the other sizes do not account for, used to be read as a
// smaller layer that then failed to load strictly; now the set names what is wrong.
TEST(RecurrentLayersIn, AGapInTheNumberingOrAStrayTensorIsAFault) {
  auto sd = with_prefix(LSTM(LSTMOptions(4, 3).num_layers(3)).state_dict(), "rnn.");
  for (const char* gone : {"rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"}) sd.erase(gone);
  auto found = find_recurrent_layers(sd);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].prefix, "rnn.");
  EXPECT_EQ(found[0].num_layers, 3);
  EXPECT_EQ(found[0].problem, "weight_ih_l1: missing");

  sd = GRU(GRUOptions(4, 3).num_layers(2)).state_dict();
  sd["weight_hr_l1"] = Tensor::zeros({2, 3});  // a projection on layer 1 only
  EXPECT_EQ(find_recurrent_layers(sd).at(0).problem,
            "weight_hr_l1: not a tensor of the layer the others describe (2 layers)");

  sd = RNN(RNNOptions(4, 3)).state_dict();
  sd["weight_ih_l99999"] = Tensor::zeros({3, 3});  // bounded work on a hostile file
  EXPECT_EQ(find_recurrent_layers(sd).at(0).problem, "weight_ih_l99999: more layers than the 1000 birnn reads");
  sd = RNN(RNNOptions(4, 3)).state_dict();
  sd["bias_hh_l12345678901234567890"] = Tensor::zeros({3});  // too many digits for an int64: still a fault
  EXPECT_EQ(find_recurrent_layers(sd).at(0).problem,
            "bias_hh_l12345678901234567890: more layers than the 1000 birnn reads");

  sd = RNN(RNNOptions(4, 3)).state_dict();
  sd["weight_ih_l0_extra"] = Tensor::zeros({3, 3});   // not a parameter name: other modules' business
  sd["head.weight_ih_l1"] = Tensor::zeros({3, 3});    // another prefix
  found = find_recurrent_layers(sd);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].loads()) << found[0].problem;
}

// What find_recurrent_layers reads is what load() needs: the layer it describes loads the dict strictly.
TEST(RecurrentLayersIn, TheDescribedLayerLoadsTheStateDict) {
  manual_seed(3);
  GRU source(GRUOptions(6, 5).num_layers(2).bidirectional(true).bias(false));
  const auto r = find_recurrent_layers(source.state_dict()).at(0);
  ASSERT_TRUE(r.loads()) << r.problem;
  ASSERT_EQ(r.cell, "GRU");
  GRU rebuilt(
      GRUOptions(r.input_size, r.hidden_size).num_layers(r.num_layers).bidirectional(r.bidirectional).bias(r.bias));
  EXPECT_NO_THROW(rebuilt.load_state_dict(source.state_dict()));
}

// The GRU form is not in the weights: a file birnn saved says it in its metadata, and the options follow.
TEST(RecurrentLayersIn, ReadsTheGruFormFromTheFileNote) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("birnn_layers_in_" + std::to_string(::getpid()))).string();
  for (bool reset_after : {true, false}) {
    save(GRU(GRUOptions(4, 3).reset_after(reset_after)), path);
    const auto found = find_recurrent_layers(load_safetensors(path));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].options_code(),
              reset_after ? "GRU(GRUOptions(4, 3))" : "GRU(GRUOptions(4, 3).reset_after(false))");
    EXPECT_EQ(found[0].tensor_count(), 4);
  }
  std::filesystem::remove(path);
  EXPECT_EQ(
      find_recurrent_layers(LSTM(LSTMOptions(2, 3).num_layers(2).bidirectional(true).proj_size(1)).state_dict())[0]
          .tensor_count(),
      20);
}

}  // namespace
}  // namespace birnn
