// birnn train TASK: any task's model on its data, with progress, per-epoch metrics (JSONL), the last and the
// best checkpoint, Ctrl-C that saves, and --resume.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "args.hpp"
#include "birnn/birnn.hpp"
#include "birnn/tasks/task.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "train_setup.hpp"

namespace birnn::cli {

namespace {

const char* kHelp =
    "usage: birnn train TASK [flags]        (or: birnn train --config FILE.json [flags])\n"
    "\n"
    "Trains the task's model and writes OUT/last (checkpoint, every epoch), OUT/best (best dev score),\n"
    "OUT/metrics.jsonl (one line per epoch) and OUT/test.json (the held-out result of the best model).\n"
    "\n"
    "data:   --data FILE (a file in the task's generic format instead of the real data set)\n"
    "        --limit N (use at most N training examples)  --max-length N\n"
    "model:  --cell rnn|lstm|gru  --bidirectional | --unidirectional  --layers N  --hidden N\n"
    "        --embedding N  --dropout P\n"
    "train:  --optimizer adam|adamw|sgd  --lr X  --batch N  --epochs N  --clip X (0 = off)  --seed N\n"
    "        --lr-decay F --lr-decay-after N (after epoch N, multiply the lr by F every epoch; charlm: 0.5 after 15)\n"
    "        --threads N (default: all cores)\n"
    "run:    --out DIR (default runs/TASK)  --resume (continue OUT/last)  --config FILE.json\n"
    "        --overwrite (start a new run in an OUT that holds one: its checkpoints, metrics and result are deleted)\n"
    "\n"
    "A progress bar is drawn when stdout is a terminal, plain lines otherwise. Ctrl-C stops after the\n"
    "current step and saves OUT/last; run again with --resume to continue.\n";

void append_line(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  if (!f) throw FormatError(path + ": cannot append the metrics line");
  f << line << '\n';
  f.close();
  if (!f) throw FormatError(path + ": cannot write the metrics line");
}

// The files a run writes into OUT.
std::vector<std::string> run_files(const std::string& out) {
  std::vector<std::string> v;
  for (const char* stem : {"/last", "/best"}) {
    const CheckpointFiles f = checkpoint_files(out + stem);
    v.insert(v.end(), {f.weights, f.optimizer, f.sidecar});
  }
  v.push_back(out + "/metrics.jsonl");
  v.push_back(out + "/test.json");
  return v;
}

// Refuses to mix two runs in one folder: a new run would replace the earlier run's best checkpoint even when
// its own is worse, and a later --resume would compare against a score of another model.
void check_run_folder(const std::string& out, bool resume, bool overwrite) {
  namespace fs = std::filesystem;
  check_output_dir(out, "--out");
  if (resume && overwrite) throw OptionError("--resume and --overwrite contradict each other");
  if (resume) {
    if (!fs::exists(checkpoint_files(out + "/last").sidecar))
      throw OptionError("--resume: " + out + "/last.json does not exist: nothing to continue (run without --resume)");
    return;
  }
  if (overwrite) return;
  for (const std::string& f : run_files(out))
    if (fs::exists(f))
      throw OptionError("--out " + out + " holds a training run already (" + f + "): continue it with --resume, " +
                        "start over with --overwrite (deletes its checkpoints, metrics and result), or pick another --out");
}

// --resume with other model flags than the run being continued: name the flag instead of failing on a tensor shape.
void check_same_model(const std::string& last, const tasks::TrainConfig& now) {
  const CheckpointInfo info = read_checkpoint_info(last);
  const auto it = info.extra.find("train_config");
  if (it == info.extra.end()) return;
  const tasks::TrainConfig was = tasks::TrainConfig::from_json(it->second);
  const auto differ = [&](const char* flag, auto a, auto b) {
    if (a == b) return;
    std::ostringstream m;
    m << "--resume: " << last << " was trained with " << flag << " " << a << ", this run asks for " << b
      << ": give the flags of the first run";
    throw OptionError(m.str());
  };
  differ("--cell", was.cell, now.cell);
  differ("--bidirectional", was.bidirectional, now.bidirectional);
  differ("--layers", was.layers, now.layers);
  differ("--hidden", was.hidden, now.hidden);
  differ("--embedding", was.embedding, now.embedding);
  differ("--optimizer", was.optimizer, now.optimizer);
}

}  // namespace

int cmd_train(const std::vector<std::string>& argv) {
  Args args(argv, train_value_flags({"out", "config"}), {"help", "bidirectional", "unidirectional", "resume", "overwrite"});
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    std::printf("\ntasks: %s\n", join(tasks::task_names(), ", ").c_str());
    return 0;
  }
  tasks::TrainConfig config = train_config_from(args);
  if (config.task.empty()) throw OptionError("name a task (" + join(tasks::task_names(), ", ") + ") or give --config FILE");
  const std::string out = args.str("out", "runs/" + config.task);
  check_run_folder(out, args.flag("resume"), args.flag("overwrite"));

  manual_seed(config.seed);
  auto task = tasks::make_task(config.task);
  task->prepare(config);
  make_output_dir(out, "--out");  // only once the task and its data are known to be good
  if (args.flag("overwrite"))
    for (const std::string& f : run_files(out)) {
      std::error_code ec;
      std::filesystem::remove(f, ec);
      if (ec) throw FormatError(f + ": cannot delete it for --overwrite (" + ec.message() + ")");
    }
  config = task->config();
  if (args.flag("resume")) check_same_model(out + "/last", config);
  Model& model = task->model();
  auto optimizer = make_optimizer(config, model.parameters());
  std::map<std::string, std::string> extra = {{"task", config.task}, {"train_config", config.to_json()}};
  // What `eval --data` compares a file with to tell the training file (split kept) from another (scored whole).
  if (!config.data.empty()) extra[tasks::kTrainDataKey] = tasks::data_file_fingerprint(config.data);
  Trainer trainer(model, *optimizer,
                  TrainerOptions().epochs(config.epochs).clip_grad_norm(config.clip).checkpoint(out + "/last")
                      .vocabularies(task->vocabularies()).extra(extra));
  std::printf("task %s: %s, %lld parameters, %lld batches per epoch\n", config.task.c_str(), model.model_type().c_str(),
              static_cast<long long>(model.parameter_count()), static_cast<long long>(task->batches_per_epoch()));

  std::optional<tasks::EvalResult> best;
  if (args.flag("resume")) {
    const std::int64_t done = trainer.resume(out + "/last");
    best = recorded_best(out + "/best");  // its dev score, from its sidecar (the weights stay as resumed)
    std::printf("resumed %s/last after epoch %lld (step %lld)\n", out.c_str(), static_cast<long long>(done),
                static_cast<long long>(trainer.global_step()));
  }

  Progress progress(config.epochs, task->batches_per_epoch(), task->unit());
  StopOnInterrupt stop_on_ctrl_c(trainer);
  trainer.fit(
      task->batches_per_epoch(),
      [&](std::int64_t epoch, std::int64_t b) {
        if (b == 0) {
          optimizer->set_learning_rate(config.lr_at_epoch(epoch));
          task->start_epoch(epoch);
        }
        return task->batch_loss(b);
      },
      [&](const StepReport& r) { progress.step(r.epoch, r.batch, r.loss, task->batch_units(r.batch)); },
      [&](std::int64_t epoch) {
        const tasks::EvalResult dev = task->evaluate(tasks::Split::dev);
        const bool improved = !best || dev.better_than(*best);
        if (improved) {
          best = dev;
          save_model(out + "/best", model, task->vocabularies(), with_dev_score(extra, dev));
        }
        std::ostringstream line;
        line << "{\"epoch\": " << epoch + 1 << ", \"step\": " << trainer.global_step() << ", \"train_loss\": " << progress.epoch_loss()
             << ", \"units_per_second\": " << progress.units_per_second() << ", \"dev\": " << metrics_json(dev) << "}";
        append_line(out + "/metrics.jsonl", line.str());
        progress.end_epoch(epoch, "dev " + dev.summary() + (improved ? " (best)" : ""));
      });
  if (trainer.stopped()) {
    std::printf("stopped at step %lld; %s/last is saved: run the same command with --resume to continue\n",
                static_cast<long long>(trainer.global_step()), out.c_str());
    return 130;
  }
  load_checkpoint(out + "/best", model, nullptr, nullptr, CheckpointLoadOptions().model_type(model.model_type()).restore_rng(false));
  const tasks::EvalResult test = task->evaluate(tasks::Split::test);
  write_text_file(out + "/test.json", metrics_json(test) + "\n");
  std::printf("held-out (%s/best): %s\n", out.c_str(), test.summary().c_str());
  return 0;
}

}  // namespace birnn::cli
