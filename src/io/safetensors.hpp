// safetensors: read and write the format PyTorch / Hugging Face checkpoints use.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw tensor data.
//   {"__metadata__": {"k": "v"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
// Offsets are relative to the start of the data section.
//
// The reader treats every file as hostile and enforces the reference implementation's rules: header
// length <= 100 MB and inside the file, valid UTF-8 JSON object, no duplicate keys, known dtypes,
// element counts computed with overflow checks and equal to the byte span, offsets contiguous from 0
// with no gaps or overlaps, and the last tensor ending exactly at the end of the file. Any violation
// throws birnn::FormatError whose message starts with the source name and names the tensor at fault.
//
// The writer lays tensors out contiguously in the given order and pads the header with spaces to a
// multiple of 8 bytes; write_safetensors is atomic (temp file + fsync + rename).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace birnn::io {

/// The dtypes birnn reads and writes (a subset of the format's; the rest are rejected by name).
enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

/// The format's name for a dtype: "F32", "BF16", ...
const char* dtype_name(StDType d);
/// Bytes per element; 0 for a value outside the enum.
std::size_t dtype_size(StDType d);
/// Inverse of dtype_name; nullopt for a name birnn does not know.
std::optional<StDType> dtype_from_name(std::string_view name);

/// Most dimensions a tensor may have (PyTorch state dicts need at most 4 or 5).
inline constexpr std::size_t kStMaxDims = 8;
/// Largest header the reader accepts, as in the reference implementation.
inline constexpr std::uint64_t kStMaxHeaderBytes = 100'000'000;

struct StTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<std::int64_t> shape;  // [] is a scalar (1 element); a 0 anywhere means no elements
  std::vector<unsigned char> data;  // raw little-endian bytes, size == numel * dtype_size
};

struct StFile {
  std::vector<StTensor> tensors;                 // in file order (sorted by data offset) on read
  std::map<std::string, std::string> metadata;   // "__metadata__" (string -> string only)
  const StTensor* find(const std::string& name) const;  // nullptr if absent
};

/// Parses a whole file held in memory. source_name (usually the path) starts every error message.
StFile parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& source_name);
/// Reads path with one bounded read and parses it; a missing file or a directory is a FormatError.
StFile read_safetensors(const std::string& path);
/// Validates file (unique names, "__metadata__" reserved, data size == numel * dtype size) and encodes it.
std::vector<unsigned char> serialize_safetensors(const StFile& file);
/// Atomic: writes "<path>.tmp.<pid>", fsyncs, renames over path; on failure path is left untouched.
void write_safetensors(const std::string& path, const StFile& file);

}  // namespace birnn::io
