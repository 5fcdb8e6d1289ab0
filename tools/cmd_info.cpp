// birnn info CHECKPOINT: what a checkpoint holds: model type and configuration, parameters per tensor,
// vocabularies, training counters and notes.
#include <cstdio>

#include "args.hpp"
#include "birnn/checkpoint.hpp"
#include "birnn/serialize.hpp"
#include "commands.hpp"

namespace birnn::cli {

int cmd_info(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"help"});
  if (args.flag("help") || args.positional().size() != 1) {
    std::fputs("usage: birnn info CHECKPOINT   (a path stem such as runs/pos/best, or its .json sidecar)\n",
               args.flag("help") ? stdout : stderr);
    return args.flag("help") ? 0 : 2;
  }
  const std::string path = args.positional()[0];
  const CheckpointInfo info = read_checkpoint_info(path);
  const NamedTensors weights = load_safetensors(checkpoint_files(path).weights);
  std::printf("model type: %s\nconfig: %s\nsteps: %lld, epochs: %lld\n", info.model_type.c_str(), info.config_json.c_str(),
              static_cast<long long>(info.step), static_cast<long long>(info.epoch));
  std::int64_t total = 0;
  std::printf("parameters:\n");
  for (const auto& [name, t] : weights.tensors) {
    std::printf("  %-40s %-18s %lld\n", name.c_str(), shape_str(t.shape()).c_str(), static_cast<long long>(t.numel()));
    total += t.numel();
  }
  std::printf("  total %lld\n", static_cast<long long>(total));
  for (const auto& [name, words] : info.vocabularies) std::printf("vocabulary %s: %zu entries\n", name.c_str(), words.size());
  for (const auto& [k, v] : info.extra) std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

}  // namespace birnn::cli
