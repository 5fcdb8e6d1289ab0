// birnn info CHECKPOINT: what a checkpoint holds: model type and configuration, parameters per tensor,
// vocabularies, training counters and notes. birnn info FILE.safetensors: any safetensors file (a PyTorch
// state_dict, say): its tensors and metadata, and the recurrent layers it holds with the C++ that loads them.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "birnn/checkpoint.hpp"
#include "birnn/recurrent_layers_in.hpp"
#include "birnn/serialize.hpp"
#include "commands.hpp"

namespace birnn::cli {

namespace {

void print_tensors(const std::map<std::string, Tensor>& tensors) {
  std::int64_t total = 0;
  for (const auto& [name, t] : tensors) {
    std::printf("  %-40s %-18s %lld\n", name.c_str(), shape_str(t.shape()).c_str(), static_cast<long long>(t.numel()));
    total += t.numel();
  }
  std::printf("  total %lld\n", static_cast<long long>(total));
}

// One line per recurrent layer found, with what the weights cannot tell, and how to load it (unless the file is a
// birnn checkpoint's, which load_model reads whole).
void print_layer(const RecurrentLayerInfo& l, const std::string& path, std::size_t tensors_in_file, bool checkpoint) {
  if (!l.loads()) {
    const std::string where = l.prefix.empty() ? "" : " under \"" + l.prefix + "\"";
    const std::string what = l.cell.empty() ? "recurrent layer" : l.cell;
    std::printf("an %s%s that birnn::load (strict) refuses: %s\n", what.c_str(), where.c_str(), l.problem.c_str());
    return;
  }
  if (l.prefix.empty())
    std::printf("recurrent layer: %s", l.options_code().c_str());
  else
    std::printf("recurrent layer under \"%s\": %s", l.prefix.c_str(), l.options_code().c_str());
  if (l.cell == "RNN" && !checkpoint) std::printf("  (tanh assumed: the weights cannot tell relu)");
  if (l.cell == "GRU" && !l.form_known && !checkpoint)
    std::printf("  (PyTorch's reset_after form assumed: the weights cannot tell; .reset_after(false) for the other)");
  if (checkpoint)
    std::printf("\n");
  else if (!l.prefix.empty())
    std::printf(
        "\n  load it: the tensors named %s* without that prefix, through layer.load_state_dict(), or convert the"
        " original .pt again with tools/pytorch_to_safetensors.py --prefix %s\n",
        l.prefix.c_str(), l.prefix.c_str());
  else if (static_cast<std::int64_t>(tensors_in_file) > l.tensor_count())
    std::printf("\n  load it: birnn::load(layer, \"%s\", /*strict=*/false)  (the file holds more)\n", path.c_str());
  else
    std::printf("\n  load it: birnn::load(layer, \"%s\")\n", path.c_str());
}

int info_of_safetensors_file(const std::string& path) {
  const NamedTensors file = load_safetensors(path);
  std::printf("tensors:\n");
  print_tensors(file.tensors);
  for (const auto& [k, v] : file.metadata) std::printf("metadata %s: %s\n", k.c_str(), v.c_str());
  const std::string stem = path.substr(0, path.size() - std::string(".safetensors").size());
  const bool checkpoint = std::filesystem::exists(checkpoint_files(stem).sidecar);
  const auto layers = find_recurrent_layers(file);
  for (const auto& l : layers) print_layer(l, path, file.tensors.size(), checkpoint);
  if (std::any_of(layers.begin(), layers.end(), [](const auto& l) { return l.loads(); }) && !checkpoint)
    std::printf("not in the weights, so set them as the model had them: batch_first, dropout (training only)\n");
  if (checkpoint)
    std::printf("this is the weights file of the checkpoint %s: `birnn info %s` shows its model and training config\n",
                stem.c_str(), stem.c_str());
  return 0;
}

}  // namespace

int cmd_info(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"help"});
  if (args.flag("help") || args.positional().size() != 1) {
    std::fputs(
        "usage: birnn info CHECKPOINT   (a path stem such as runs/pos/best, or its .json sidecar)\n"
        "       birnn info FILE.safetensors   (any safetensors file, e.g. a PyTorch state_dict: its tensors,\n"
        "                                      and the RNN/LSTM/GRU layers in it with the C++ options that load "
        "them)\n",
        args.flag("help") ? stdout : stderr);
    return args.flag("help") ? 0 : 2;
  }
  const std::string path = args.positional()[0];
  if (path.ends_with(".safetensors")) return info_of_safetensors_file(path);
  const CheckpointInfo info = read_checkpoint_info(path);
  const NamedTensors weights = load_safetensors(checkpoint_files(path).weights);
  std::printf("model type: %s\nconfig: %s\nsteps: %lld, epochs: %lld\n", info.model_type.c_str(),
              info.config_json.c_str(), static_cast<long long>(info.step), static_cast<long long>(info.epoch));
  std::printf("parameters:\n");
  print_tensors(weights.tensors);
  for (const auto& [name, words] : info.vocabularies)
    std::printf("vocabulary %s: %zu entries\n", name.c_str(), words.size());
  for (const auto& [k, v] : info.extra) std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

}  // namespace birnn::cli
