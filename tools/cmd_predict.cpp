// birnn predict CHECKPOINT [FILE]: predictions for each input (a file, or stdin when FILE is - or absent).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "args.hpp"
#include "birnn/threads.hpp"
#include "birnn/error.hpp"
#include "commands.hpp"
#include "train_setup.hpp"

namespace birnn::cli {

int cmd_predict(const std::vector<std::string>& argv) {
  Args args(argv, {"threads", "precision"}, {"help"});
  if (args.flag("help") || args.positional().empty() || args.positional().size() > 2) {
    std::fputs("usage: birnn predict CHECKPOINT [FILE|-] [--threads N] [--precision fp32|bf16]\n"
               "  one input per line (a sentence to tag, a text to classify, a series to extend), output on stdout\n"
               "  --precision bf16 runs the recurrent layers' weight GEMMs in bf16 (f32 accumulation)\n",
               args.flag("help") ? stdout : stderr);
    return args.flag("help") ? 0 : 2;
  }
  if (args.has("threads")) set_num_threads(static_cast<int>(args.integer("threads", 1, 1, 1024)));
  auto task = task_from_checkpoint(args.positional()[0], "", tasks::DataNeed::none);  // no data set: starts at once
  apply_inference_precision(task->model(), args);
  const std::string file = args.positional().size() > 1 ? args.positional()[1] : "-";
  if (file == "-") {
    task->predict(std::cin, std::cout);
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw FormatError(file + ": is a folder, expected an input file");
    std::ifstream in(file);
    if (!in) throw FormatError(file + ": cannot read the input file");
    task->predict(in, std::cout);
  }
  return 0;
}

}  // namespace birnn::cli
