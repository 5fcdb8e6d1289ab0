// What `birnn train`, `eval`, `predict` and `generate` share: the training flags, the optimizer they name, loading a
// checkpoint back into its task, and metrics as JSON.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "birnn/optim.hpp"
#include "birnn/tasks/task.hpp"

namespace birnn::cli {

/// The value flags of TrainConfig (--data, --cell, --lr, ...) plus `more`.
std::set<std::string> train_value_flags(const std::set<std::string>& more);
/// --config FILE (if given) then the flags on top; the first positional argument is the task.
tasks::TrainConfig train_config_from(const Args& args);
/// OptionError unless name is one make_optimizer() knows (adam, adamw, sgd).
void check_optimizer_name(const std::string& name);
/// adam | adamw | sgd with config.lr (or the optimizer's usual default).
std::unique_ptr<Optimizer> make_optimizer(const tasks::TrainConfig& config, std::vector<Tensor> params);

/// A task rebuilt from a checkpoint written by `birnn train` (its sidecar names the task and config):
/// data read as configured (or from data_override if not empty) unless need is DataNeed::none (predict),
/// the checkpoint's weights and vocabularies.
std::unique_ptr<tasks::Task> task_from_checkpoint(const std::string& checkpoint, const std::string& data_override,
                                                  tasks::DataNeed need = tasks::DataNeed::splits);

/// extra + {"dev_metric", "dev_score"}: what `--resume` reads back with recorded_best().
std::map<std::string, std::string> with_dev_score(std::map<std::string, std::string> extra, const tasks::EvalResult& dev);
/// The dev score stored with a best checkpoint, or nullopt if there is none.
std::optional<tasks::EvalResult> recorded_best(const std::string& checkpoint);

/// --precision fp32|bf16 (default fp32) applied to a model loaded for inference (eval, predict, generate),
/// with a note on stderr when this CPU has to emulate bf16.
void apply_inference_precision(Module& model, const Args& args);

std::string metrics_json(const tasks::EvalResult& r);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// Throws OptionError naming `flag` unless `dir` could be a command's output folder: not empty, a folder if
/// it exists, and its nearest existing parent a folder. Creates nothing (a failing run leaves no folder).
void check_output_dir(const std::string& dir, const std::string& flag);
/// check_output_dir, then creates `dir` and its parents; failures are FormatErrors naming the folder.
void make_output_dir(const std::string& dir, const std::string& flag);
/// Writes `text` to `path` (replacing it) and checks that every byte reached the file; FormatError if not.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace birnn::cli
