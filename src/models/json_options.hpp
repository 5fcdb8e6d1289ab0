// Reading a ready model's options from JSON with messages that name the field (shared by every
// Options::from_json in src/models/). nlohmann_json stays private to the library.
#pragma once
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

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

/// Whether the JSON integer v fits T (an integral type other than bool).
template <class T>
bool integer_fits(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  const std::int64_t x = v.get<std::int64_t>();
  if constexpr (std::is_signed_v<T>) return x >= std::numeric_limits<T>::min() && x <= std::numeric_limits<T>::max();
  return x >= 0;
}

/// j[key] as T if present (else `fallback`); a value of the wrong type throws OptionError naming the key.
/// An integer field takes a whole number that fits T (5 or 5.0, not 5.5 or 1e20, which nlohmann would cast).
template <class T>
T get_or(const nlohmann::json& j, const char* key, const T& fallback, const std::string& what) {
  if (!j.contains(key)) return fallback;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const nlohmann::json& v = j.at(key);
    const auto bad = [&] {  // the message is built only when it is thrown
      return OptionError(what + ": field '" + key + "' must be a whole number in " +
                         std::to_string(std::numeric_limits<T>::min()) + ".." +
                         std::to_string(std::numeric_limits<T>::max()) + ", got " + v.dump());
    };
    if (v.is_number_float()) {
      const double d = v.get<double>();
      const double top = std::ldexp(1.0, std::numeric_limits<T>::digits);  // 2^63 or 2^64: just past T's max
      if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(std::numeric_limits<T>::min()) || d >= top)
        throw bad();
      return static_cast<T>(d);
    }
    if (v.is_number_integer() && !integer_fits<T>(v)) throw bad();
  }
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
