// Which recurrent layers a state dict holds, read from PyTorch's parameter names and shapes alone: what to
// build in C++ to load a PyTorch-trained torch.nn.LSTM / GRU / RNN (`birnn info FILE.safetensors` prints it).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "birnn/serialize.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

/// One torch.nn.RNN/LSTM/GRU found under `prefix` in a state dict.
struct RecurrentLayerInfo {
  std::string prefix;  ///< "" for a bare layer, else the submodule path with its dot, e.g. "encoder.rnn."
  std::string cell;    ///< "LSTM", "GRU" or "RNN" (weight_ih_l0 has 4, 3 or 1 times hidden_size rows)
  std::int64_t input_size = 0, hidden_size = 0, num_layers = 0, proj_size = 0;
  bool bias = false, bidirectional = false;
  bool reset_after = true;  ///< GRU form: false only when the file's metadata says reset_before (birnn wrote it)
  bool form_known = false;  ///< GRU: the file's metadata named the form (else reset_after is PyTorch's, assumed)
  /// Empty when the set loads: every tensor there with the shape the sizes imply, and no other tensor under the
  /// prefix named like one of the layer's. Else the first fault, e.g. "bias_hh_l1: missing",
  /// "weight_ih_l1: shape (12, 5), expected (12, 6)" or "weight_ih_l3: not a tensor of the layer ..." (a gap
  /// in the numbering); the sizes above are then what could be read, possibly none.
  std::string problem;
  bool loads() const { return problem.empty(); }
  /// The tensors the layer has (a file holding more needs load(..., strict = false) or a prefix).
  std::int64_t tensor_count() const;
  /// The C++ that builds a matching layer, e.g. "LSTM(LSTMOptions(64, 256).num_layers(2).bidirectional(true))".
  /// The weights cannot say an RNN's nonlinearity (tanh is assumed: pass .nonlinearity("relu") if the model
  /// used it) nor batch_first or dropout (they do not change the weights).
  std::string options_code() const;
};

/// Every recurrent layer in `state_dict` (keyed by PyTorch names), found by a tensor named PREFIX + weight_ih_l0
/// (PREFIX empty or ending in '.'), in name order, and checked for the complete set of tensors with consistent
/// shapes: a set that does not fit is listed with its `problem` (check loads()).
std::vector<RecurrentLayerInfo> find_recurrent_layers(const std::map<std::string, Tensor>& state_dict);
/// The same for a loaded file, whose metadata may name a GRU's form ("birnn.gru_form[.PREFIX]", birnn::save):
/// without it a GRU is PyTorch's reset_after form.
std::vector<RecurrentLayerInfo> find_recurrent_layers(const NamedTensors& file);

}  // namespace birnn
