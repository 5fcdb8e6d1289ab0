// birnn generate CHECKPOINT: text from a character language model (a checkpoint of `birnn train charlm`):
// the prompt, then N generated characters, sampled at a temperature (seeded) or greedy.
#include <cstdio>

#include "args.hpp"
#include "birnn/data/text.hpp"
#include "birnn/data/vocab.hpp"
#include "birnn/error.hpp"
#include "birnn/models/char_language_model.hpp"
#include "birnn/threads.hpp"
#include "commands.hpp"
#include "train_setup.hpp"

namespace birnn::cli {

int cmd_generate(const std::vector<std::string>& argv) {
  Args args(argv, {"prompt", "n", "temperature", "seed", "threads", "precision"}, {"help", "greedy"});
  if (args.flag("help") || args.positional().size() != 1) {
    std::fputs("usage: birnn generate CHECKPOINT [--prompt TEXT] [--n 300] [--temperature 0.8] [--greedy] [--seed N]\n"
               "                      [--threads N] [--precision fp32|bf16]\n"
               "  CHECKPOINT is a character language model written by `birnn train charlm`, e.g. runs/charlm/best\n"
               "  prints the prompt followed by N generated characters; sampling with --temperature T (> 0) from a\n"
               "  generator seeded with --seed (default 1, so a run repeats), or the most likely character with --greedy.\n"
               "  An empty prompt (the default) starts a new paragraph (\"\\n\"). Characters the model never saw are <unk>.\n",
               args.flag("help") ? stdout : stderr);
    return args.flag("help") ? 0 : 2;
  }
  if (args.has("threads")) set_num_threads(static_cast<int>(args.integer("threads", 1, 1, 1024)));
  const std::string path = args.positional()[0];
  const std::string prompt = args.str("prompt", "");
  const std::int64_t n = args.integer("n", 300, 0, 10000000);
  if (args.flag("greedy") && args.has("temperature"))
    throw OptionError("--greedy picks the most likely character: --temperature does not apply (give one of them)");
  const double temperature = args.number("temperature", 0.8, 1e-6, 1e6);
  const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, INT64_MAX));
  if (data::find_invalid_utf8(prompt) != std::string::npos) throw OptionError("--prompt is not valid UTF-8");

  const CheckpointInfo info = read_checkpoint_info(path);
  if (info.model_type != CharLanguageModel::kModelType)
    throw StateDictError(path + ": holds a '" + info.model_type + "' model; birnn generate needs a '" +
                         CharLanguageModel::kModelType + "' (train one with `birnn train charlm`)");
  const auto vocab = info.vocabularies.find("chars");
  if (vocab == info.vocabularies.end()) throw StateDictError(path + ": the checkpoint has no 'chars' vocabulary");
  const data::Vocabulary chars = data::Vocabulary::from_strings(vocab->second);
  auto model = load_model<CharLanguageModel>(path);
  apply_inference_precision(*model, args);
  if (chars.size() != model->options().vocab_size())
    throw StateDictError(path + ": vocabulary mismatch: 'chars' has " + std::to_string(chars.size()) + " entries, the model " +
                         std::to_string(model->options().vocab_size()));

  const std::vector<std::int64_t> ids = chars.encode(data::utf8_chars(prompt.empty() ? std::string("\n") : prompt));
  const GenerateResult g = model->generate(ids, n, GenerateOptions().temperature(temperature).greedy(args.flag("greedy")).seed(seed));
  std::string text = prompt;
  for (std::int64_t id : g.ids) text += id <= data::Vocabulary::kUnk ? std::string("?") : chars.token(id);
  std::printf("%s\n", text.c_str());
  return 0;
}

}  // namespace birnn::cli
