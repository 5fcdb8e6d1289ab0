#include "args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "birnn/error.hpp"

namespace birnn::cli {

namespace {
std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_flags, const std::set<std::string>& bool_flags) {
  const auto is_flag = [&](const std::string& s) {
    if (s.rfind("--", 0) != 0) return false;
    const std::string n = s.substr(2, s.find('=') == std::string::npos ? std::string::npos : s.find('=') - 2);
    return value_flags.count(n) > 0 || bool_flags.count(n) > 0;
  };
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" && bool_flags.count("help")) {  // the usual short form, where the command has --help
      flags_.insert("help");
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) value = name.substr(eq + 1), name = name.substr(0, eq);
    if (bool_flags.count(name)) {
      if (inline_value) throw OptionError("--" + name + " takes no value");
      flags_.insert(name);
    } else if (value_flags.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw OptionError("--" + name + " needs a value");
        // "--out --resume" is a forgotten value, not a folder named "--resume" (--name=--x still works).
        if (is_flag(argv[i + 1])) throw OptionError("--" + name + " needs a value, got the flag " + argv[i + 1]);
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw OptionError("unknown flag --" + name + " (see --help)");
    }
  }
}

void Args::no_positional() const {
  if (!positional_.empty()) throw OptionError("unexpected argument '" + positional_[0] + "' (see --help)");
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const char* s = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end) throw OptionError("--" + name + ": expected an integer, got \"" + it->second + "\"");
  if (v < min || v > max)
    throw OptionError("--" + name + " must be in " + std::to_string(min) + ".." + std::to_string(max) + ", got " + it->second);
  return v;
}

double Args::number(const std::string& name, double fallback, double min, double max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const char* s = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (errno || end == s || *end || !std::isfinite(v)) throw OptionError("--" + name + ": expected a number, got \"" + it->second + "\"");
  if (v < min || v > max)
    throw OptionError("--" + name + " must be in [" + format_number(min) + ", " + format_number(max) + "], got " + it->second);
  return v;
}

}  // namespace birnn::cli
