// The metadata keys by which birnn::save notes each GRU's form in a safetensors file ("reset_after" or
// "reset_before"), read back by load() and by find_recurrent_layers: the two forms have the same weight shapes.
#pragma once
#include <string>

namespace birnn::io {
/// The key of the GRU whose parameters are named PREFIX + weight_ih_l0...: "birnn.gru_form" for a bare GRU
/// (prefix ""), "birnn.gru_form.encoder.gru" for prefix "encoder.gru." (a GRU inside a model).
inline std::string gru_form_key(const std::string& prefix) {
  const std::string base = "birnn.gru_form";
  return prefix.empty() ? base : base + "." + prefix.substr(0, prefix.size() - (prefix.back() == '.' ? 1 : 0));
}
}  // namespace birnn::io
