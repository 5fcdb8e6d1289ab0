// Reading a ready model's options from JSON with messages that name the field (shared by every
// Options::from_json in src/models/). nlohmann_json stays private to the library.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "birnn/error.hpp"

namespace birnn::models_json {

/// Parses `text` as a JSON object or throws OptionError("<what>: ...").
inline nlohmann::json parse_object(const std::string& text, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw OptionError(what + ": configuration is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw OptionError(what + ": configuration must be a JSON object");
  return j;
}

/// j[key] as T if present (else `fallback`); a value of the wrong type throws OptionError naming the key.
template <class T>
T get_or(const nlohmann::json& j, const char* key, const T& fallback, const std::string& what) {
  if (!j.contains(key)) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw OptionError(what + ": field '" + key + "' has the wrong type (" + j.at(key).dump() + ")");
  }
}

/// j[key] as T; missing or of the wrong type throws OptionError naming the key.
template <class T>
T get_required(const nlohmann::json& j, const char* key, const std::string& what) {
  if (!j.contains(key)) throw OptionError(what + ": configuration lacks the field '" + key + "'");
  return get_or<T>(j, key, T{}, what);
}

/// Throws OptionError("<what>: unknown field '<key>'") for the first key of j not in `known`.
template <std::size_t N>
void reject_unknown_fields(const nlohmann::json& j, const char* const (&known)[N], const std::string& what) {
  for (const auto& item : j.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || item.key() == k;
    if (!ok) throw OptionError(what + ": unknown field '" + item.key() + "'");
  }
}

}  // namespace birnn::models_json
