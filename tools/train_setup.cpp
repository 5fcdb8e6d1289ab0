#include "train_setup.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "birnn/checkpoint.hpp"
#include "birnn/error.hpp"
#include "birnn/rnn.hpp"
#include "birnn/threads.hpp"

namespace birnn::cli {

std::set<std::string> train_value_flags(const std::set<std::string>& more) {
  std::set<std::string> f = {"data", "cell", "layers", "hidden", "embedding", "dropout", "optimizer", "lr", "lr-decay", "lr-decay-after", "batch",
                             "epochs", "clip", "seed", "threads", "limit", "max-length"};
  f.insert(more.begin(), more.end());
  return f;
}

tasks::TrainConfig train_config_from(const Args& args) {
  using namespace tasks::limits;
  tasks::TrainConfig c;
  if (args.has("config")) {
    const std::string path = args.str("config", "");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw FormatError(path + ": is a folder, expected a JSON config file");
    std::ifstream f(path);
    if (!f) throw FormatError(path + ": cannot read the config file");
    std::stringstream ss;
    ss << f.rdbuf();
    try {
      c = tasks::TrainConfig::from_json(ss.str());
    } catch (const OptionError& e) {
      throw OptionError(path + ": " + e.what());
    }
  }
  if (!args.positional().empty()) c.task = args.positional()[0];
  if (args.positional().size() > 1) throw OptionError("unexpected argument '" + args.positional()[1] + "'");
  c.data = args.str("data", c.data);
  c.cell = args.str("cell", c.cell);
  if (args.flag("bidirectional") && args.flag("unidirectional")) throw OptionError("--bidirectional and --unidirectional contradict each other");
  if (args.flag("bidirectional")) c.bidirectional = 1;
  if (args.flag("unidirectional")) c.bidirectional = 0;
  c.layers = args.integer("layers", c.layers, 1, kMaxLayers);
  c.hidden = args.integer("hidden", c.hidden, 1, kMaxWidth);
  c.embedding = args.integer("embedding", c.embedding, 1, kMaxWidth);
  c.dropout = args.number("dropout", c.dropout, 0.0, kMaxDropout);
  c.optimizer = args.str("optimizer", c.optimizer);
  check_optimizer_name(c.optimizer);  // before any folder is made
  c.lr = args.number("lr", c.lr, kMinLr, kMaxLr);
  c.lr_decay = args.number("lr-decay", c.lr_decay, kMinLrDecay, 1.0);
  c.lr_decay_after = args.integer("lr-decay-after", c.lr_decay_after, 0, kMaxLrDecayAfter);
  c.batch = args.integer("batch", c.batch, 1, kMaxBatch);
  c.epochs = args.integer("epochs", c.epochs, 1, kMaxEpochs);
  c.clip = args.number("clip", c.clip, 0.0, kMaxClip);
  c.seed = static_cast<std::uint64_t>(args.integer("seed", static_cast<std::int64_t>(c.seed), 0, INT64_MAX));
  c.limit = args.integer("limit", c.limit, 0, INT64_MAX);
  c.max_length = args.integer("max-length", c.max_length, 0, kMaxLength);
  if (args.has("threads")) set_num_threads(static_cast<int>(args.integer("threads", 1, 1, 1024)));
  return c;
}

void check_optimizer_name(const std::string& name) {
  if (name != "adam" && name != "adamw" && name != "sgd")
    throw OptionError("--optimizer must be adam, adamw or sgd, got '" + name + "'");
}

std::unique_ptr<Optimizer> make_optimizer(const tasks::TrainConfig& c, std::vector<Tensor> params) {
  check_optimizer_name(c.optimizer);
  if (c.optimizer == "adam") return std::make_unique<Adam>(std::move(params), AdamOptions(c.lr > 0 ? c.lr : 1e-3));
  if (c.optimizer == "adamw") return std::make_unique<AdamW>(std::move(params), AdamWOptions(c.lr > 0 ? c.lr : 1e-3));
  return std::make_unique<SGD>(std::move(params), SGDOptions(c.lr > 0 ? c.lr : 0.1).momentum(0.9));
}

std::unique_ptr<tasks::Task> task_from_checkpoint(const std::string& checkpoint, const std::string& data_override,
                                                  tasks::DataNeed need) {
  const CheckpointInfo info = read_checkpoint_info(checkpoint);
  const auto task_it = info.extra.find("task");
  const auto config_it = info.extra.find("train_config");
  if (task_it == info.extra.end() || config_it == info.extra.end())
    throw StateDictError(checkpoint + ": not a checkpoint written by `birnn train` (its sidecar names no task)");
  tasks::TrainConfig config = tasks::TrainConfig::from_json(config_it->second);
  if (!data_override.empty()) config.data = data_override;
  auto task = tasks::make_task(task_it->second);
  task->prepare_for(checkpoint, config, need);
  // A NaN or infinite weight (a diverged run saved before the trainer's check, or an edited file) would make
  // every prediction garbage without a word: refuse it, naming the tensor.
  for (const auto& [name, t] : task->model().state_dict()) {
    if (t.dtype() == DType::i64) continue;
    const Tensor f = t.to(DType::f64);
    const double* v = f.data<double>();
    for (std::int64_t i = 0; i < f.numel(); ++i)
      if (!std::isfinite(v[i]))
        throw StateDictError(checkpoint + ": tensor '" + name + "' holds a non-finite value (" + std::to_string(v[i]) +
                             " at element " + std::to_string(i) + ")");
  }
  return task;
}

std::map<std::string, std::string> with_dev_score(std::map<std::string, std::string> extra, const tasks::EvalResult& dev) {
  extra["dev_metric"] = dev.primary;
  extra["dev_higher_is_better"] = dev.higher_is_better ? "1" : "0";
  extra["dev_score"] = std::to_string(dev.primary_value());
  return extra;
}

std::optional<tasks::EvalResult> recorded_best(const std::string& checkpoint) {
  if (!std::filesystem::exists(checkpoint_files(checkpoint).sidecar)) return std::nullopt;
  const CheckpointInfo info = read_checkpoint_info(checkpoint);
  const auto m = info.extra.find("dev_metric"), s = info.extra.find("dev_score"), h = info.extra.find("dev_higher_is_better");
  if (m == info.extra.end() || s == info.extra.end() || h == info.extra.end()) return std::nullopt;
  tasks::EvalResult r;
  r.primary = m->second;
  r.higher_is_better = h->second == "1";
  // The sidecar is checked against its SHA-256, but it may have been edited by hand: a score that is not a
  // finite number would compare false forever (NaN) or abort the run, so it is refused here.
  const char* text = s->second.c_str();
  char* end = nullptr;
  errno = 0;
  const double score = std::strtod(text, &end);
  if (errno || end == text || *end || !std::isfinite(score))
    throw StateDictError(checkpoint_files(checkpoint).sidecar + ": field 'dev_score' is not a finite number: \"" + s->second + "\"");
  r.metrics = {{m->second, score}};
  return r;
}

void apply_inference_precision(Module& model, const Args& args) {
  const Precision precision = parse_precision(args.str("precision", "fp32"), "--precision");
  model.set_inference_precision(precision);
  if (precision == Precision::bf16 && !bf16_native())
    std::fputs("note: this CPU has no AVX-512 BF16; bf16 is emulated (same numbers, slower than fp32)\n", stderr);
}

std::string metrics_json(const tasks::EvalResult& r) {
  std::string s = "{";
  char buf[128];
  for (const auto& [name, v] : r.metrics) {
    std::snprintf(buf, sizeof buf, "%s\"%s\": %.6g", s.size() > 1 ? ", " : "", name.c_str(), v);
    s += buf;
  }
  return s + "}";
}

void check_output_dir(const std::string& dir, const std::string& flag) {
  namespace fs = std::filesystem;
  if (dir.empty()) throw OptionError(flag + ": empty folder name");
  std::error_code ec;
  fs::path p(dir);
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) throw OptionError(flag + " " + dir + ": exists and is not a folder");
  for (fs::path up = p.parent_path(); !up.empty(); up = up.parent_path()) {
    if (!fs::exists(up, ec)) continue;
    if (!fs::is_directory(up, ec)) throw OptionError(flag + " " + dir + ": " + up.string() + " is not a folder");
    break;
  }
}

void make_output_dir(const std::string& dir, const std::string& flag) {
  check_output_dir(dir, flag);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw FormatError(dir + ": cannot create the output folder (" + ec.message() + ")");
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw FormatError(path + ": cannot create the file");
  f << text;
  f.close();
  if (!f) throw FormatError(path + ": cannot write the file");
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

}  // namespace birnn::cli
