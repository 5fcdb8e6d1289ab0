// Bad shapes, lengths and options give a typed exception whose message names what was wrong.
#include <gtest/gtest.h>

#include "birnn/data/vocab.hpp"
#include "unit/rnn_test_util.hpp"
#include "unit/test_util.hpp"

namespace birnn::testing {
namespace {

// what() is a C string: a NUL quoted from a bad file used to end the message there, hiding the rest.
TEST(BadInput, NulBytesInAMessageAreShownNotCutAt) {
  data::Vocabulary labels(false);
  labels.add("ham");
  const std::string message = error_of([&] { labels.id(std::string("sp\0am", 5)); });
  EXPECT_TRUE(contains(message, "unknown label \"sp\\x00am\" (the 1 known: ham)")) << message;
  EXPECT_STREQ(FormatError(std::string("a\0b", 3)).what(), "a\\x00b");
  EXPECT_STREQ(OptionError("plain").what(), "plain");
}

TEST(BadInput, Options) {
  EXPECT_TRUE(contains(error_of([] { LSTM(LSTMOptions(0, 4)); }), "input_size"));
  EXPECT_TRUE(contains(error_of([] { LSTM(LSTMOptions(3, 0)); }), "hidden_size"));
  EXPECT_TRUE(contains(error_of([] { GRU(GRUOptions(3, 4).num_layers(0)); }), "num_layers"));
  EXPECT_TRUE(contains(error_of([] { RNN(RNNOptions(3, 4).dropout(1.0)); }), "dropout"));
  EXPECT_TRUE(contains(error_of([] { RNN(RNNOptions(3, 4).dropout(-0.1)); }), "dropout"));
  EXPECT_TRUE(contains(error_of([] { RNN(RNNOptions(3, 4).nonlinearity("sigmoid")); }), "nonlinearity"));
  EXPECT_TRUE(contains(error_of([] { LSTM(LSTMOptions(3, 4).proj_size(4)); }), "proj_size"));
  EXPECT_TRUE(contains(error_of([] { LSTM(LSTMOptions(3, 4).proj_size(-1)); }), "proj_size"));
  EXPECT_TRUE(contains(error_of([] { LSTM(LSTMOptions(3, 1LL << 40)); }), "large"));
  EXPECT_THROW(LSTM(LSTMOptions(0, 4)), OptionError);
}

TEST(BadInput, Shapes) {
  LSTM m(LSTMOptions(3, 4).num_layers(2));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({5, 2})); }), "3-D"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({5, 2, 4})); }), "input_size is 3"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({5, 2, 3}, DType::f64)); }), "float32"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({5, 2, 3}), Tensor(), Tensor::zeros({1, 2, 4})); }), "h0"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({5, 2, 3}), Tensor(), Tensor(), Tensor::zeros({2, 3, 4})); }), "c0"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(Tensor::zeros({0, 2, 3})); }), "at least one"));
  GRU g(GRUOptions(3, 4));
  EXPECT_TRUE(contains(error_of([&] { g.forward(Tensor::zeros({5, 2, 3}), Tensor(), Tensor(), Tensor::zeros({1, 2, 4})); }), "only for LSTM"));
}

TEST(BadInput, Lengths) {
  GRU m(GRUOptions(3, 4).bidirectional(true));
  const Tensor x = Tensor::zeros({5, 2, 3});
  auto lengths = [](std::vector<std::int64_t> v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); };
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, lengths({0, 3})); }), "lengths[0] = 0"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, lengths({3, 6})); }), "lengths[1] = 6"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, lengths({3, 2, 1})); }), "one per batch item"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, Tensor::zeros({2})); }), "int64"));
  EXPECT_TRUE(contains(error_of([&] { m.forward(x, lengths({-1, 2})); }), "1..5"));
}

TEST(BadInput, StateDict) {
  LSTM m(LSTMOptions(3, 4));
  auto sd = m.state_dict();
  auto missing = sd;
  missing.erase("bias_hh_l0");
  EXPECT_TRUE(contains(error_of([&] { m.load_state_dict(missing); }), "missing key(s) \"bias_hh_l0\""));
  auto extra = sd;
  extra["weight_ih_l1"] = Tensor::zeros({16, 4});
  EXPECT_TRUE(contains(error_of([&] { m.load_state_dict(extra); }), "unexpected key(s) \"weight_ih_l1\""));
  m.load_state_dict(extra, /*strict=*/false);
  auto wrong = sd;
  wrong["weight_hh_l0"] = Tensor::zeros({16, 5});
  const auto msg = error_of([&] { m.load_state_dict(wrong); });
  EXPECT_TRUE(contains(msg, "weight_hh_l0") && contains(msg, "(16, 5)") && contains(msg, "(16, 4)")) << msg;
  auto ints = sd;
  ints["bias_ih_l0"] = Tensor::zeros({16}, DType::i64);
  EXPECT_TRUE(contains(error_of([&] { m.load_state_dict(ints); }), "int64"));
  EXPECT_THROW(m.load_state_dict(missing), StateDictError);
}

}  // namespace
}  // namespace birnn::testing
