// Helpers shared by the optimizer implementations. Private to the library.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace birnn {

/// Throws StateDictError unless h holds exactly `keys`, all finite (used by load_state()).
void check_hyperparameter_keys(const char* who, const std::map<std::string, double>& h, const std::vector<std::string>& keys);

/// A boolean hyperparameter stored as 0/1; anything else throws StateDictError.
bool state_flag(const std::map<std::string, double>& h, const std::string& key);

}  // namespace birnn
