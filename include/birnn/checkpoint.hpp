// Training checkpoints: weights, optimizer, schedule, RNG state and counters, so that a run stopped at
// step k and resumed in a fresh process reaches bit-for-bit the weights of a run that never stopped
// (same thread count).
//
//   save_checkpoint("runs/tagger/last", model, info, &opt, sched.get());
//   // later, in a new process:
//   CheckpointInfo info = read_checkpoint_info("runs/tagger/last");   // config + vocabularies to rebuild
//   ... build model, opt, sched from info.config_json as before ...
//   load_checkpoint("runs/tagger/last", model, &opt, sched.get(), CheckpointLoadOptions().model_type("tagger"));
//
// A checkpoint is named by a path stem (a trailing ".json" is ignored) and is three files in one folder:
//   <stem>.safetensors        model.state_dict() with PyTorch names; loads with birnn::load() or in PyTorch
//   <stem>.optim.safetensors  optimizer buffers named "state.<i>.<buffer>" (only when an optimizer is saved)
//   <stem>.json               the sidecar: {"format": "birnn.checkpoint", "version": 1, "model_type",
//                             "config" (the caller's JSON), "vocabularies", "step", "epoch", "extra",
//                             "weights": {"file", "bytes", "sha256"}, "optimizer": {"type", "scalars",
//                             "file", "bytes", "sha256"}, "scheduler": {"type", "scalars", "children"},
//                             "rng": {"generator": "mt19937_64", "state"}}
// Saving writes every file under a temporary name first (fsynced), then renames the weights, the
// optimizer file and, last, the sidecar into place: a failed save (bad input, full disk) leaves the
// previous checkpoint untouched, and the sidecar is the commit record. If a rename fails, the files
// renamed before it get their previous contents back (kept meanwhile as "<file>.backup.<pid>"). A crash
// between the renames leaves a sidecar whose sizes and SHA-256 sums (`sha256sum` gives the same) no
// longer match: loading detects the torn pair and refuses it (the previous files may then remain as
// *.backup.<pid>, which nothing reads).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "birnn/module.hpp"
#include "birnn/optim.hpp"
#include "birnn/schedule.hpp"

namespace birnn {

/// What a checkpoint records besides tensors and the RNG.
struct CheckpointInfo {
  std::string model_type;                                          ///< e.g. "tagger"; must not be empty
  std::string config_json = "{}";                                  ///< the model's configuration: any JSON text
  std::map<std::string, std::vector<std::string>> vocabularies;    ///< e.g. {"words": {...}, "tags": {...}}
  std::int64_t step = 0;                                           ///< optimizer steps done (>= 0)
  std::int64_t epoch = 0;                                          ///< epochs done (>= 0)
  std::map<std::string, std::string> extra;                        ///< free-form notes (e.g. best validation score)
};

/// The three file names of the checkpoint `path` (see above).
struct CheckpointFiles {
  std::string weights, optimizer, sidecar;
};
CheckpointFiles checkpoint_files(const std::string& path);

/// Saves model (and optimizer / scheduler if not null) with info and the state of birnn::generator().
/// Bad info (empty model_type, config_json not JSON, text that is not UTF-8, negative counters) throws
/// OptionError before anything is written; I/O failures throw FormatError naming the file. Either way
/// the files of an earlier checkpoint at `path` are left as they were.
void save_checkpoint(const std::string& path, const Module& model, const CheckpointInfo& info,
                     const Optimizer* optimizer = nullptr, const LRScheduler* scheduler = nullptr);

/// What load_checkpoint() checks besides the files themselves.
class CheckpointLoadOptions {
 public:
  /// Refuse a checkpoint made for another model type ("" accepts any).
  CheckpointLoadOptions& model_type(std::string v) { model_type_ = std::move(v); return *this; }
  /// Refuse a checkpoint whose vocabulary `name` is missing or differs from `v`.
  CheckpointLoadOptions& vocabulary(const std::string& name, std::vector<std::string> v) { vocabularies_[name] = std::move(v); return *this; }
  /// Restore birnn::generator() (default true: a resumed run needs it; false for inference).
  CheckpointLoadOptions& restore_rng(bool v) { restore_rng_ = v; return *this; }

  const std::string& model_type() const { return model_type_; }
  const std::map<std::string, std::vector<std::string>>& vocabularies() const { return vocabularies_; }
  bool restore_rng() const { return restore_rng_; }

 private:
  std::string model_type_;
  std::map<std::string, std::vector<std::string>> vocabularies_;
  bool restore_rng_ = true;
};

/// Loads a checkpoint into model (strictly: every parameter, nothing else), and into optimizer and
/// scheduler if not null (the checkpoint must then hold their state, of the same type). Checks the
/// sidecar, the files' sizes and SHA-256 sums, the model type and vocabularies first. A missing file,
/// corrupt JSON or a torn pair throws FormatError; a checkpoint that does not fit (other model type,
/// vocabulary, parameter names or shapes, optimizer or scheduler type) throws StateDictError. Messages
/// name the file and what is wrong; on error the model, optimizer, scheduler and generator are left
/// as they were. Returns the sidecar's info (config_json re-serialized).
CheckpointInfo load_checkpoint(const std::string& path, Module& model, Optimizer* optimizer = nullptr,
                               LRScheduler* scheduler = nullptr, const CheckpointLoadOptions& options = {});

/// Reads and checks the sidecar only (model type, config, vocabularies, counters): what is needed to
/// build the model before load_checkpoint(). Errors as load_checkpoint().
CheckpointInfo read_checkpoint_info(const std::string& path);

}  // namespace birnn
