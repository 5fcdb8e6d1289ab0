// The six recurrent forms `birnn compare` puts side by side, behind one interface:
// RNN (tanh), LSTM, GRU and their bidirectional forms BiRNN, BiLSTM, BiGRU, each one layer of birnn's
// RecurrentBase read out by a Linear head.
//
//   auto m = make_cell_model(parse_cell_variant("bilstm"), /*input*/ 2, /*hidden*/ 64, /*out*/ 1);
//   Tensor y = m->forward(x);          // x: (T, B, I) -> y: (B, out)
//   m->parameter_count();              // recurrent layer + head
//
// Read-out: the final hidden state of each direction, concatenated (h_n rows 0 and 1): for the forward
// direction the state after step T-1, for the reverse direction the state after step 0. So the whole
// sequence is summarised by each direction, and a bidirectional head is twice as wide.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "birnn/linear.hpp"
#include "birnn/module.hpp"
#include "birnn/rnn.hpp"

namespace birnn::compare {

/// One of the six forms compared.
struct CellVariant {
  CellKind cell = CellKind::lstm;  ///< rnn_tanh, lstm or gru
  bool bidirectional = false;
  /// "rnn", "lstm", "gru", "birnn", "bilstm", "bigru" (the CLI's names).
  std::string id() const;
  /// "RNN", "LSTM", "GRU", "BiRNN", "BiLSTM", "BiGRU" (the report's names).
  std::string label() const;
  std::int64_t directions() const { return bidirectional ? 2 : 1; }
};

/// The six, in the report's order: RNN, LSTM, GRU, BiRNN, BiLSTM, BiGRU.
std::vector<CellVariant> all_cell_variants();
/// One CLI name (case-insensitive) -> variant; OptionError naming the name and the six valid ones.
CellVariant parse_cell_variant(const std::string& name);
/// A comma-separated list ("rnn,lstm,gru"); empty items, repeats and unknown names are OptionErrors.
std::vector<CellVariant> parse_cell_variants(const std::string& list);

/// A recurrent layer and a Linear head on its final states: what every comparison trains and times.
/// Parameters are named "rnn.*" and "head.*".
class CellModel : public Module {
 public:
  CellModel(const CellVariant& variant, std::int64_t input_size, std::int64_t hidden_size, std::int64_t output_size);
  /// x: (T, B, input_size) -> (B, output_size).
  Tensor forward(const Tensor& x);
  const CellVariant& variant() const { return variant_; }
  RecurrentBase& recurrent() { return *rnn_; }
  Linear& head() { return *head_; }
  /// Parameters of the recurrent layer alone (the head is the same size for every unidirectional cell).
  std::int64_t recurrent_parameter_count() const { return rnn_->parameter_count(); }

 private:
  CellVariant variant_;
  std::shared_ptr<RecurrentBase> rnn_;
  std::shared_ptr<Linear> head_;
};

std::unique_ptr<CellModel> make_cell_model(const CellVariant& v, std::int64_t input_size, std::int64_t hidden_size,
                                           std::int64_t output_size);

}  // namespace birnn::compare
