#include "io/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "birnn/error.hpp"

namespace birnn::io {

namespace {

using nlohmann::json;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr const char* kMetadataKey = "__metadata__";
// Root object -> tensor entry -> shape array is as deep as a valid header goes; one spare level lets
// "shape": [[1]] get a shape error instead of a nesting error.
constexpr std::size_t kMaxJsonDepth = 4;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}

// ---------------------------------------------------------------------------------------------
// Text helpers

// Offset of the first byte that breaks strict UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or size if all of it is valid.
std::size_t utf8_error_offset(const unsigned char* p, std::size_t size) {
  std::size_t i = 0;
  while (i < size) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;
    } else if (c >= 0xE1 && c <= 0xEF) {
      len = 3;
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return i;
    }
    if (size - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return size;
}

bool is_utf8(std::string_view s) {
  return utf8_error_offset(reinterpret_cast<const unsigned char*>(s.data()), s.size()) == s.size();
}

// Text from a hostile file made safe for an error message: control bytes (and, if the text is not
// UTF-8, every byte >= 0x80) escaped as \xNN, cut after max_bytes.
std::string printable(std::string_view s, std::size_t max_bytes) {
  const bool utf8 = is_utf8(s);
  std::size_t n = std::min(s.size(), max_bytes);
  if (utf8)
    while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole chars
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || (!utf8 && c >= 0x80)) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < s.size()) out += "...";
  return out;
}

std::string quote(std::string_view name) {
  std::string q = "'";  // not "'" + ...: GCC 12 warns falsely (-Wrestrict) on operator+(const char*, string&&)
  q += printable(name, 64);
  return q += "'";
}

std::string tensor_label(const std::string& name) { return "tensor " + quote(name); }

// A JSON value as it appeared, for "found ..." in messages.
std::string describe(const json& v) {
  return printable(v.dump(-1, ' ', false, json::error_handler_t::replace), 48);
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---------------------------------------------------------------------------------------------
// Checked arithmetic

// Element count of a shape with non-negative dims, or nullopt if it does not fit in int64.
std::optional<std::int64_t> checked_numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d != 0 && n > kInt64Max / d) return std::nullopt;
    n *= d;
  }
  return n;
}

// numel * dtype_size, or nullopt if it does not fit in int64.
std::optional<std::uint64_t> checked_nbytes(std::int64_t numel, StDType dtype) {
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  if (size == 0 || numel > kInt64Max / size) return std::nullopt;
  return static_cast<std::uint64_t>(numel * size);
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---------------------------------------------------------------------------------------------
// Header JSON

// nlohmann keeps the last of two equal keys without a word, and the reference rejects them, so the
// parser callback tracks the keys of every open object. It also records the tensor order and caps nesting.
class KeyTracker {
 public:
  explicit KeyTracker(const std::string& source) : source_(source) {}

  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (open_.size() >= kMaxJsonDepth)
          fail(source_, "header JSON is nested deeper than " + std::to_string(kMaxJsonDepth) +
                            " levels; a safetensors header never is");
        open_.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        open_.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_.back().insert(key).second)
          fail(source_, "header JSON has the key " + quote(key) + " twice" +
                            (open_.size() == 1 ? "" : " inside one object") + "; keys must be unique");
        if (open_.size() == 1) top_level_keys_.push_back(key);
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

  std::vector<std::string> take_top_level_keys() { return std::move(top_level_keys_); }

 private:
  const std::string& source_;
  std::vector<std::set<std::string>> open_;  // keys seen in each open object (empty for arrays)
  std::vector<std::string> top_level_keys_;  // in header order
};

struct ParsedHeader {
  json root;
  std::vector<std::string> keys;  // top-level keys in header order
};

ParsedHeader parse_header_json(const unsigned char* p, std::size_t n, const std::string& source) {
  // Checked here rather than left to the JSON parser so the message can say what is wrong.
  const std::size_t bad = utf8_error_offset(p, n);
  if (bad != n) fail(source, "header is not valid UTF-8 (bad byte at header offset " + std::to_string(bad) + ")");
  // nlohmann stops at a NUL byte as if the input ended there, which would let "{}\0<junk>" through.
  if (const void* nul = std::memchr(p, 0, n))
    fail(source, "header is not valid JSON: NUL byte at header offset " +
                     std::to_string(static_cast<const unsigned char*>(nul) - p));
  if (n == 0) fail(source, "header is empty, expected a JSON object");
  if (p[0] != '{')
    fail(source, "header must start with '{', found " + quote({reinterpret_cast<const char*>(p), 1}));

  KeyTracker tracker(source);
  ParsedHeader out;
  try {
    const auto* text = reinterpret_cast<const char*>(p);
    out.root = json::parse(text, text + n, [&](int, json::parse_event_t ev, json& parsed) {
      return tracker.on_event(ev, parsed);
    });
  } catch (const json::exception& e) {
    std::string_view why = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
    if (const auto pos = why.find("] "); pos != std::string_view::npos) why.remove_prefix(pos + 2);
    fail(source, "header is not valid JSON: " + printable(why, 200));
  }
  if (!out.root.is_object()) fail(source, "header must be a JSON object, found " + describe(out.root));
  out.keys = tracker.take_top_level_keys();
  return out;
}

// A JSON non-negative integer that fits in uint64, else nullopt (negative, fractional, string, ...).
std::optional<std::uint64_t> as_u64(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  return std::nullopt;
}

std::string integer_problem(const json& v) {
  if (v.is_number_integer()) return "is negative";
  // nlohmann turns integers beyond uint64 into doubles, so a huge offset shows up here.
  if (v.is_number_float()) return v.get<double>() >= 18446744073709551616.0 ? "is too large" : "is not an integer";
  return "is not a number";
}

// ---------------------------------------------------------------------------------------------
// Tensor entries

struct Entry {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

void check_entry_keys(const std::string& source, const std::string& name, const json& v) {
  static const std::set<std::string> kRequired = {"dtype", "shape", "data_offsets"};
  if (!v.is_object())
    fail(source, tensor_label(name) + ": expected an object with dtype, shape and data_offsets, found " + describe(v));
  for (const auto& [key, value] : v.items())
    if (!kRequired.count(key))
      fail(source, tensor_label(name) + ": unexpected key " + quote(key) + " (expected only dtype, shape, data_offsets)");
  for (const auto& key : kRequired)
    if (!v.contains(key)) fail(source, tensor_label(name) + ": missing '" + key + "'");
}

StDType parse_dtype(const std::string& source, const std::string& name, const json& v) {
  if (!v.is_string()) fail(source, tensor_label(name) + ": dtype must be a string, found " + describe(v));
  const auto& s = v.get_ref<const std::string&>();
  const auto dtype = dtype_from_name(s);
  if (!dtype)
    fail(source, tensor_label(name) + ": unknown dtype " + quote(s) +
                     " (expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  return *dtype;
}

std::vector<std::int64_t> parse_shape(const std::string& source, const std::string& name, const json& v) {
  if (!v.is_array()) fail(source, tensor_label(name) + ": shape must be an array, found " + describe(v));
  if (v.size() > kStMaxDims)
    fail(source, tensor_label(name) + ": shape has " + std::to_string(v.size()) + " dims, expected at most " +
                     std::to_string(kStMaxDims));
  std::vector<std::int64_t> shape;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto d = as_u64(v[i]);
    const std::string where = tensor_label(name) + ": shape[" + std::to_string(i) + "] = " + describe(v[i]);
    if (!d) fail(source, where + " " + integer_problem(v[i]) + ", expected a non-negative integer");
    if (*d > static_cast<std::uint64_t>(kInt64Max)) fail(source, where + " does not fit in int64");
    shape.push_back(static_cast<std::int64_t>(*d));
  }
  return shape;
}

void parse_offsets(const std::string& source, Entry& e, const json& v, std::uint64_t data_size) {
  if (!v.is_array() || v.size() != 2)
    fail(source, tensor_label(e.name) + ": data_offsets must be an array [begin, end], found " + describe(v));
  for (std::size_t i = 0; i < 2; ++i)
    if (!as_u64(v[i]))
      fail(source, tensor_label(e.name) + ": data_offsets[" + std::to_string(i) + "] = " + describe(v[i]) + " " +
                       integer_problem(v[i]) + ", expected a non-negative integer");
  e.begin = *as_u64(v[0]);
  e.end = *as_u64(v[1]);
  const std::string offsets = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) fail(source, tensor_label(e.name) + ": " + offsets + " has begin > end");
  if (e.end > data_size)
    fail(source, tensor_label(e.name) + ": " + offsets + " out of range: the data section has only " +
                     std::to_string(data_size) + " bytes");
}

void check_span(const std::string& source, const Entry& e) {
  const std::string what = tensor_label(e.name) + ": shape " + shape_str(e.shape) + " of " + dtype_name(e.dtype);
  const auto numel = checked_numel(e.shape);
  if (!numel) fail(source, what + " has an element count that overflows int64");
  const auto nbytes = checked_nbytes(*numel, e.dtype);
  if (!nbytes) fail(source, what + " has a byte size that overflows int64");
  if (e.end - e.begin != *nbytes)
    fail(source, what + " needs " + std::to_string(*nbytes) + " bytes (" + std::to_string(*numel) + " x " +
                     std::to_string(dtype_size(e.dtype)) + "), but data_offsets [" + std::to_string(e.begin) + ", " +
                     std::to_string(e.end) + "] span " + std::to_string(e.end - e.begin));
}

Entry parse_entry(const std::string& source, const std::string& name, const json& v, std::uint64_t data_size) {
  check_entry_keys(source, name, v);
  Entry e;
  e.name = name;
  e.dtype = parse_dtype(source, name, v.at("dtype"));
  e.shape = parse_shape(source, name, v.at("shape"));
  parse_offsets(source, e, v.at("data_offsets"), data_size);
  check_span(source, e);
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& source, const json& v) {
  if (!v.is_object()) fail(source, "__metadata__ must be an object of strings, found " + describe(v));
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string())
      fail(source, "__metadata__ value for key " + quote(key) + " must be a string, found " + describe(value));
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

// entries sorted by (begin, end): each must start where the previous ended, and the last must end
// at the end of the data section, so every byte of the file belongs to exactly one place.
void check_layout(const std::string& source, const std::vector<Entry>& sorted, std::uint64_t data_size) {
  std::uint64_t expected = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : sorted) {
    const std::string after = prev ? "after " + tensor_label(prev->name) + " ends" : "at the start of the data";
    if (e.begin < expected)
      fail(source, tensor_label(e.name) + ": data_offsets begin at " + std::to_string(e.begin) + ", overlapping " +
                       (prev ? tensor_label(prev->name) : std::string("another tensor")) + " which ends at " +
                       std::to_string(expected));
    if (e.begin > expected)
      fail(source, tensor_label(e.name) + ": data_offsets begin at " + std::to_string(e.begin) + ", expected " +
                       std::to_string(expected) + " " + after + " (gap of " + std::to_string(e.begin - expected) +
                       " bytes)");
    expected = e.end;
    prev = &e;
  }
  if (expected != data_size)
    fail(source, "tensors cover " + std::to_string(expected) + " bytes but the data section has " +
                     std::to_string(data_size) + " bytes; the last tensor must end exactly at the end of the file");
}

// ---------------------------------------------------------------------------------------------
// Writing

void validate_for_write(const StFile& file, const std::string& source) {
  for (const auto& [key, value] : file.metadata)
    if (!is_utf8(key) || !is_utf8(value)) fail(source, "__metadata__ entry " + quote(key) + " is not valid UTF-8");
  std::set<std::string_view> names;
  for (const StTensor& t : file.tensors) {
    const std::string label = tensor_label(t.name);
    if (t.name == kMetadataKey) fail(source, label + ": the name __metadata__ is reserved");
    if (!is_utf8(t.name)) fail(source, label + ": name is not valid UTF-8");
    if (!names.insert(t.name).second) fail(source, label + ": name appears twice");
    if (dtype_size(t.dtype) == 0)
      fail(source, label + ": invalid dtype value " + std::to_string(static_cast<int>(t.dtype)));
    if (t.shape.size() > kStMaxDims)
      fail(source, label + ": shape " + shape_str(t.shape) + " has more than " + std::to_string(kStMaxDims) + " dims");
    for (std::int64_t d : t.shape)
      if (d < 0) fail(source, label + ": shape " + shape_str(t.shape) + " has a negative dim");
    const auto numel = checked_numel(t.shape);
    const auto nbytes = numel ? checked_nbytes(*numel, t.dtype) : std::nullopt;
    if (!nbytes) fail(source, label + ": shape " + shape_str(t.shape) + " overflows int64");
    if (t.data.size() != *nbytes)
      fail(source, label + ": shape " + shape_str(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                       std::to_string(*nbytes) + " bytes, data has " + std::to_string(t.data.size()));
  }
}

// The 8-byte length followed by the JSON header, padded with spaces to a multiple of 8 bytes.
std::vector<unsigned char> encode_header(const StFile& file, const std::string& source) {
  std::string h = "{";
  if (!file.metadata.empty()) h += std::string("\"") + kMetadataKey + "\":" + json(file.metadata).dump();
  std::uint64_t offset = 0;
  for (const StTensor& t : file.tensors) {
    if (h.size() > 1) h += ",";
    h += json(t.name).dump() + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":" + json(t.shape).dump() +
         ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t.data.size()) + "]}";
    offset += t.data.size();
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  if (h.size() > kStMaxHeaderBytes)
    fail(source, "header would be " + std::to_string(h.size()) + " bytes, more than readers accept (" +
                     std::to_string(kStMaxHeaderBytes) + ")");

  std::vector<unsigned char> out(8 + h.size());
  const std::uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(n >> (8 * i));
  std::memcpy(out.data() + 8, h.data(), h.size());
  return out;
}

std::string errno_text(int err) { return std::strerror(err); }

void write_all(int fd, const unsigned char* p, std::size_t n, const std::string& source, const std::string& tmp) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail(source, "cannot write temporary file " + quote(tmp) + ": " + errno_text(w < 0 ? errno : EIO));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Owns the temporary file until commit(): closes it and, unless committed, deletes it.
class TempFile {
 public:
  TempFile(std::string path, const std::string& source) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) fail(source, "cannot create temporary file " + quote(path_) + ": " + errno_text(errno));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // fsync + close + rename: the data is on disk before the name points at it.
  void commit(const std::string& target, const std::string& source) {
    if (::fsync(fd_) != 0) fail(source, "cannot fsync " + quote(path_) + ": " + errno_text(errno));
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail(source, "cannot close " + quote(path_) + ": " + errno_text(errno));
    if (::rename(path_.c_str(), target.c_str()) != 0)
      fail(source, "cannot rename " + quote(path_) + " to " + quote(target) + ": " + errno_text(errno));
    committed_ = true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Best effort: makes the rename itself durable. The file is complete either way.
void fsync_parent_dir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API

const char* dtype_name(StDType d) {
  switch (d) {
    case StDType::F64: return "F64";
    case StDType::F32: return "F32";
    case StDType::F16: return "F16";
    case StDType::BF16: return "BF16";
    case StDType::I64: return "I64";
    case StDType::I32: return "I32";
    case StDType::I16: return "I16";
    case StDType::I8: return "I8";
    case StDType::U8: return "U8";
    case StDType::BOOL: return "BOOL";
  }
  return "?";
}

std::size_t dtype_size(StDType d) {
  switch (d) {
    case StDType::F64: case StDType::I64: return 8;
    case StDType::F32: case StDType::I32: return 4;
    case StDType::F16: case StDType::BF16: case StDType::I16: return 2;
    case StDType::I8: case StDType::U8: case StDType::BOOL: return 1;
  }
  return 0;
}

std::optional<StDType> dtype_from_name(std::string_view name) {
  static constexpr StDType kAll[] = {StDType::F64, StDType::F32, StDType::F16, StDType::BF16, StDType::I64,
                                     StDType::I32, StDType::I16, StDType::I8,  StDType::U8,   StDType::BOOL};
  for (StDType d : kAll)
    if (name == dtype_name(d)) return d;
  return std::nullopt;
}

const StTensor* StFile::find(const std::string& name) const {
  for (const StTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

StFile parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& source) {
  if (size < 8) fail(source, "file is " + std::to_string(size) + " bytes, too small for the 8-byte header length");
  const std::uint64_t n = read_u64_le(bytes);
  if (n > kStMaxHeaderBytes)
    fail(source, "header length " + std::to_string(n) + " is too large (at most " + std::to_string(kStMaxHeaderBytes) +
                     " bytes)");
  if (n > size - 8)
    fail(source, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size - 8) +
                     " bytes follow the length)");
  const std::uint64_t data_size = size - 8 - n;
  const unsigned char* data = bytes + 8 + n;

  ParsedHeader header = parse_header_json(bytes + 8, n, source);
  StFile file;
  std::vector<Entry> entries;
  for (const std::string& key : header.keys) {
    const json& value = header.root.at(key);
    if (key == kMetadataKey)
      file.metadata = parse_metadata(source, value);
    else
      entries.push_back(parse_entry(source, key, value, data_size));
  }
  // Stable: zero-size tensors sharing an offset keep their header order.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  check_layout(source, entries, data_size);

  // Every offset is now known to lie inside the data section.
  file.tensors.reserve(entries.size());
  for (Entry& e : entries)
    file.tensors.push_back({std::move(e.name), e.dtype, std::move(e.shape),
                            std::vector<unsigned char>(data + e.begin, data + e.end)});
  return file;
}

StFile read_safetensors(const std::string& path) {
  // O_NONBLOCK so that a FIFO cannot hang the open; it has no effect on reads from regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(path, "cannot open safetensors file: " + errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, "cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, expected a safetensors file");
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file, expected a safetensors file");

  const auto size = static_cast<std::size_t>(st.st_size);
  std::vector<unsigned char> bytes;
  try {
    bytes.resize(size);
  } catch (const std::bad_alloc&) {
    fail(path, "file of " + std::to_string(size) + " bytes does not fit in memory");
  } catch (const std::length_error&) {
    fail(path, "file of " + std::to_string(size) + " bytes does not fit in memory");
  }
  std::size_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fd, bytes.data() + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, "read failed: " + errno_text(errno));
    if (r == 0) fail(path, "file shrank while being read (expected " + std::to_string(size) + " bytes)");
    got += static_cast<std::size_t>(r);
  }
  return parse_safetensors(bytes.data(), bytes.size(), path);
}

std::vector<unsigned char> serialize_safetensors(const StFile& file) {
  const std::string source = "serialize_safetensors";
  validate_for_write(file, source);
  std::vector<unsigned char> out = encode_header(file, source);
  for (const StTensor& t : file.tensors) out.insert(out.end(), t.data.begin(), t.data.end());
  return out;
}

void write_safetensors(const std::string& path, const StFile& file) {
  validate_for_write(file, path);
  const std::vector<unsigned char> header = encode_header(file, path);
  // Same directory as path, so the final rename never crosses file systems.
  TempFile tmp(path + ".tmp." + std::to_string(::getpid()), path);
  write_all(tmp.fd(), header.data(), header.size(), path, tmp.path());
  for (const StTensor& t : file.tensors) write_all(tmp.fd(), t.data.data(), t.data.size(), path, tmp.path());
  tmp.commit(path, path);
  fsync_parent_dir(path);
}

}  // namespace birnn::io
