#include "birnn/tasks/task.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "birnn/error.hpp"
#include "io/sha256.hpp"
#include "models/json_options.hpp"
#include "tasks/task_registry.hpp"

namespace birnn::tasks {

namespace mj = birnn::models_json;

std::string TrainConfig::to_json() const {
  nlohmann::json j;
  j["task"] = task;
  j["data"] = data;
  j["cell"] = cell;
  j["bidirectional"] = bidirectional;
  j["layers"] = layers;
  j["hidden"] = hidden;
  j["embedding"] = embedding;
  j["dropout"] = dropout;
  j["optimizer"] = optimizer;
  j["lr"] = lr;
  j["lr_decay"] = lr_decay;
  j["lr_decay_after"] = lr_decay_after;
  j["batch"] = batch;
  j["epochs"] = epochs;
  j["clip"] = clip;
  j["seed"] = seed;
  j["limit"] = limit;
  j["max_length"] = max_length;
  return j.dump();
}

TrainConfig TrainConfig::from_json(const std::string& text) {
  const std::string what = "training config";
  const nlohmann::json j = mj::parse_object(text, what);
  static const char* kKnown[] = {"task", "data", "cell", "bidirectional", "layers", "hidden", "embedding", "dropout",
                                 "optimizer", "lr", "lr_decay", "lr_decay_after", "batch", "epochs", "clip", "seed", "limit", "max_length"};
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) throw OptionError(what + ": unknown field '" + key + "'");
  }
  TrainConfig c;
  c.task = mj::get_or<std::string>(j, "task", c.task, what);
  c.data = mj::get_or<std::string>(j, "data", c.data, what);
  c.cell = mj::get_or<std::string>(j, "cell", c.cell, what);
  c.bidirectional = mj::get_or<int>(j, "bidirectional", c.bidirectional, what);
  c.layers = mj::get_or<std::int64_t>(j, "layers", c.layers, what);
  c.hidden = mj::get_or<std::int64_t>(j, "hidden", c.hidden, what);
  c.embedding = mj::get_or<std::int64_t>(j, "embedding", c.embedding, what);
  c.dropout = mj::get_or<double>(j, "dropout", c.dropout, what);
  c.optimizer = mj::get_or<std::string>(j, "optimizer", c.optimizer, what);
  c.lr = mj::get_or<double>(j, "lr", c.lr, what);
  c.lr_decay = mj::get_or<double>(j, "lr_decay", c.lr_decay, what);
  c.lr_decay_after = mj::get_or<std::int64_t>(j, "lr_decay_after", c.lr_decay_after, what);
  c.batch = mj::get_or<std::int64_t>(j, "batch", c.batch, what);
  c.epochs = mj::get_or<std::int64_t>(j, "epochs", c.epochs, what);
  c.clip = mj::get_or<double>(j, "clip", c.clip, what);
  c.seed = mj::get_or<std::uint64_t>(j, "seed", c.seed, what);
  c.limit = mj::get_or<std::int64_t>(j, "limit", c.limit, what);
  c.max_length = mj::get_or<std::int64_t>(j, "max_length", c.max_length, what);
  c.check_ranges(what);
  return c;
}

namespace {
// The flag that sets a field: "max_length" -> "--max-length" (bidirectional 0 is --unidirectional).
std::string flag_of(const char* field) {
  std::string f = std::string("--") + field;
  for (char& ch : f)
    if (ch == '_') ch = '-';
  return f;
}
// "WHAT: field 'NAME' (--FLAG) must be in RANGE[ or UNSET (the task's default)], got V", one format for
// integer and real fields.
[[noreturn]] void out_of_range(const std::string& what, const char* name, const std::string& range, bool unset_in_range,
                               const std::string& unset, const std::string& got) {
  throw OptionError(what + ": field '" + name + "' (" + flag_of(name) + ") must be in " + range +
                    (unset_in_range ? "" : " or " + unset + " (the task's default)") + ", got " + got);
}
void check_field(const std::string& what, const char* name, std::int64_t v, std::int64_t unset, std::int64_t lo,
                 std::int64_t hi) {
  if (v == unset || (v >= lo && v <= hi)) return;
  out_of_range(what, name, std::to_string(lo) + ".." + std::to_string(hi), unset >= lo && unset <= hi,
               std::to_string(unset), std::to_string(v));
}
void check_field(const std::string& what, const char* name, double v, double unset, double lo, double hi) {
  if (v == unset || (v >= lo && v <= hi)) return;
  const auto g = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return std::string(buf);
  };
  out_of_range(what, name, "[" + g(lo) + ", " + g(hi) + "]", unset >= lo && unset <= hi, g(unset), g(v));
}
}  // namespace

void TrainConfig::check_ranges(const std::string& what) const {
  using namespace limits;
  check_field(what, "bidirectional", static_cast<std::int64_t>(bidirectional), -1, 0, 1);
  check_field(what, "layers", layers, 0, 1, kMaxLayers);
  check_field(what, "hidden", hidden, 0, 1, kMaxWidth);
  check_field(what, "embedding", embedding, 0, 1, kMaxWidth);
  check_field(what, "dropout", dropout, -1.0, 0.0, kMaxDropout);
  check_field(what, "lr", lr, 0.0, kMinLr, kMaxLr);
  check_field(what, "lr_decay", lr_decay, 0.0, kMinLrDecay, 1.0);
  check_field(what, "lr_decay_after", lr_decay_after, -1, 0, kMaxLrDecayAfter);
  check_field(what, "batch", batch, 0, 1, kMaxBatch);
  check_field(what, "epochs", epochs, 0, 1, kMaxEpochs);
  check_field(what, "clip", clip, 0.0, 0.0, kMaxClip);
  check_field(what, "limit", limit, 0, 0, INT64_MAX);
  check_field(what, "max_length", max_length, 0, 0, kMaxLength);
}

std::string data_file_fingerprint(const std::string& path) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path, ec) || !f)
    throw FormatError(path + ": cannot be read (missing, or not a regular file)");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw FormatError(path + ": read error");
  return "sha256:" + io::sha256_hex(bytes.data(), bytes.size());
}

bool scores_whole_file(const CheckpointInfo& info, const std::string& data) {
  if (data.empty()) return false;
  const auto it = info.extra.find("train_config");
  if (it == info.extra.end()) return false;
  const auto j = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_string()) return false;
  const std::string trained_on = j["data"].get<std::string>();
  if (trained_on.empty()) return true;  // trained on the real data set
  std::error_code ec;
  if (trained_on == data || std::filesystem::equivalent(trained_on, data, ec)) return false;  // even if edited since
  const auto fp = info.extra.find(kTrainDataKey);
  return fp == info.extra.end() || data_file_fingerprint(data) != fp->second;
}

double TrainConfig::lr_at_epoch(std::int64_t epoch) const {
  const double decay = lr_decay > 0 ? lr_decay : 1.0;
  const std::int64_t decayed_epochs = std::max<std::int64_t>(0, epoch + 1 - std::max<std::int64_t>(0, lr_decay_after));
  return lr * std::pow(decay, static_cast<double>(decayed_epochs));
}

const char* split_name(Split s) {
  switch (s) {
    case Split::train: return "train";
    case Split::dev: return "dev";
    case Split::test: return "test";
  }
  return "?";
}

double EvalResult::value(const std::string& name) const {
  for (const auto& [n, v] : metrics)
    if (n == name) return v;
  throw OptionError("evaluation has no metric '" + name + "'");
}

bool EvalResult::better_than(const EvalResult& other) const {
  return higher_is_better ? primary_value() > other.primary_value() : primary_value() < other.primary_value();
}

std::string EvalResult::summary() const {
  std::string s;
  char buf[64];
  for (const auto& [n, v] : metrics) {
    std::snprintf(buf, sizeof buf, "%s%s %.4f", s.empty() ? "" : " ", n.c_str(), v);
    s += buf;
  }
  return s;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& e : task_registry()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name) {
  for (const auto& e : task_registry())
    if (e.name == name) return e.make();
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw OptionError("unknown task '" + name + "' (known: " + known + ")");
}

}  // namespace birnn::tasks
