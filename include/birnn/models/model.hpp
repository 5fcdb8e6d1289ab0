// The ready models' common base: a Module that knows its type name and its configuration as JSON, so a
// checkpoint can say what it holds and rebuild it (checkpoint.hpp stores both in the sidecar).
//
//   TaggerOptions o = ...;  BiLSTMCNNCRFTagger model(o);
//   save_model("runs/tagger/best", model, {{"words", words}, {"tags", tags}});
//   auto loaded = load_model<BiLSTMCNNCRFTagger>("runs/tagger/best");   // refuses another model type
//
// Every options class of a ready model has `std::string to_json() const` and
// `static Options from_json(const std::string&)` (bad JSON or a missing field: OptionError naming it).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "birnn/checkpoint.hpp"
#include "birnn/module.hpp"

namespace birnn {

/// Each concrete model also has `static constexpr const char* kModelType` (the same name) and a nested
/// `using Options = ...;`, which load_model() uses.
class Model : public Module {
 public:
  /// The name stored as the checkpoint's model_type, e.g. "last_step_classifier".
  virtual std::string model_type() const = 0;
  /// The options as JSON text (Options::to_json()).
  virtual std::string config_json() const = 0;
};

/// Saves weights + sidecar (model type, config, vocabularies, extra notes) atomically; no optimizer state.
void save_model(const std::string& path, const Model& model,
                const std::map<std::string, std::vector<std::string>>& vocabularies = {},
                const std::map<std::string, std::string>& extra = {});

/// Throws StateDictError "<path>: checkpoint holds a '<found>' model, expected '<expected>'" if they differ.
void check_model_type(const std::string& path, const std::string& found, const std::string& expected);

/// Rebuilds a model of type M from a checkpoint made by save_model() or save_checkpoint(): checks the
/// model type (StateDictError naming both types), builds M from the stored options and loads the weights
/// strictly. The RNG is not touched.
template <class M>
std::unique_ptr<M> load_model(const std::string& path, CheckpointInfo* info_out = nullptr) {
  const CheckpointInfo info = read_checkpoint_info(path);
  check_model_type(path, info.model_type, M::kModelType);  // before parsing another model's config
  auto model = std::make_unique<M>(M::Options::from_json(info.config_json));
  load_checkpoint(path, *model, nullptr, nullptr,
                  CheckpointLoadOptions().model_type(model->model_type()).restore_rng(false));
  if (info_out) *info_out = info;
  return model;
}

}  // namespace birnn
