// A small strict argument parser: --name value, --name=value and boolean --flag. Unknown flags,
// missing values and malformed numbers are errors that name the flag.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace birnn::cli {

class Args {
 public:
  /// value_flags take a value; bool_flags do not. argv excludes the program and command names.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& value_flags, const std::set<std::string>& bool_flags);
  bool has(const std::string& name) const { return values_.count(name) || flags_.count(name); }
  std::string str(const std::string& name, const std::string& fallback) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  double number(const std::string& name, double fallback, double min, double max) const;
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }
  /// For commands that take no positional arguments: OptionError naming the first one given.
  void no_positional() const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace birnn::cli
