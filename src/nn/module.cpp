#include "birnn/module.hpp"

#include <cstring>
#include <set>

namespace birnn {

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  for (auto& [n, p] : params_)
    if (n == name) throw Error("parameter '" + name + "' registered twice");
  t.set_requires_grad(true);
  params_.emplace_back(name, std::move(t));
  return params_.back().second;
}

void Module::register_module(const std::string& name, std::shared_ptr<Module> m) { children_.emplace_back(name, std::move(m)); }

Tensor& Module::param(const std::string& name) {
  for (auto& [n, p] : params_)
    if (n == name) return p;
  throw Error("no parameter named '" + name + "'");
}
const Tensor& Module::param(const std::string& name) const { return const_cast<Module*>(this)->param(name); }
bool Module::has_param(const std::string& name) const {
  for (auto& [n, p] : params_)
    if (n == name) return true;
  return false;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  auto out = params_;
  for (auto& [cn, c] : children_)
    for (auto& [n, p] : c->named_parameters()) out.emplace_back(cn + "." + n, p);
  return out;
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out = {{"", this}};
  for (auto& [cn, c] : children_)
    for (auto& [n, m] : c->named_modules()) out.emplace_back(cn + "." + n, m);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> v;
  for (auto& [n, p] : named_parameters()) v.push_back(p);
  return v;
}

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> m;
  for (auto& [n, p] : named_parameters()) m[n] = p.detach();
  return m;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  const auto named = named_parameters();
  std::vector<std::string> missing, unexpected;
  std::set<std::string> known;
  for (auto& [n, p] : named) {
    known.insert(n);
    if (!state.count(n)) missing.push_back(n);
  }
  for (auto& [n, t] : state)
    if (!known.count(n)) unexpected.push_back(n);
  if (strict && (!missing.empty() || !unexpected.empty())) {
    std::string msg = "load_state_dict: ";
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (auto& x : v) s += (s.empty() ? "\"" : ", \"") + x + "\"";
      return s;
    };
    if (!missing.empty()) msg += "missing key(s) " + list(missing) + ". ";
    if (!unexpected.empty()) msg += "unexpected key(s) " + list(unexpected) + ".";
    throw StateDictError(msg);
  }
  // Check everything before copying anything, so a failed load leaves the module unchanged.
  for (auto& [n, p] : named) {
    auto it = state.find(n);
    if (it == state.end()) continue;
    const Tensor& src = it->second;
    if (src.shape() != p.shape())
      throw StateDictError("load_state_dict: size mismatch for " + n + ": the checkpoint has shape " + shape_str(src.shape()) +
                           ", this module has " + shape_str(p.shape()));
    if (src.dtype() == DType::i64)
      throw StateDictError("load_state_dict: " + n + " is int64 in the checkpoint; a floating parameter (" +
                           dtype_name(p.dtype()) + ") is expected");
  }
  for (auto& [n, p] : named) {
    auto it = state.find(n);
    if (it == state.end()) continue;
    Tensor v = it->second.to(p.dtype());
    std::memcpy(const_cast<Tensor&>(p).raw_data(), v.raw_data(), p.nbytes());
    const_cast<Tensor&>(p).bump_version();
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

Precision parse_precision(const std::string& s, const std::string& what) {
  if (s == "fp32") return Precision::fp32;
  if (s == "bf16") return Precision::bf16;
  throw OptionError(what + " must be fp32 or bf16, got \"" + s + "\"");
}

void Module::set_inference_precision(Precision p) {
  precision_ = p;
  for (auto& [n, c] : children_) c->set_inference_precision(p);
}

void Module::to(DType dtype) {
  for (auto& [n, p] : params_) {
    if (p.dtype() == dtype) continue;
    const bool trainable = p.requires_grad();  // a frozen parameter stays frozen
    p = p.to(dtype);
    p.set_requires_grad(trainable);
  }
  for (auto& [n, c] : children_) c->to(dtype);
}

void Module::zero_grad() {
  for (auto& [n, p] : params_) p.zero_grad();
  for (auto& [n, c] : children_) c->zero_grad();
}

}  // namespace birnn
