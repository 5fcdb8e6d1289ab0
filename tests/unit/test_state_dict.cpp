// Module checkpoints: save/load round trips through safetensors with PyTorch names, and the two
// GRU forms refuse each other's weights with a message naming the option.
#include <gtest/gtest.h>

#include <filesystem>

#include "birnn/models/bigru_classifier.hpp"
#include "birnn/recurrent_layers_in.hpp"
#include "unit/rnn_test_util.hpp"

namespace birnn::testing {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("birnn_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

TEST(StateDict, SaveLoadRoundTripGivesIdenticalOutputs) {
  manual_seed(1);
  LSTM a(LSTMOptions(3, 5).num_layers(2).bidirectional(true).proj_size(2));
  const std::string path = temp_path("lstm.safetensors");
  save(a, path);
  manual_seed(2);
  LSTM b(LSTMOptions(3, 5).num_layers(2).bidirectional(true).proj_size(2));
  const Tensor x = Tensor::full({4, 2, 3}, 0.3);
  EXPECT_NE(a.forward(x).output.to_double_vector(), b.forward(x).output.to_double_vector());
  load(b, path);
  EXPECT_EQ(a.forward(x).output.to_double_vector(), b.forward(x).output.to_double_vector());
  std::filesystem::remove(path);
}

TEST(StateDict, GruFormsRefuseEachOther) {
  GRU after(GRUOptions(3, 4));
  GRU before(GRUOptions(3, 4).reset_after(false));
  const std::string pa = temp_path("gru_after.safetensors"), pb = temp_path("gru_before.safetensors");
  save(after, pa);
  save(before, pb);
  load(after, pa);
  load(before, pb);
  try {
    load(before, pa);
    FAIL() << "loaded reset_after weights into a reset_before GRU";
  } catch (const StateDictError& e) {
    EXPECT_NE(std::string(e.what()).find("reset_after(true)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load(after, pb), StateDictError);
  // A plain PyTorch file (no note) is PyTorch's reset_after form.
  save_safetensors(pa, after.state_dict());
  load(after, pa);
  EXPECT_THROW(load(before, pa), StateDictError);
  std::filesystem::remove(pa);
  std::filesystem::remove(pb);
}

// A GRU inside a model has the same two forms: save() notes each GRU's form under its prefix, and load()
// refuses the other form there too (a BiGRUClassifier's reset_before weights loaded silently into a
// reset_after model before).
TEST(StateDict, GruFormsInsideAModelRefuseEachOther) {
  auto options = [](bool reset_after) {
    return BiGRUClassifierOptions().input_size(3).hidden_size(4).reset_after(reset_after);
  };
  BiGRUClassifier after(options(true)), before(options(false));
  const std::string pa = temp_path("model_after.safetensors"), pb = temp_path("model_before.safetensors");
  save(after, pa);
  save(before, pb);
  EXPECT_EQ(load_safetensors(pb).metadata.at("birnn.gru_form.gru"), "reset_before");
  load(after, pa);
  load(before, pb);
  try {
    load(after, pb);
    FAIL() << "loaded reset_before weights into a reset_after model";
  } catch (const StateDictError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("\"gru.\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("reset_after(false)"), std::string::npos) << msg;
  }
  EXPECT_THROW(load(before, pa), StateDictError);
  // A file from PyTorch (format=pt, no notes): its GRUs are the reset_after form.
  save_safetensors(pa, after.state_dict(), {{"format", "pt"}});
  load(after, pa);
  EXPECT_THROW(load(before, pa), StateDictError);
  // A birnn file without a note for a GRU inside a model (written before the notes were): not checked.
  save_safetensors(pb, before.state_dict());
  EXPECT_NO_THROW(load(before, pb));
  EXPECT_NO_THROW(load(after, pb));
  EXPECT_EQ(find_recurrent_layers(load_safetensors(pa)).at(0).form_known, false);
  // A file holding none of the GRU's weights (a partial load) says nothing about its form.
  save_safetensors(pa, {{"fc.weight", after.state_dict().at("fc.weight")}}, {{"format", "pt"}});
  EXPECT_NO_THROW(load(before, pa, /*strict=*/false));
  save(before, pb);
  const auto found = find_recurrent_layers(load_safetensors(pb));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].prefix, "gru.");
  EXPECT_TRUE(found[0].form_known);
  EXPECT_EQ(found[0].options_code(), "GRU(GRUOptions(3, 4).bidirectional(true).reset_after(false))");
  std::filesystem::remove(pa);
  std::filesystem::remove(pb);
}

TEST(StateDict, LoadErrorsNameTheFileAndLeaveTheModuleUnchanged) {
  LSTM m(LSTMOptions(3, 4));
  const auto before = m.state_dict().at("weight_ih_l0").to_double_vector();
  const std::string path = temp_path("other.safetensors");
  LSTM other(LSTMOptions(3, 5));
  save(other, path);
  try {
    load(m, path);
    FAIL();
  } catch (const StateDictError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  EXPECT_EQ(m.state_dict().at("weight_ih_l0").to_double_vector(), before);
  EXPECT_THROW(load(m, temp_path("does_not_exist.safetensors")), FormatError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace birnn::testing
