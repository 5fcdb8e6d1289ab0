// The checkpoint sidecar (<stem>.json): its contents as a struct, and the JSON encoding both ways.
// Private to the library; the format is described in include/birnn/checkpoint.hpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "birnn/checkpoint.hpp"

namespace birnn::io {

inline constexpr const char* kCheckpointFormat = "birnn.checkpoint";
inline constexpr int kCheckpointVersion = 1;

/// A file the sidecar vouches for: its name (in the sidecar's folder), size and SHA-256.
struct FileRecord {
  std::string file;
  std::uint64_t bytes = 0;
  std::string sha256;
};

struct OptimizerRecord {
  FileRecord file;
  std::string type;
  std::map<std::string, double> scalars;
};

struct Sidecar {
  CheckpointInfo info;
  FileRecord weights;
  std::optional<OptimizerRecord> optimizer;
  std::optional<SchedulerState> scheduler;
  std::string rng_state;
};

/// JSON text of the sidecar. Bad info (config_json not JSON, text not UTF-8) throws OptionError.
std::string encode_sidecar(const Sidecar& s);
/// Parses and checks a sidecar read from `path`; anything malformed throws FormatError naming path
/// and the field.
Sidecar decode_sidecar(const std::vector<unsigned char>& bytes, const std::string& path);

}  // namespace birnn::io
