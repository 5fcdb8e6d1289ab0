// safetensors reader/writer: round trips, one test per hostile input, atomic writes, and a
// deterministic mutation loop (run it under ASan/UBSan: every mutated file must parse or throw FormatError).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "birnn/error.hpp"
#include "io/safetensors.hpp"

namespace {

using birnn::FormatError;
using namespace birnn::io;
namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

const std::string kSource = "hostile.safetensors";

// A file with the given header text (unpadded) and data section; header_len overrides the length prefix.
Bytes make_file(const std::string& header, const Bytes& data = {}, std::uint64_t header_len = UINT64_MAX) {
  const std::uint64_t n = header_len == UINT64_MAX ? header.size() : header_len;
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes zeros(std::size_t n) { return Bytes(n, 0); }

// Asserts the message starts with the source name and contains fragment.
void expect_message(const FormatError& e, const std::string& source, const std::string& fragment) {
  const std::string msg = e.what();
  EXPECT_EQ(msg.rfind(source + ": ", 0), 0u) << "message does not start with the source: " << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << "message: " << msg << "\nexpected fragment: " << fragment;
}

void expect_rejected(const Bytes& bytes, const std::string& fragment) {
  try {
    parse_safetensors(bytes.data(), bytes.size(), kSource);
    ADD_FAILURE() << "accepted a file that should fail with: " << fragment;
  } catch (const FormatError& e) {
    expect_message(e, kSource, fragment);
  }
}

template <class F>
void expect_format_error(F&& f, const std::string& source, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no FormatError; expected: " << fragment;
  } catch (const FormatError& e) {
    expect_message(e, source, fragment);
  }
}

StTensor make_tensor(const std::string& name, StDType dtype, std::vector<std::int64_t> shape, unsigned seed = 1) {
  std::size_t numel = 1;
  for (auto d : shape) numel *= static_cast<std::size_t>(d);
  StTensor t{name, dtype, std::move(shape), Bytes(numel * dtype_size(dtype))};
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<unsigned char>(seed * 31 + i * 7);
  return t;
}

StFile sample_file() {
  StFile f;
  f.tensors.push_back(make_tensor("lstm.weight_ih_l0", StDType::F32, {4, 3}, 1));
  f.tensors.push_back(make_tensor("scalar", StDType::F64, {}, 2));
  f.tensors.push_back(make_tensor("empty", StDType::F32, {0}, 3));
  f.tensors.push_back(make_tensor("ids", StDType::I64, {2, 2}, 4));
  f.metadata = {{"format", "pt"}, {"note", "birnn"}};
  return f;
}

void expect_same(const StFile& a, const StFile& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    SCOPED_TRACE(a.tensors[i].name);
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].dtype, b.tensors[i].dtype);
    EXPECT_EQ(a.tensors[i].shape, b.tensors[i].shape);
    EXPECT_EQ(a.tensors[i].data, b.tensors[i].data);
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

StFile round_trip(const StFile& f) {
  const Bytes bytes = serialize_safetensors(f);
  return parse_safetensors(bytes.data(), bytes.size(), "round_trip");
}

// A fresh directory per test, removed afterwards.
class SafetensorsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("birnn_st_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(Safetensors, DtypeNamesAndSizes) {
  EXPECT_STREQ(dtype_name(StDType::BF16), "BF16");
  EXPECT_EQ(dtype_size(StDType::F64), 8u);
  EXPECT_EQ(dtype_size(StDType::BOOL), 1u);
  EXPECT_EQ(dtype_from_name("I16"), StDType::I16);
  EXPECT_FALSE(dtype_from_name("f32").has_value());
}

TEST(Safetensors, RoundTripAllDtypesScalarAndEmpty) {
  StFile f;
  f.tensors.push_back(make_tensor("f64", StDType::F64, {2, 3}, 1));
  f.tensors.push_back(make_tensor("f32", StDType::F32, {4}, 2));
  f.tensors.push_back(make_tensor("f16", StDType::F16, {3}, 3));
  f.tensors.push_back(make_tensor("bf16", StDType::BF16, {2, 2}, 4));
  f.tensors.push_back(make_tensor("i64", StDType::I64, {2}, 5));
  f.tensors.push_back(make_tensor("i32", StDType::I32, {1, 1, 1}, 6));
  f.tensors.push_back(make_tensor("i16", StDType::I16, {5}, 7));
  f.tensors.push_back(make_tensor("i8", StDType::I8, {3}, 8));
  f.tensors.push_back(make_tensor("u8", StDType::U8, {7}, 9));
  f.tensors.push_back(make_tensor("bool", StDType::BOOL, {2}, 10));
  f.tensors.push_back(make_tensor("scalar", StDType::F32, {}, 11));
  f.tensors.push_back(make_tensor("empty", StDType::F32, {0}, 12));
  f.tensors.push_back(make_tensor("empty2", StDType::I64, {2, 0, 3}, 13));
  f.tensors.push_back(make_tensor("last", StDType::U8, {1}, 14));

  const Bytes bytes = serialize_safetensors(f);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  EXPECT_EQ(n % 8, 0u) << "header must be padded to a multiple of 8";
  EXPECT_EQ(bytes[8], '{');

  const StFile back = parse_safetensors(bytes.data(), bytes.size(), "rt");
  expect_same(f, back);
  ASSERT_NE(back.find("scalar"), nullptr);
  EXPECT_EQ(back.find("scalar")->data.size(), 4u);
  EXPECT_EQ(back.find("missing"), nullptr);
}

TEST(Safetensors, MetadataRoundTrip) {
  StFile f;
  f.metadata = {{"format", "pt"}, {"quote\"and\\slash", "ünïcödé \u00e9 \U0001F600"}, {"", "empty key"}};
  f.tensors.push_back(make_tensor("w", StDType::F32, {2}));
  expect_same(f, round_trip(f));
}

TEST(Safetensors, EmptyFileRoundTrip) {
  const StFile back = round_trip(StFile{});
  EXPECT_TRUE(back.tensors.empty());
  EXPECT_TRUE(back.metadata.empty());
}

TEST(Safetensors, ReadsReferenceExample) {
  // The example from the reference implementation's documentation.
  const Bytes bytes = make_file(R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})", zeros(16));
  const StFile f = parse_safetensors(bytes.data(), bytes.size(), kSource);
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(f.tensors[0].dtype, StDType::I32);
}

TEST(Safetensors, TensorsComeBackInOffsetOrder) {
  const Bytes bytes = make_file(R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},)"
                                R"("a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   )",
                                Bytes{10, 11, 12});
  const StFile f = parse_safetensors(bytes.data(), bytes.size(), kSource);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors[0].name, "a");
  EXPECT_EQ(f.tensors[0].data, (Bytes{10, 11}));
  EXPECT_EQ(f.tensors[1].name, "b");
  EXPECT_EQ(f.tensors[1].data, (Bytes{12}));
}

// ---------------------------------------------------------------------------------------------
// Hostile files: each must throw FormatError naming the source and the problem.

TEST(SafetensorsHostile, FileShorterThan8Bytes) {
  expect_rejected(Bytes{1, 2, 3, 4, 5}, "too small");
  EXPECT_THROW(parse_safetensors(nullptr, 0, kSource), FormatError);
}

TEST(SafetensorsHostile, HeaderLengthPastEndOfFile) { expect_rejected(make_file("{}", {}, 100), "past the end"); }

TEST(SafetensorsHostile, HeaderLengthOver100MB) {
  expect_rejected(make_file("{}", {}, 100'000'001), "too large");
  expect_rejected(make_file("{}", {}, UINT64_MAX - 1), "too large");
}

TEST(SafetensorsHostile, EmptyHeader) { expect_rejected(make_file(""), "header is empty"); }

TEST(SafetensorsHostile, InvalidJson) {
  expect_rejected(make_file(R"({"w": {"dtype": "F32",)"), "not valid JSON");
  expect_rejected(make_file(R"({} trailing)"), "not valid JSON");
  // nlohmann alone would stop at the NUL and accept this.
  expect_rejected(make_file(std::string("{}\0junk", 7)), "NUL byte at header offset 2");
}

TEST(SafetensorsHostile, HeaderNotAnObject) {
  expect_rejected(make_file("[1, 2]  "), "must start with '{'");
  expect_rejected(make_file("  {}    "), "must start with '{'");
}

TEST(SafetensorsHostile, InvalidUtf8InKey) {
  expect_rejected(make_file("{\"w\xff\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}"), "not valid UTF-8");
  expect_rejected(make_file("{\"\xc0\xaf\":1}"), "not valid UTF-8");      // overlong '/'
  expect_rejected(make_file("{\"\xed\xa0\x80\":1}"), "not valid UTF-8");  // UTF-16 surrogate
  expect_rejected(make_file("{\"\xe2\x82\":1}"), "not valid UTF-8");      // truncated sequence
}

TEST(SafetensorsHostile, DuplicateKey) {
  const std::string entry = R"({"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
  expect_rejected(make_file(R"({"w":)" + entry + R"(,"w":)" + entry + "}"), "'w' twice");
  // The same name spelled with an escape is still a duplicate.
  expect_rejected(make_file(R"({"w":)" + entry + R"(,"\u0077":)" + entry + "}"), "'w' twice");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","dtype":"F32","shape":[0],"data_offsets":[0,0]}})"),
                  "'dtype' twice");
  expect_rejected(make_file(R"({"__metadata__":{"a":"1","a":"2"}})"), "'a' twice");
}

TEST(SafetensorsHostile, UnknownDtype) {
  expect_rejected(make_file(R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
                  "tensor 'w': unknown dtype 'F8_E4M3'");
  expect_rejected(make_file(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
                  "dtype must be a string");
}

TEST(SafetensorsHostile, NegativeShapeEntry) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[2,-1],"data_offsets":[0,0]}})"),
                  "tensor 'w': shape[1] = -1 is negative");
}

TEST(SafetensorsHostile, NonIntegerShapeEntry) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1.5],"data_offsets":[0,0]}})"), "is not an integer");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}})", zeros(2)),
                  "is not a number");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[[1]],"data_offsets":[0,1]}})", zeros(1)),
                  "is not a number");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":3,"data_offsets":[0,3]}})", zeros(3)),
                  "shape must be an array");
}

TEST(SafetensorsHostile, ShapeTooManyDims) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}})", zeros(1)),
                  "expected at most 8");
}

TEST(SafetensorsHostile, ShapeElementCountOverflowsInt64) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
                  "element count that overflows int64");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[3037000500,3037000500],"data_offsets":[0,0]}})"),
                  "element count that overflows int64");
  // Fits as a count, overflows once multiplied by the element size.
  expect_rejected(make_file(R"({"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})"),
                  "byte size that overflows int64");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})"),
                  "does not fit in int64");
}

TEST(SafetensorsHostile, DataOffsetsOutOfRange) {
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", zeros(4)),
                  "tensor 'w': data_offsets [4, 8] out of range: the data section has only 4 bytes");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}})", zeros(1)),
                  "out of range");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}})", zeros(1)), "begin > end");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", zeros(1)),
                  "data_offsets must be an array [begin, end]");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1e0]}})", zeros(1)),
                  "data_offsets[1] = 1.0 is not an integer");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}})", zeros(1)),
                  "data_offsets[1] = 1.8446744073709552e+19 is too large");
}

TEST(SafetensorsHostile, OverlappingOffsets) {
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            zeros(12)),
                  "tensor 'b': data_offsets begin at 4, overlapping tensor 'a' which ends at 8");
  // Two tensors on the very same bytes.
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                            zeros(4)),
                  "overlapping");
}

TEST(SafetensorsHostile, GapBetweenTensors) {
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                            zeros(12)),
                  "tensor 'b': data_offsets begin at 8, expected 4 after tensor 'a' ends (gap of 4 bytes)");
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", zeros(8)),
                  "expected 0 at the start of the data");
}

TEST(SafetensorsHostile, DataNotEndingAtEndOfFile) {
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(8)),
                  "tensors cover 4 bytes but the data section has 8 bytes");
  expect_rejected(make_file("{}", zeros(1)), "tensors cover 0 bytes but the data section has 1 bytes");
}

TEST(SafetensorsHostile, SpanNotEqualToNumelTimesSize) {
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", zeros(4)),
                  "tensor 'w': shape [2] of F32 needs 8 bytes (2 x 4), but data_offsets [0, 4] span 4");
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,0]}})"), "needs 4 bytes");
}

TEST(SafetensorsHostile, MetadataWithNonStringValue) {
  expect_rejected(make_file(R"({"__metadata__":{"epoch":3}})"), "__metadata__ value for key 'epoch' must be a string");
  expect_rejected(make_file(R"({"__metadata__":["a"]})"), "__metadata__ must be an object of strings");
  expect_rejected(make_file(R"({"__metadata__":{"a":{"b":"c"}}})"), "must be a string");
}

TEST(SafetensorsHostile, EntryWithMissingOrExtraKeys) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[0]}})"), "tensor 'w': missing 'data_offsets'");
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":1}})"),
                  "unexpected key 'x'");
  expect_rejected(make_file(R"({"w":[1,2]})"), "tensor 'w': expected an object");
}

TEST(SafetensorsHostile, DeepNesting) {
  expect_rejected(make_file(R"({"w":{"dtype":"U8","shape":[[[[[1]]]]],"data_offsets":[0,1]}})", zeros(1)),
                  "nested deeper");
  expect_rejected(make_file("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}"), "nested deeper");
}

TEST(SafetensorsHostile, HostileNamesAreEscapedInMessages) {
  const std::string name = "evil\\u001b[31m" + std::string(500, 'x');
  try {
    const Bytes b = make_file(R"({")" + name + R"(":{"dtype":"NOPE","shape":[0],"data_offsets":[0,0]}})");
    parse_safetensors(b.data(), b.size(), kSource);
    ADD_FAILURE() << "accepted";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\x1b'), std::string::npos) << "control byte reached the message";
    EXPECT_NE(msg.find("evil\\x1b"), std::string::npos) << msg;
    EXPECT_LT(msg.size(), 300u) << "long names must be cut";
  }
}

// ---------------------------------------------------------------------------------------------
// Writer validation

TEST(SafetensorsWriter, RejectsDuplicateNames) {
  StFile f;
  f.tensors = {make_tensor("w", StDType::U8, {1}), make_tensor("w", StDType::U8, {2})};
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors", "tensor 'w': name appears twice");
}

TEST(SafetensorsWriter, RejectsReservedName) {
  StFile f;
  f.tensors = {make_tensor("__metadata__", StDType::U8, {1})};
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors", "reserved");
}

TEST(SafetensorsWriter, RejectsDataSizeMismatch) {
  StFile f;
  f.tensors = {make_tensor("w", StDType::F32, {3})};
  f.tensors[0].data.pop_back();
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors",
                      "tensor 'w': shape [3] of F32 needs 12 bytes, data has 11");
}

TEST(SafetensorsWriter, RejectsBadShapes) {
  StFile f;
  f.tensors = {StTensor{"w", StDType::U8, {2, -1}, {}}};
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors", "negative dim");
  f.tensors = {StTensor{"w", StDType::U8, {1LL << 32, 1LL << 32}, {}}};
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors", "overflows int64");
}

TEST(SafetensorsWriter, RejectsInvalidUtf8Names) {
  StFile f;
  f.tensors = {make_tensor("bad\xff", StDType::U8, {1})};
  expect_format_error([&] { serialize_safetensors(f); }, "serialize_safetensors", "tensor 'bad\\xff'");
}

// ---------------------------------------------------------------------------------------------
// Files on disk

TEST_F(SafetensorsFiles, WriteThenReadLeavesNoTempFiles) {
  const fs::path path = dir_ / "model.safetensors";
  const StFile f = sample_file();
  write_safetensors(path.string(), f);
  expect_same(f, read_safetensors(path.string()));
  EXPECT_EQ(listing(), std::vector<std::string>{"model.safetensors"});

  // Overwriting replaces the contents.
  StFile g;
  g.tensors.push_back(make_tensor("other", StDType::I8, {3}));
  write_safetensors(path.string(), g);
  expect_same(g, read_safetensors(path.string()));
  EXPECT_EQ(listing(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(SafetensorsFiles, WriteMatchesSerialize) {
  const fs::path path = dir_ / "model.safetensors";
  const StFile f = sample_file();
  write_safetensors(path.string(), f);
  const Bytes expected = serialize_safetensors(f);
  EXPECT_EQ(slurp(path), std::string(expected.begin(), expected.end()));
}

TEST_F(SafetensorsFiles, FailedValidationLeavesOldFileUntouched) {
  const fs::path path = dir_ / "model.safetensors";
  write_safetensors(path.string(), sample_file());
  const std::string before = slurp(path);

  StFile bad = sample_file();
  bad.tensors[0].data.resize(1);
  expect_format_error([&] { write_safetensors(path.string(), bad); }, path.string(), "needs 48 bytes");
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(listing(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(SafetensorsFiles, FailedRenameRemovesTempFile) {
  // The target is a non-empty directory, so the final rename fails after the temp file is written.
  const fs::path path = dir_ / "taken";
  fs::create_directories(path / "child");
  expect_format_error([&] { write_safetensors(path.string(), sample_file()); }, path.string(), "cannot rename");
  EXPECT_EQ(listing(), std::vector<std::string>{"taken"});
}

TEST_F(SafetensorsFiles, WriteIntoMissingDirectoryFails) {
  const fs::path path = dir_ / "no_such_dir" / "model.safetensors";
  expect_format_error([&] { write_safetensors(path.string(), sample_file()); }, path.string(),
                      "cannot create temporary file");
  EXPECT_TRUE(listing().empty());
}

TEST_F(SafetensorsFiles, MissingFile) {
  const std::string path = (dir_ / "absent.safetensors").string();
  expect_format_error([&] { read_safetensors(path); }, path, "cannot open safetensors file: No such file or directory");
}

TEST_F(SafetensorsFiles, DirectoryIsNotAFile) {
  expect_format_error([&] { read_safetensors(dir_.string()); }, dir_.string(), "is a directory");
}

TEST_F(SafetensorsFiles, FifoIsRejectedWithoutBlocking) {
  const fs::path path = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  expect_format_error([&] { read_safetensors(path.string()); }, path.string(), "not a regular file");
}

TEST_F(SafetensorsFiles, TruncatedFileOnDiskNamesThePath) {
  const fs::path path = dir_ / "cut.safetensors";
  const Bytes bytes = serialize_safetensors(sample_file());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 20);
  expect_format_error([&] { read_safetensors(path.string()); }, path.string(), "past the end");
}

// ---------------------------------------------------------------------------------------------
// Mutation loop: a valid file with flipped, replaced, deleted or truncated bytes must either parse
// (into a self-consistent StFile) or throw FormatError -- never crash, read out of bounds or throw
// anything else. Deterministic: fixed seed, and only rng() % n (distributions differ across libraries).

Bytes mutate(const Bytes& good, std::uint64_t header_len, std::mt19937_64& rng) {
  static const std::string kJsonish = std::string("{}[]\":,-.0123456789eE \\u\xff\x80 F") + '\0';
  Bytes m = good;
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < edits && !m.empty(); ++k) {
    const std::size_t header_pos = 8 + rng() % header_len;
    switch (rng() % 7) {
      case 0:  // flip one bit anywhere
        m[rng() % m.size()] ^= static_cast<unsigned char>(1u << (rng() % 8));
        break;
      case 1:  // a JSON-significant character in the header
      case 2:
        if (header_pos < m.size()) m[header_pos] = static_cast<unsigned char>(kJsonish[rng() % kJsonish.size()]);
        break;
      case 3:  // truncate
        m.resize(rng() % (m.size() + 1));
        break;
      case 4:  // corrupt the length prefix
        m[rng() % 8] = static_cast<unsigned char>(rng());
        break;
      case 5:  // delete a header byte and shrink the length to match, keeping the framing plausible
        if (header_pos < m.size() && m.size() >= 8 && m[0] > 0) {
          m.erase(m.begin() + static_cast<std::ptrdiff_t>(header_pos));
          --m[0];
        }
        break;
      case 6:  // change one digit of a shape or offset: the JSON stays valid, the layout does not
        for (int tries = 0; tries < 32; ++tries) {
          const std::size_t pos = 8 + rng() % header_len;
          if (pos < m.size() && m[pos] >= '0' && m[pos] <= '9') {
            m[pos] = static_cast<unsigned char>('0' + rng() % 10);
            break;
          }
        }
        break;
    }
  }
  return m;
}

TEST(SafetensorsFuzz, MutationsParseOrThrowFormatError) {
  const Bytes good = serialize_safetensors(sample_file());
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | good[i];

  std::mt19937_64 rng(20240521);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    const Bytes m = mutate(good, header_len, rng);
    // An exact-size heap copy, so ASan flags any read one byte past the end.
    std::unique_ptr<unsigned char[]> exact(new unsigned char[m.size() + (m.empty() ? 1 : 0)]);
    std::copy(m.begin(), m.end(), exact.get());
    try {
      const StFile f = parse_safetensors(exact.get(), m.size(), "mutant");
      ++accepted;
      std::size_t total = 0;
      for (const StTensor& t : f.tensors) {
        std::size_t numel = 1;
        for (auto d : t.shape) numel *= static_cast<std::size_t>(d);
        ASSERT_EQ(t.data.size(), numel * dtype_size(t.dtype)) << "iteration " << iter;
        total += t.data.size();
      }
      ASSERT_LE(total, m.size()) << "iteration " << iter;
    } catch (const FormatError& e) {
      ++rejected;
      ASSERT_EQ(std::string(e.what()).rfind("mutant: ", 0), 0u) << e.what();
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": unexpected exception type: " << e.what();
    }
  }
  // Both outcomes must occur, or the loop is not exercising anything.
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
