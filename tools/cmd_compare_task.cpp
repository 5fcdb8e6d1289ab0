// birnn compare TASK for a real task (pos): the six cell forms as the task's recurrent layer, trained with
// one budget, timed on the same batches; table, claims, DIR/report.md and SVG charts.
#include "compare_task.hpp"

#include <cstdio>

#include "args.hpp"
#include "birnn/compare/task_compare.hpp"
#include "birnn/error.hpp"
#include "birnn/report/claims.hpp"
#include "birnn/threads.hpp"
#include "train_setup.hpp"

namespace birnn::cli {

namespace {

const char* kHelp =
    "usage: birnn compare TASK [--cells rnn,lstm,gru,birnn,bilstm,bigru] [--data FILE] [--limit N] [--epochs E]\n"
    "                          [--hidden H] [--embedding N] [--layers N] [--batch B] [--optimizer adam|adamw|sgd]\n"
    "                          [--lr LR] [--dropout P] [--clip C] [--seed S] [--max-length N] [--threads N]\n"
    "                          [--cost-batches N] [--reps N] [--out DIR] [--quick]\n"
    "\n"
    "TASK: a task of `birnn train` whose model takes --cell and --unidirectional (pos: all six forms).\n"
    "Builds the task's model once per cell form (only the recurrent layer differs), trains each with the same\n"
    "budget, evaluates dev after every epoch and the held-out part with the best dev epoch's weights, times\n"
    "forward and backward on the same training batches (forms interleaved, medians), and writes DIR/report.md\n"
    "with SVG charts; prints the table and the claims judged by the numbers.\n"
    "\n"
    "  --cells LIST      any of rnn,lstm,gru,birnn,bilstm,bigru (default all six)\n"
    "  --data FILE       the task's generic format instead of its data set (pos: CoNLL token<TAB>tag or CoNLL-U)\n"
    "  --limit N         training examples used (pos: sentences; default 16000, 0 = all)\n"
    "  --epochs E        epochs per form (default 3)\n"
    "  --hidden H        hidden units per direction (default 100)\n"
    "  --embedding, --layers, --batch, --optimizer, --lr, --dropout, --clip, --max-length: as `birnn train`\n"
    "                    (default: the task's)\n"
    "  --seed S          seed of init, shuffles and dropout (default 1)\n"
    "  --threads N       compute threads (default 1)\n"
    "  --cost-batches N  training batches timed per repetition (default 8)\n"
    "  --reps N          timing repetitions (default 5, after 1 warm-up)\n"
    "  --out DIR         where report.md and the charts go (default compare-TASK)\n"
    "  --quick           a smoke run: limit 60, 1 epoch, hidden 8, embedding 8, batch 8, 2 batches x 2 reps timed\n"
    "                    (seconds with --data on a small file; the real data set's held-out part is still scored)\n";

}  // namespace

int compare_task(const std::string& task, const std::vector<std::string>& argv) {
  Args a(argv, train_value_flags({"cells", "cost-batches", "reps", "out"}), {"quick", "help"});
  if (a.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (a.has("cell")) throw OptionError("compare: use --cells LIST (e.g. --cells lstm,bilstm), not --cell");
  const bool quick = a.flag("quick");
  compare::TaskCompareOptions o;
  o.task = task;
  tasks::make_task(task);  // OptionError listing the tasks for an unknown one, before anything else
  o.config = train_config_from(a);
  if (!a.has("limit")) o.config.limit = quick ? 60 : 16000;
  if (!a.has("epochs")) o.config.epochs = quick ? 1 : 3;
  if (!a.has("hidden")) o.config.hidden = quick ? 8 : 100;
  if (quick && !a.has("embedding")) o.config.embedding = 8;
  if (quick && !a.has("batch")) o.config.batch = 8;
  o.cells = compare::parse_cell_variants(a.str("cells", "rnn,lstm,gru,birnn,bilstm,bigru"));
  o.cost_batches = a.integer("cost-batches", quick ? 2 : 8, 1, 100000);
  o.cost_reps = static_cast<int>(a.integer("reps", quick ? 2 : 5, 1, 1000));
  o.cost_warmup = quick ? 0 : 1;
  const std::string out = a.str("out", "compare-" + task);
  check_output_dir(out, "--out");  // now: a bad --out found after the run would throw its results away
  set_num_threads(static_cast<int>(a.integer("threads", 1, 1, 1024)));
  o.threads = num_threads();
  o.validate();

  const auto result = compare::run_task_compare(
      o,
      [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
      },
      make_optimizer);
  const auto rep = compare::task_report(o, result);
  const auto files = compare::write_task_report(out, o, result, rep);
  std::printf("\n%s\n", rep.render_table().c_str());
  for (const auto& c : rep.claims())
    std::printf("- %s: %s. %s\n", c.text.c_str(), report::verdict_name(c.verdict), c.evidence.c_str());
  std::printf("\nwrote %s/report.md and %zu charts\n", out.c_str(), files.size() - 1);
  return 0;
}

}  // namespace birnn::cli
