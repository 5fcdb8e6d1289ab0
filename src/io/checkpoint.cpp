// save_checkpoint / load_checkpoint: stage every file, commit the sidecar last; on load check
// everything before changing anything.
#include "birnn/checkpoint.hpp"

#include <cstring>
#include <filesystem>

#include "birnn/random.hpp"
#include "birnn/serialize.hpp"
#include "io/checkpoint_sidecar.hpp"
#include "io/file_util.hpp"
#include "io/sha256.hpp"

namespace birnn {

namespace {

constexpr std::uint64_t kMaxSidecarBytes = 1ULL << 30;
constexpr std::uint64_t kMaxTensorFileBytes = 1ULL << 40;

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// Size and SHA-256 of a file just written.
io::FileRecord record_of(const std::string& path, const std::string& final_path) {
  const auto bytes = io::read_file(path, kMaxTensorFileBytes, "staged checkpoint file");
  return {file_name(final_path), bytes.size(), io::sha256_hex(bytes.data(), bytes.size())};
}

// The file a sidecar vouches for, checked against its size and SHA-256; returns its path.
std::string verified(const io::FileRecord& rec, const std::string& sidecar_path, const std::string& what) {
  const std::string path = (std::filesystem::path(sidecar_path).parent_path() / rec.file).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw FormatError(path + ": " + what + " named by " + sidecar_path + " is missing");
  const auto bytes = io::read_file(path, kMaxTensorFileBytes, what);
  const auto torn = [&](const std::string& detail) {
    return FormatError(path + ": " + what + " does not match its sidecar " + sidecar_path + " (" + detail +
                       "): the checkpoint is torn (interrupted save?) or was modified");
  };
  if (bytes.size() != rec.bytes) throw torn(std::to_string(bytes.size()) + " bytes, the sidecar says " + std::to_string(rec.bytes));
  if (io::sha256_hex(bytes.data(), bytes.size()) != rec.sha256) throw torn("SHA-256 differs");
  return path;
}

io::Sidecar read_sidecar(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw FormatError(path + ": no checkpoint sidecar here (a checkpoint is complete only once its .json is written)");
  const auto bytes = io::read_file(path, kMaxSidecarBytes, "checkpoint sidecar");
  if (std::memchr(bytes.data(), 0, bytes.size())) throw FormatError(path + ": checkpoint sidecar is not valid JSON: it contains a NUL byte");
  return io::decode_sidecar(bytes, path);
}

void check_vocabularies(const io::Sidecar& s, const CheckpointLoadOptions& options, const std::string& path) {
  for (const auto& [name, want] : options.vocabularies()) {
    auto it = s.info.vocabularies.find(name);
    if (it == s.info.vocabularies.end()) throw StateDictError(path + ": the checkpoint has no vocabulary '" + name + "'");
    const auto& have = it->second;
    if (have == want) continue;
    std::size_t i = 0;
    while (i < have.size() && i < want.size() && have[i] == want[i]) ++i;
    const auto entry = [](const std::vector<std::string>& v, std::size_t k) { return k < v.size() ? "'" + v[k] + "'" : std::string("(end)"); };
    throw StateDictError(path + ": vocabulary '" + name + "' differs: the checkpoint has " + std::to_string(have.size()) +
                         " entries, the caller " + std::to_string(want.size()) + "; first difference at index " +
                         std::to_string(i) + ": " + entry(have, i) + " vs " + entry(want, i));
  }
}

// True if text is a generator state set_rng_state() accepts; leaves the generator as it was.
bool valid_rng_state(const std::string& text) {
  const std::string current = get_rng_state();
  try {
    set_rng_state(text);
  } catch (const FormatError&) {
    return false;
  }
  set_rng_state(current);
  return true;
}

}  // namespace

CheckpointFiles checkpoint_files(const std::string& path) {
  std::string stem = path;
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".json") == 0) stem.resize(stem.size() - 5);
  return {stem + ".safetensors", stem + ".optim.safetensors", stem + ".json"};
}

void save_checkpoint(const std::string& path, const Module& model, const CheckpointInfo& info, const Optimizer* optimizer,
                     const LRScheduler* scheduler) {
  if (info.model_type.empty()) throw OptionError("save_checkpoint: info.model_type must not be empty");
  if (info.step < 0 || info.epoch < 0) throw OptionError("save_checkpoint: info.step and info.epoch must be >= 0");
  if (optimizer && scheduler && &scheduler->optimizer() != optimizer)
    throw OptionError("save_checkpoint: the scheduler drives another optimizer than the one given");
  const CheckpointFiles files = checkpoint_files(path);
  io::Sidecar sidecar;
  sidecar.info = info;
  sidecar.rng_state = get_rng_state();
  if (scheduler) sidecar.scheduler = scheduler->state();
  // Encoding first checks the caller's config and text before any file is written.
  (void)io::encode_sidecar(sidecar);

  io::StagedFile weights(files.weights);
  save(model, weights.staged_path());
  sidecar.weights = record_of(weights.staged_path(), files.weights);

  std::optional<io::StagedFile> optim;
  if (optimizer) {
    const OptimizerState st = optimizer->state();
    optim.emplace(files.optimizer);
    save_safetensors(optim->staged_path(), st.tensors, {{"birnn.optimizer", st.type}});
    sidecar.optimizer = io::OptimizerRecord{record_of(optim->staged_path(), files.optimizer), st.type, st.scalars};
  }

  io::StagedFile side(files.sidecar);
  const std::string text = io::encode_sidecar(sidecar);
  side.write(text.data(), text.size());

  // The sidecar goes last: until its rename the previous checkpoint's sidecar stays in force. A failed
  // rename puts the files renamed before it back, so the previous checkpoint still loads.
  std::vector<io::StagedFile*> group{&weights};
  if (optim) group.push_back(&*optim);
  group.push_back(&side);
  io::StagedFile::commit_all(group);
  std::error_code ignored;
  if (!optimizer) std::filesystem::remove(files.optimizer, ignored);  // a stale one from an earlier save
}

CheckpointInfo read_checkpoint_info(const std::string& path) { return read_sidecar(checkpoint_files(path).sidecar).info; }

CheckpointInfo load_checkpoint(const std::string& path, Module& model, Optimizer* optimizer, LRScheduler* scheduler,
                               const CheckpointLoadOptions& options) {
  if (optimizer && scheduler && &scheduler->optimizer() != optimizer)
    throw OptionError("load_checkpoint: the scheduler drives another optimizer than the one given");
  const CheckpointFiles files = checkpoint_files(path);
  const std::string& sc = files.sidecar;
  const io::Sidecar s = read_sidecar(sc);

  // 1. Everything that can be checked without touching the caller's objects.
  if (!options.model_type().empty() && s.info.model_type != options.model_type())
    throw StateDictError(sc + ": the checkpoint is for model type '" + s.info.model_type + "', expected '" + options.model_type() + "'");
  check_vocabularies(s, options, sc);
  if (optimizer && !s.optimizer) throw StateDictError(sc + ": the checkpoint has no optimizer state (saved without an optimizer)");
  if (scheduler && !s.scheduler) throw StateDictError(sc + ": the checkpoint has no scheduler state (saved without a scheduler)");
  if (options.restore_rng() && !valid_rng_state(s.rng_state))
    throw FormatError(sc + ": checkpoint sidecar field 'rng.state' is not a std::mt19937_64 state");
  const std::string weights_path = verified(s.weights, sc, "checkpoint weights file");
  OptimizerState opt_state;
  std::string optim_path;
  if (optimizer) {
    optim_path = verified(s.optimizer->file, sc, "checkpoint optimizer file");
    opt_state.type = s.optimizer->type;
    opt_state.scalars = s.optimizer->scalars;
    opt_state.tensors = load_safetensors(optim_path).tensors;
  }

  // 2. Apply, each step checking before it changes anything; undo the earlier steps if a later one fails.
  const OptimizerState old_opt = optimizer ? optimizer->state() : OptimizerState{};
  const SchedulerState old_sched = scheduler ? scheduler->state() : SchedulerState{};
  if (optimizer) {
    try {
      optimizer->load_state(opt_state);
    } catch (const StateDictError& e) {
      throw StateDictError(optim_path + ": " + e.what());
    }
  }
  try {
    if (scheduler) {
      try {
        scheduler->load_state(*s.scheduler);
      } catch (const StateDictError& e) {
        throw StateDictError(sc + ": " + e.what());
      }
    }
    load(model, weights_path, /*strict=*/true);
  } catch (...) {
    if (optimizer) optimizer->load_state(old_opt);
    if (scheduler) scheduler->load_state(old_sched);
    throw;
  }
  if (options.restore_rng()) set_rng_state(s.rng_state);
  return s.info;
}

}  // namespace birnn
