// Named tensors to and from safetensors files (the format PyTorch state_dicts are shared in), and
// whole modules: save() writes a module's state_dict with PyTorch names; load() reads it back strictly.
#pragma once
#include <map>
#include <string>

#include "birnn/module.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

struct NamedTensors {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Reads every tensor (F32, F64 and I64 are supported; F16/BF16 are converted to float32).
/// Hostile or truncated files throw FormatError naming the file and tensor.
NamedTensors load_safetensors(const std::string& path);
/// Atomic write (temp file, flush, rename).
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Writes module.state_dict() plus `metadata`, and the form of every GRU in the module (the two forms have the
/// same weight shapes): "birnn.gru_form" for a bare GRU, "birnn.gru_form.PREFIX" for one inside a model
/// ("birnn.gru_form.gru" -> "reset_before").
void save(const Module& module, const std::string& path, const std::map<std::string, std::string>& metadata = {});
/// load_state_dict(load_safetensors(path).tensors, strict); errors name the file. A GRU whose form differs from
/// the file's note is a StateDictError naming the option; without a note, a bare GRU's file and any file marked
/// format=pt are PyTorch's reset_after form (a GRU inside a model in an older birnn file is not checked).
NamedTensors load(Module& module, const std::string& path, bool strict = true);

}  // namespace birnn
