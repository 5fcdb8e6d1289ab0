// birnn compare TASK: RNN, LSTM, GRU and their bidirectional forms measured side by side on one task,
// with a Markdown report, SVG charts and the seeds' claims judged by the numbers. Tasks: adding (here) and
// the tasks of `birnn train` whose model takes a cell and a direction, e.g. pos (cmd_compare_task.cpp).
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "birnn/compare/adding_compare.hpp"
#include "birnn/error.hpp"
#include "birnn/tasks/task.hpp"
#include "birnn/threads.hpp"
#include "commands.hpp"
#include "train_setup.hpp"
#include "compare_task.hpp"

namespace birnn::cli {

namespace {

const char* kHelp =
    "usage: birnn compare adding [--T 50,100,200,400] [--cells rnn,lstm,gru,birnn,bilstm,bigru] [--steps N]\n"
    "                            [--hidden H] [--batch B] [--lr LR] [--clip C] [--seed S] [--threads N]\n"
    "                            [--eval-every N] [--time-limit SECONDS] [--flow-T T] [--no-early-stop]\n"
    "                            [--out DIR] [--quick]\n"
    "\n"
    "Trains every listed cell on the adding problem (T steps of [value, marker]; target: the sum of the two\n"
    "marked values; predicting 1.0 gives MSE 0.167; learned = held-out MSE < 0.01) at every listed T with the\n"
    "same budget, times a training step of each cell, measures the gradient reaching each input step at\n"
    "initialisation and after training, and writes DIR/report.md with SVG charts. Prints the table.\n"
    "\n"
    "  --T LIST          sequence lengths (default 50,100,200,400)\n"
    "  --cells LIST      any of rnn,lstm,gru,birnn,bilstm,bigru (default all six)\n"
    "  --steps N         Adam steps at most per run (default 2000)\n"
    "  --hidden H        hidden units per direction (default 64)\n"
    "  --batch B         sequences per step (default 64)\n"
    "  --lr LR           Adam learning rate (default 0.01)\n"
    "  --clip C          gradient-norm clip, 0 = none (default 1)\n"
    "  --seed S          seed of init, data and held-out set (default 1)\n"
    "  --threads N       compute threads, 0 = all cores (default 1)\n"
    "  --eval-every N    held-out evaluation interval in steps (default 100)\n"
    "  --time-limit S    stop a run after S seconds of training, 0 = none (default 0)\n"
    "  --flow-T T        length of the gradient-flow and timing measurement (default 200 if listed, else max T)\n"
    "  --no-early-stop   keep training after a run has learned (default: stop at held-out MSE < 0.01)\n"
    "  --out DIR         where report.md and the charts go (default compare-adding)\n"
    "  --quick           a small run (about 1 s of CPU): T 10,20, hidden 16, batch 32, 500 steps\n"
    "\n"
    "birnn compare pos [flags]: the same six forms as the POS tagger's recurrent layer on Brown (or --data FILE);\n"
    "see `birnn compare pos --help`.\n";

// The task named by the first argument that is neither a flag nor a flag's value, "" if none.
std::string task_argument(const std::vector<std::string>& argv) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.rfind("--", 0) != 0) return s;
    static const std::set<std::string> bool_flags = {"--quick", "--no-early-stop", "--help"};
    if (s.find('=') == std::string::npos && !bool_flags.count(s)) ++i;  // skip the value
  }
  return "";
}

std::string available_tasks() {
  std::string s = "adding";
  for (const auto& t : tasks::task_names()) s += ", " + t;
  return s;
}

std::vector<std::int64_t> parse_lengths(const std::string& list) {
  std::vector<std::int64_t> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    const long long v = item.empty() ? 0 : std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 2 || v > 100000)
      throw OptionError("--T: expected a comma-separated list of lengths in 2..100000, got \"" + list + "\"");
    for (auto T : out)
      if (T == v) throw OptionError("--T: length " + item + " listed twice");
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int cmd_compare(const std::vector<std::string>& argv) {
  const std::string task = task_argument(argv);
  if (!task.empty() && task != "adding") {
    const auto names = tasks::task_names();
    if (std::find(names.begin(), names.end(), task) == names.end())
      throw OptionError("unknown task \"" + task + "\" (available: " + available_tasks() + ")");
    return compare_task(task, argv);
  }
  Args a(argv, {"T", "cells", "steps", "hidden", "batch", "lr", "clip", "seed", "threads", "eval-every", "time-limit", "flow-T", "out"},
         {"quick", "no-early-stop", "help"});
  if (a.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  const auto& pos = a.positional();
  if (pos.empty()) throw OptionError("compare needs a task (available: " + available_tasks() + "); see --help");
  if (pos.size() > 1) throw OptionError("compare takes one task, got \"" + pos[0] + "\" and \"" + pos[1] + "\"");
  if (pos[0] != "adding") throw OptionError("unknown task \"" + pos[0] + "\" (available: " + available_tasks() + ")");

  const bool quick = a.flag("quick");
  compare::AddingCompareOptions o;
  o.seq_lens = parse_lengths(a.str("T", quick ? "10,20" : "50,100,200,400"));
  o.cells = compare::parse_cell_variants(a.str("cells", "rnn,lstm,gru,birnn,bilstm,bigru"));
  o.config.hidden(a.integer("hidden", quick ? 16 : 64, 1, 1 << 14))
      .batch(a.integer("batch", quick ? 32 : 64, 1, 1 << 16))
      .steps(a.integer("steps", quick ? 500 : 2000, 1, 100000000))
      .lr(a.number("lr", 1e-2, 0, 10))
      .clip(a.number("clip", 1.0, 0, 1e6))
      .seed(static_cast<std::uint64_t>(a.integer("seed", 1, 0, INT64_MAX)))
      .eval_every(a.integer("eval-every", quick ? 50 : 100, 1, 100000000))
      .eval_size(512)
      .time_limit_s(a.number("time-limit", 0, 0, 1e7))
      .stop_when_learned(!a.flag("no-early-stop"));
  o.flow_seq_len = a.integer("flow-T", 0, 2, 100000);
  o.flow_batch = quick ? 32 : 64;
  o.cost_reps = quick ? 3 : 7;
  const int threads = static_cast<int>(a.integer("threads", 1, 0, 1024));
  const std::string out = a.str("out", "compare-adding");
  check_output_dir(out, "--out");  // now: a bad --out found after the run would throw its results away
  o.validate();
  set_num_threads(threads);
  o.threads = num_threads();

  const auto result = compare::run_adding_compare(o, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  const auto rep = compare::adding_report(o, result);
  const auto files = compare::write_adding_report(out, o, result, rep);
  std::printf("\n%s\n", rep.render_table().c_str());
  for (const auto& c : rep.claims()) std::printf("- %s: %s\n", c.text.c_str(), report::verdict_name(c.verdict));
  std::printf("\nwrote %s/report.md and %zu charts\n", out.c_str(), files.size() - 1);
  return 0;
}

}  // namespace birnn::cli
