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
  /// The tensors the layer has (a file holding more needs load(..., strict = false) or a prefix).
  std::int64_t tensor_count() const;
  /// The C++ that builds a matching layer, e.g. "LSTM(LSTMOptions(64, 256).num_layers(2).bidirectional(true))".
  /// The weights cannot say an RNN's nonlinearity (tanh is assumed: pass .nonlinearity("relu") if the model
  /// used it) nor batch_first or dropout (they do not change the weights).
  std::string options_code() const;
};

/// Every recurrent layer in `state_dict` (keyed by PyTorch names), found by its weight_ih_l0 and checked for
/// the complete set of tensors with consistent shapes; a set that does not fit is not listed. In the name order
/// of their weight_ih_l0. Layers after a gap in the numbering (l0, l2) or stray tensors under the prefix are
/// not checked: such a file loads with load(..., strict = false) only.
std::vector<RecurrentLayerInfo> find_recurrent_layers(const std::map<std::string, Tensor>& state_dict);
/// The same for a loaded file, whose metadata may name the GRU form ("birnn.gru_form", written by birnn::save):
/// without it a GRU is PyTorch's reset_after form.
std::vector<RecurrentLayerInfo> find_recurrent_layers(const NamedTensors& file);

}  // namespace birnn
