#include "io/checkpoint_sidecar.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace birnn::io {

namespace {

using nlohmann::json;

// Deeper JSON than this is refused (the parser itself is iterative, but a caller's config this deep
// is a mistake, and destroying very deep values recurses).
constexpr int kMaxDepth = 128;

// Parses text; on failure returns nullopt and sets *error (without nlohmann's "[json.exception...]").
std::optional<json> parse_limited(const char* begin, const char* end, std::string* error) {
  try {
    json j = json::parse(begin, end, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxDepth) throw std::length_error("nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return true;
    });
    return j;
  } catch (const json::exception& e) {
    std::string why = e.what();
    if (const auto pos = why.find("] "); pos != std::string::npos) why.erase(0, pos + 2);
    *error = why;
  } catch (const std::length_error& e) {
    *error = e.what();
  }
  return std::nullopt;
}

bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump(-1, ' ', false, json::error_handler_t::strict);
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// Names the first string of info that is not valid UTF-8 (nlohmann's own message has no context).
std::string find_bad_text(const CheckpointInfo& info) {
  if (!is_utf8(info.model_type)) return "model_type";
  for (const auto& [name, words] : info.vocabularies) {
    if (!is_utf8(name)) return "a vocabulary name";
    for (std::size_t i = 0; i < words.size(); ++i)
      if (!is_utf8(words[i])) return "vocabulary '" + name + "' entry " + std::to_string(i);
  }
  for (const auto& [k, v] : info.extra)
    if (!is_utf8(k) || !is_utf8(v)) return "an 'extra' entry";
  return "a string";
}

json file_json(const FileRecord& f) { return {{"file", f.file}, {"bytes", f.bytes}, {"sha256", f.sha256}}; }

json scheduler_json(const SchedulerState& s) {
  json children = json::array();
  for (const auto& c : s.children) children.push_back(scheduler_json(c));
  return {{"type", s.type}, {"scalars", s.scalars}, {"children", children}};
}

// ---- decoding: every access checked, errors name the field ----

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw FormatError(path_ + ": checkpoint sidecar field '" + field + "' " + what);
  }
  const json& get(const json& obj, const std::string& key, const std::string& field) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(field, "is missing");
    return *it;
  }
  const json& object(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = get(obj, key, field);
    if (!v.is_object()) fail(field, "must be an object");
    return v;
  }
  std::string string(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = get(obj, key, field);
    if (!v.is_string()) fail(field, "must be a string");
    return v.get<std::string>();
  }
  std::uint64_t count(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = get(obj, key, field);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      fail(field, "must be a whole number >= 0");
    return v.get<std::uint64_t>();
  }
  std::map<std::string, double> scalars(const json& obj, const std::string& key, const std::string& field) const {
    std::map<std::string, double> out;
    for (const auto& [k, v] : object(obj, key, field).items()) {
      if (!v.is_number()) fail(field + "." + k, "must be a number");
      out[k] = v.get<double>();
    }
    return out;
  }
  FileRecord file(const json& obj, const std::string& field) const {
    FileRecord f;
    f.file = string(obj, "file", field + ".file");
    // Only a bare name in the sidecar's own folder: a hostile sidecar must not point elsewhere.
    if (f.file.empty() || f.file == "." || f.file == ".." || f.file.find('/') != std::string::npos ||
        f.file.find('\0') != std::string::npos)
      fail(field + ".file", "must be a plain file name in the sidecar's folder");
    f.bytes = count(obj, "bytes", field + ".bytes");
    f.sha256 = string(obj, "sha256", field + ".sha256");
    if (f.sha256.size() != 64 || f.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      fail(field + ".sha256", "must be 64 lower-case hex digits");
    return f;
  }
  SchedulerState scheduler(const json& obj, const std::string& field) const {
    SchedulerState s;
    s.type = string(obj, "type", field + ".type");
    s.scalars = scalars(obj, "scalars", field + ".scalars");
    const json& children = get(obj, "children", field + ".children");
    if (!children.is_array()) fail(field + ".children", "must be an array");
    for (std::size_t i = 0; i < children.size(); ++i) {
      const std::string f = field + ".children[" + std::to_string(i) + "]";
      if (!children[i].is_object()) fail(f, "must be an object");
      s.children.push_back(scheduler(children[i], f));
    }
    return s;
  }

 private:
  const std::string& path_;
};

}  // namespace

std::string encode_sidecar(const Sidecar& s) {
  const CheckpointInfo& info = s.info;
  std::string error;
  const auto config = parse_limited(info.config_json.data(), info.config_json.data() + info.config_json.size(), &error);
  if (!config) throw OptionError("save_checkpoint: config_json is not valid JSON: " + error);

  json j;
  j["format"] = kCheckpointFormat;
  j["version"] = kCheckpointVersion;
  j["model_type"] = info.model_type;
  j["config"] = *config;
  j["vocabularies"] = info.vocabularies;
  j["step"] = info.step;
  j["epoch"] = info.epoch;
  j["extra"] = info.extra;
  j["weights"] = file_json(s.weights);
  if (s.optimizer) {
    j["optimizer"] = file_json(s.optimizer->file);
    j["optimizer"]["type"] = s.optimizer->type;
    j["optimizer"]["scalars"] = s.optimizer->scalars;
  }
  if (s.scheduler) j["scheduler"] = scheduler_json(*s.scheduler);
  j["rng"] = {{"generator", "mt19937_64"}, {"state", s.rng_state}};
  try {
    return j.dump(1, ' ', false, json::error_handler_t::strict) + "\n";
  } catch (const json::type_error&) {
    throw OptionError("save_checkpoint: " + find_bad_text(info) + " is not valid UTF-8 text");
  }
}

Sidecar decode_sidecar(const std::vector<unsigned char>& bytes, const std::string& path) {
  const auto* text = reinterpret_cast<const char*>(bytes.data());
  std::string error;
  const auto parsed = parse_limited(text, text + bytes.size(), &error);
  if (!parsed) throw FormatError(path + ": checkpoint sidecar is not valid JSON: " + error);
  const json& j = *parsed;
  if (!j.is_object() || !j.contains("format") || j["format"] != kCheckpointFormat)
    throw FormatError(path + ": not a birnn checkpoint sidecar (no \"format\": \"" + kCheckpointFormat + "\")");
  Reader r(path);
  const std::uint64_t version = r.count(j, "version", "version");
  if (version != kCheckpointVersion)
    throw FormatError(path + ": checkpoint format version " + std::to_string(version) + "; this birnn reads version " +
                      std::to_string(kCheckpointVersion));

  Sidecar s;
  CheckpointInfo& info = s.info;
  info.model_type = r.string(j, "model_type", "model_type");
  info.config_json = r.get(j, "config", "config").dump();
  for (const auto& [name, words] : r.object(j, "vocabularies", "vocabularies").items()) {
    const std::string field = "vocabularies." + name;
    if (!words.is_array()) r.fail(field, "must be an array of strings");
    auto& v = info.vocabularies[name];
    v.reserve(words.size());
    for (const auto& w : words) {
      if (!w.is_string()) r.fail(field, "must be an array of strings");
      v.push_back(w.get<std::string>());
    }
  }
  info.step = static_cast<std::int64_t>(r.count(j, "step", "step"));
  info.epoch = static_cast<std::int64_t>(r.count(j, "epoch", "epoch"));
  for (const auto& [k, v] : r.object(j, "extra", "extra").items()) {
    if (!v.is_string()) r.fail("extra." + k, "must be a string");
    info.extra[k] = v.get<std::string>();
  }
  s.weights = r.file(r.object(j, "weights", "weights"), "weights");
  if (j.contains("optimizer")) {
    const json& o = r.object(j, "optimizer", "optimizer");
    s.optimizer = OptimizerRecord{r.file(o, "optimizer"), r.string(o, "type", "optimizer.type"), r.scalars(o, "scalars", "optimizer.scalars")};
  }
  if (j.contains("scheduler")) s.scheduler = r.scheduler(r.object(j, "scheduler", "scheduler"), "scheduler");
  const json& rng = r.object(j, "rng", "rng");
  if (r.string(rng, "generator", "rng.generator") != "mt19937_64") r.fail("rng.generator", "must be \"mt19937_64\"");
  s.rng_state = r.string(rng, "state", "rng.state");
  return s;
}

}  // namespace birnn::io
