// Module: named parameters (PyTorch names), train/eval mode, state_dict / load_state_dict.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn {

/// Arithmetic of the recurrent layers' weight products in inference (see RecurrentBase).
enum class Precision { fp32, bf16 };
const char* precision_name(Precision p);
/// "fp32" or "bf16"; anything else throws OptionError naming `what`.
Precision parse_precision(const std::string& s, const std::string& what = "precision");

class Module {
 public:
  virtual ~Module() = default;

  /// Parameters in registration order, children's prefixed with "child_name.".
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  /// This module ("") and every submodule under it, depth first, each with the prefix its parameters carry
  /// ("gru.", "encoder.rnn.").
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  std::int64_t parameter_count() const;
  /// name -> tensor (detached handles sharing storage with the parameters).
  std::map<std::string, Tensor> state_dict() const;
  /// Copies values into the parameters. strict: every parameter must be given and nothing else
  /// (missing and unexpected names are listed in the StateDictError). float64 values load into
  /// float32 parameters and back (PyTorch's copy_ semantics); shapes must match exactly.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  /// Training mode turns dropout on. Applies to children.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Precision::bf16: the recurrent layers run their weight GEMMs in bf16 (f32 accumulation) whenever
  /// they run in eval mode without recording gradients; training is always fp32. Applies to children.
  void set_inference_precision(Precision p);
  Precision inference_precision() const { return precision_; }
  /// Converts every parameter to float32 or float64 (float64 is what the gradient checks use).
  void to(DType dtype);
  void zero_grad();

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  void register_module(const std::string& name, std::shared_ptr<Module> m);
  Tensor& param(const std::string& name);
  const Tensor& param(const std::string& name) const;
  bool has_param(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  Precision precision_ = Precision::fp32;
};

}  // namespace birnn
