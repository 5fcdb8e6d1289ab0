// The metadata key by which birnn::save notes a GRU's form in a safetensors file ("reset_after" or
// "reset_before"), read back by load() and by find_recurrent_layers.
#pragma once

namespace birnn::io {
inline constexpr const char* kGruFormKey = "birnn.gru_form";
}  // namespace birnn::io
