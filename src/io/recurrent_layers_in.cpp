#include "birnn/recurrent_layers_in.hpp"

#include <optional>
#include <string_view>

#include "io/gru_form.hpp"

namespace birnn {
namespace {

constexpr std::string_view kFirst = "weight_ih_l0";

// The layer under prefix, if its tensors are all there with PyTorch's shapes.
//   weight_ih_l{k}{sfx}: (G*H, I or D*P_or_H)   weight_hh_l{k}{sfx}: (G*H, P or H)
//   bias_*_l{k}{sfx}: (G*H)                     weight_hr_l{k}{sfx}: (P, H), LSTM with proj_size only
std::optional<RecurrentLayerInfo> read_layer(const std::map<std::string, Tensor>& sd, const std::string& prefix) {
  auto shape_of = [&](const std::string& name) -> const Shape* {
    auto it = sd.find(prefix + name);
    return it == sd.end() ? nullptr : &it->second.shape();
  };
  const Shape* w_ih = shape_of(std::string(kFirst));
  const Shape* w_hh = shape_of("weight_hh_l0");
  if (!w_ih || !w_hh || w_ih->size() != 2 || w_hh->size() != 2) return std::nullopt;
  RecurrentLayerInfo r;
  r.prefix = prefix;
  r.input_size = (*w_ih)[1];
  if (const Shape* w_hr = shape_of("weight_hr_l0")) {
    if (w_hr->size() != 2) return std::nullopt;
    r.proj_size = (*w_hr)[0];
    r.hidden_size = (*w_hr)[1];
  } else {
    r.hidden_size = (*w_hh)[1];
  }
  if (r.hidden_size <= 0 || (*w_ih)[0] % r.hidden_size != 0) return std::nullopt;
  const std::int64_t gates = (*w_ih)[0] / r.hidden_size;
  r.cell = gates == 4 ? "LSTM" : gates == 3 ? "GRU" : gates == 1 ? "RNN" : "";
  if (r.cell.empty() || (r.proj_size > 0 && r.cell != "LSTM")) return std::nullopt;
  r.bias = shape_of("bias_ih_l0") != nullptr;
  r.bidirectional = shape_of("weight_ih_l0_reverse") != nullptr;
  while (shape_of("weight_ih_l" + std::to_string(r.num_layers))) ++r.num_layers;

  // Every tensor of every layer and direction, with the shapes those sizes imply, and nothing missing.
  const std::int64_t rows = gates * r.hidden_size, out = r.proj_size > 0 ? r.proj_size : r.hidden_size;
  const std::int64_t dirs = r.bidirectional ? 2 : 1;
  for (std::int64_t k = 0; k < r.num_layers; ++k)
    for (const std::string& sfx : {std::string(), std::string("_reverse")}) {
      if (!sfx.empty() && !r.bidirectional) continue;
      const std::string l = "_l" + std::to_string(k) + sfx;
      auto is = [&](const std::string& name, const Shape& want) {
        const Shape* s = shape_of(name + l);
        return s && *s == want;
      };
      if (!is("weight_ih", {rows, k == 0 ? r.input_size : dirs * out}) || !is("weight_hh", {rows, out}))
        return std::nullopt;
      if (r.bias && (!is("bias_ih", {rows}) || !is("bias_hh", {rows}))) return std::nullopt;
      if (r.proj_size > 0 && !is("weight_hr", {r.proj_size, r.hidden_size})) return std::nullopt;
    }
  return r;
}

}  // namespace

std::int64_t RecurrentLayerInfo::tensor_count() const {
  return num_layers * (bidirectional ? 2 : 1) * (2 + (bias ? 2 : 0) + (proj_size > 0 ? 1 : 0));
}

std::string RecurrentLayerInfo::options_code() const {
  std::string s =
      cell + "(" + cell + "Options(" + std::to_string(input_size) + ", " + std::to_string(hidden_size) + ")";
  if (num_layers != 1) s += ".num_layers(" + std::to_string(num_layers) + ")";
  if (!bias) s += ".bias(false)";
  if (bidirectional) s += ".bidirectional(true)";
  if (proj_size > 0) s += ".proj_size(" + std::to_string(proj_size) + ")";
  if (cell == "GRU" && !reset_after) s += ".reset_after(false)";
  return s + ")";
}

std::vector<RecurrentLayerInfo> find_recurrent_layers(const std::map<std::string, Tensor>& state_dict) {
  std::vector<RecurrentLayerInfo> found;
  for (const auto& [name, t] : state_dict) {  // std::map: in name order
    if (!std::string_view(name).ends_with(kFirst)) continue;
    const std::string prefix = name.substr(0, name.size() - kFirst.size());
    if (!prefix.empty() && prefix.back() != '.') continue;  // e.g. "my_weight_ih_l0" is not a layer's
    if (auto r = read_layer(state_dict, prefix)) found.push_back(*r);
  }
  return found;
}

std::vector<RecurrentLayerInfo> find_recurrent_layers(const NamedTensors& file) {
  auto found = find_recurrent_layers(file.tensors);
  const auto form = file.metadata.find(io::kGruFormKey);  // the note save() writes
  for (auto& l : found) {
    if (l.cell != "GRU" || form == file.metadata.end()) continue;
    l.form_known = true;
    l.reset_after = form->second != "reset_before";
  }
  return found;
}

}  // namespace birnn
