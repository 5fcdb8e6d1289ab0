#include "birnn/models/model.hpp"

#include "birnn/error.hpp"

namespace birnn {

void save_model(const std::string& path, const Model& model,
                const std::map<std::string, std::vector<std::string>>& vocabularies,
                const std::map<std::string, std::string>& extra) {
  CheckpointInfo info;
  info.model_type = model.model_type();
  info.config_json = model.config_json();
  info.vocabularies = vocabularies;
  info.extra = extra;
  save_checkpoint(path, model, info);
}

void check_model_type(const std::string& path, const std::string& found, const std::string& expected) {
  if (found != expected)
    throw StateDictError(path + ": checkpoint holds a '" + found + "' model, expected '" + expected + "'");
}

}  // namespace birnn
