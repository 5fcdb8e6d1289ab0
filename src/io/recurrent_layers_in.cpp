#include "birnn/recurrent_layers_in.hpp"

#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "io/gru_form.hpp"

namespace birnn {
namespace {

constexpr std::string_view kFirst = "weight_ih_l0";
constexpr std::int64_t kMaxLayers = 1000;  // far more than any trained RNN; bounds the work on a hostile file

// The layer index k of a recurrent layer's parameter name (without the prefix), e.g. 2 for "bias_hh_l2_reverse";
// nothing for any other name.
std::optional<std::int64_t> layer_index_of(std::string_view name) {
  for (std::string_view stem : {"weight_ih_l", "weight_hh_l", "weight_hr_l", "bias_ih_l", "bias_hh_l"}) {
    if (!name.starts_with(stem)) continue;
    std::string_view digits = name.substr(stem.size());
    if (digits.ends_with("_reverse")) digits.remove_suffix(std::string_view("_reverse").size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    if (digits.size() > 9) return std::int64_t{1} << 40;  // beyond any bound below, and no stoll overflow
    return std::stoll(std::string(digits));
  }
  return std::nullopt;
}

// The layer under prefix, read from weight_ih_l0, weight_hh_l0 (and weight_hr_l0), then checked: every tensor
// of every layer and direction with the shapes those sizes imply, and no other parameter-named tensor under
// the prefix. The first fault goes to r.problem.
//   weight_ih_l{k}{sfx}: (G*H, I or D*P_or_H)   weight_hh_l{k}{sfx}: (G*H, P or H)
//   bias_*_l{k}{sfx}: (G*H)                     weight_hr_l{k}{sfx}: (P, H), LSTM with proj_size only
RecurrentLayerInfo read_layer(const std::map<std::string, Tensor>& sd, const std::string& prefix) {
  auto shape_of = [&](const std::string& name) -> const Shape* {
    auto it = sd.find(prefix + name);
    return it == sd.end() ? nullptr : &it->second.shape();
  };
  RecurrentLayerInfo r;
  r.prefix = prefix;
  auto fail = [&r](std::string why) {
    r.problem = std::move(why);
    return r;
  };
  const Shape* w_ih = shape_of(std::string(kFirst));  // present: read_layer is called for it
  const Shape* w_hh = shape_of("weight_hh_l0");
  const Shape* w_hr = shape_of("weight_hr_l0");
  if (!w_hh) return fail("weight_hh_l0: missing");  // (weight_ih_l0 is there: it is how the set was found)
  for (const auto& [name, s] : {std::pair{"weight_ih_l0", w_ih}, {"weight_hh_l0", w_hh}, {"weight_hr_l0", w_hr}})
    if (s && s->size() != 2) return fail(std::string(name) + ": shape " + shape_str(*s) + ", not a matrix");
  r.input_size = (*w_ih)[1];
  r.proj_size = w_hr ? (*w_hr)[0] : 0;
  r.hidden_size = w_hr ? (*w_hr)[1] : (*w_hh)[1];
  const std::string units = std::to_string(r.hidden_size) + " units";
  if (r.hidden_size <= 0 || (*w_ih)[0] % r.hidden_size != 0)
    return fail("weight_ih_l0: shape " + shape_str(*w_ih) + ", no whole number of gates of " + units);
  const std::int64_t gates = (*w_ih)[0] / r.hidden_size;
  r.cell = gates == 4 ? "LSTM" : gates == 3 ? "GRU" : gates == 1 ? "RNN" : "";
  if (r.cell.empty())
    return fail("weight_ih_l0: shape " + shape_str(*w_ih) + ", " + std::to_string(gates) + " gates of " + units +
                " (an LSTM has 4, a GRU 3, an RNN 1)");
  if (r.proj_size > 0 && r.cell != "LSTM") return fail("weight_hr_l0: a projection, which only LSTM has");
  // Layers, directions and biases from every parameter name under the prefix, so that a gap in the numbering
  // or a lone bias is reported as the tensor missing, not as a smaller layer.
  std::string_view deepest;
  std::vector<std::string_view> parameter_names;  // under the prefix, without it; read again for strays below
  for (auto it = sd.lower_bound(prefix); it != sd.end() && it->first.starts_with(prefix); ++it) {
    const std::string_view name = std::string_view(it->first).substr(prefix.size());
    const auto layer = layer_index_of(name);
    if (!layer) continue;
    parameter_names.push_back(name);
    if (*layer + 1 > r.num_layers) r.num_layers = *layer + 1, deepest = name;
    r.bias = r.bias || name.starts_with("bias_");
    r.bidirectional = r.bidirectional || name.ends_with("_reverse");
  }
  if (r.num_layers > kMaxLayers)  // a name like weight_ih_l99999 would otherwise make this list 10^5 layers
    return fail(std::string(deepest) + ": more layers than the " + std::to_string(kMaxLayers) + " birnn reads");

  const std::int64_t rows = gates * r.hidden_size, out = r.proj_size > 0 ? r.proj_size : r.hidden_size;
  const std::int64_t dirs = r.bidirectional ? 2 : 1;
  std::set<std::string> expected;
  std::string fault;
  auto want = [&](const std::string& name, const Shape& shape) {
    expected.insert(name);
    const Shape* s = shape_of(name);
    if (!fault.empty()) return;
    if (!s) fault = name + ": missing";
    else if (*s != shape) fault = name + ": shape " + shape_str(*s) + ", expected " + shape_str(shape);
  };
  for (std::int64_t k = 0; k < r.num_layers; ++k)
    for (const std::string& sfx : {std::string(), std::string("_reverse")}) {
      if (!sfx.empty() && !r.bidirectional) continue;
      const std::string l = "_l" + std::to_string(k) + sfx;
      want("weight_ih" + l, {rows, k == 0 ? r.input_size : dirs * out});
      want("weight_hh" + l, {rows, out});
      if (r.bias) want("bias_ih" + l, {rows}), want("bias_hh" + l, {rows});
      if (r.proj_size > 0) want("weight_hr" + l, {r.proj_size, r.hidden_size});
    }
  if (!fault.empty()) return fail(fault);
  // A tensor named like one of the layer's that the sizes above do not account for: a gap in the numbering
  // (l0, l2), a _reverse of a unidirectional layer, a bias of a bias-free one. load() would refuse it.
  for (const std::string_view name : parameter_names)
    if (!expected.count(std::string(name)))
      return fail(std::string(name) + ": not a tensor of the layer the others describe (" + std::to_string(r.num_layers) +
                  (r.num_layers == 1 ? " layer" : " layers") + (r.bidirectional ? ", bidirectional" : "") +
                  (r.bias ? "" : ", no bias") + (r.proj_size > 0 ? ", projected" : "") + ")");
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
    found.push_back(read_layer(state_dict, prefix));
  }
  return found;
}

std::vector<RecurrentLayerInfo> find_recurrent_layers(const NamedTensors& file) {
  auto found = find_recurrent_layers(file.tensors);
  for (auto& l : found) {
    const auto form = file.metadata.find(io::gru_form_key(l.prefix));  // the note save() writes
    if (l.cell != "GRU" || form == file.metadata.end()) continue;
    l.form_known = true;
    l.reset_after = form->second != "reset_before";
  }
  return found;
}

}  // namespace birnn
