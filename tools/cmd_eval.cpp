// birnn eval CHECKPOINT: the metrics of a trained model on its task's held-out split (or dev, or another file).
#include <cstdio>

#include "args.hpp"
#include "birnn/threads.hpp"
#include "commands.hpp"
#include "train_setup.hpp"

namespace birnn::cli {

int cmd_eval(const std::vector<std::string>& argv) {
  Args args(argv, {"split", "data", "threads", "precision"}, {"help"});
  if (args.flag("help") || args.positional().size() != 1) {
    std::fputs("usage: birnn eval CHECKPOINT [--split test|dev] [--data FILE] [--threads N] [--precision fp32|bf16]\n"
               "  CHECKPOINT is a path written by `birnn train`, e.g. runs/pos/best\n"
               "  --data FILE evaluates on all of FILE (the task's generic format) instead of the held-out split;\n"
               "              the training file itself (same path or same content) keeps its held-out split\n"
               "  --precision bf16 runs the recurrent layers' weight GEMMs in bf16 (f32 accumulation)\n",
               args.flag("help") ? stdout : stderr);
    return args.flag("help") ? 0 : 2;
  }
  if (args.has("threads")) set_num_threads(static_cast<int>(args.integer("threads", 1, 1, 1024)));
  const std::string split = args.str("split", "test");
  if (split != "test" && split != "dev") throw OptionError("--split must be test or dev, got '" + split + "'");
  const std::string data = args.str("data", "");
  auto task = task_from_checkpoint(args.positional()[0], data);
  if (!data.empty()) {  // which of the two --data rules applied, on stderr (stdout stays the metrics line)
    if (tasks::scores_whole_file(read_checkpoint_info(args.positional()[0]), data))
      std::fprintf(stderr, "eval: scoring all of %s (not the file the model was trained on)\n", data.c_str());
    else
      std::fprintf(stderr, "eval: %s is the file the model was trained on: scoring its %s split\n", data.c_str(),
                   split.c_str());
  }
  apply_inference_precision(task->model(), args);
  const tasks::EvalResult r = task->evaluate(split == "dev" ? tasks::Split::dev : tasks::Split::test);
  std::printf("%s\n", r.summary().c_str());
  return 0;
}

}  // namespace birnn::cli
