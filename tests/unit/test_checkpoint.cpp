// Checkpoints: round trip of every part, exact resume (a fresh "process" restored at step k reaches the
// uninterrupted run's weights bit for bit, dropout masks and shuffling included), atomic writes, and
// every way a checkpoint can be wrong (typed exceptions naming the file, nothing changed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "birnn/birnn.hpp"
#include "io/sha256.hpp"
#include "tiny_training.hpp"
#include "unit/test_util.hpp"

namespace birnn {
namespace {

using birnn::testing::error_of;

namespace fs = std::filesystem;
using testing::TinyData;
using testing::TinyRun;

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("birnn_ckpt_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(dir_)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
  fs::path dir_;
};

std::string read_text(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void write_text(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }


CheckpointInfo info_for(std::int64_t step) {
  CheckpointInfo info;
  info.model_type = "tiny_lstm";
  info.config_json = R"({"hidden": 8, "layers": 2, "dropout": 0.3, "name": "tiny"})";
  info.vocabularies["labels"] = {"neg", "pos"};
  info.vocabularies["chars"] = {"a", "b", "\xc3\xa9"};
  info.step = step;
  info.epoch = step / 4;
  info.extra["best"] = "0.75";
  return info;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(io::sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(io::sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes
  EXPECT_EQ(io::sha256_hex(two_blocks.data(), two_blocks.size()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(io::sha256_hex(million.data(), million.size()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(Checkpoint, FileNames) {
  const CheckpointFiles f = checkpoint_files("runs/last.json");
  EXPECT_EQ(f.weights, "runs/last.safetensors");
  EXPECT_EQ(f.optimizer, "runs/last.optim.safetensors");
  EXPECT_EQ(f.sidecar, "runs/last.json");
  EXPECT_EQ(checkpoint_files("x").sidecar, "x.json");
}

TEST_F(Checkpoint, RoundTripsEveryPart) {
  manual_seed(1);
  TinyData data;
  TinyRun a;
  a.train_steps(data, 5);
  save_checkpoint(path("ck"), a.model, info_for(5), &a.opt, a.sched.get());
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.optim.safetensors", "ck.safetensors"})) << "no temporary files left";
  const std::string rng_at_save = get_rng_state();

  // The weights file is a plain state_dict with PyTorch names; the sidecar vouches for both files.
  const NamedTensors w = load_safetensors(path("ck.safetensors"));
  EXPECT_TRUE(w.tensors.count("lstm.weight_ih_l1"));
  EXPECT_TRUE(w.tensors.count("head.bias"));
  const auto side = nlohmann::json::parse(read_text(path("ck.json")));
  const std::string bytes = read_text(path("ck.safetensors"));
  EXPECT_EQ(side["weights"]["sha256"], io::sha256_hex(bytes.data(), bytes.size()));
  EXPECT_EQ(side["weights"]["bytes"], bytes.size());
  EXPECT_EQ(side["config"]["hidden"], 8) << "config is stored as JSON, not as a string";
  EXPECT_EQ(side["optimizer"]["type"], "Adam");
  EXPECT_EQ(load_safetensors(path("ck.optim.safetensors")).tensors.count("state.0.exp_avg"), 1u);

  const CheckpointInfo info = read_checkpoint_info(path("ck"));
  EXPECT_EQ(info.model_type, "tiny_lstm");
  EXPECT_EQ(nlohmann::json::parse(info.config_json), nlohmann::json::parse(info_for(5).config_json));
  EXPECT_EQ(info.vocabularies, info_for(5).vocabularies);
  EXPECT_EQ(info.step, 5);
  EXPECT_EQ(info.epoch, 1);
  EXPECT_EQ(info.extra, info_for(5).extra);

  manual_seed(99);
  TinyRun b;
  const CheckpointInfo loaded = load_checkpoint(path("ck.json"), b.model, &b.opt, b.sched.get(),
                                                CheckpointLoadOptions().model_type("tiny_lstm").vocabulary("labels", {"neg", "pos"}));
  EXPECT_EQ(loaded.step, 5);
  EXPECT_TRUE(a.weights() == b.weights());
  EXPECT_EQ(b.opt.learning_rate(), a.opt.learning_rate());
  EXPECT_EQ(b.sched->last_epoch(), a.sched->last_epoch());
  EXPECT_TRUE(get_rng_state() == rng_at_save);
}

TEST_F(Checkpoint, ResumeInAFreshRunIsBitIdenticalToTheUninterruptedRun) {
  const int total = 12, k = 5;
  // Uninterrupted run, checkpointed at step k on the way.
  manual_seed(2024);
  TinyData data;
  TinyRun full;
  full.train_steps(data, k);
  save_checkpoint(path("step5"), full.model, info_for(k), &full.opt, full.sched.get());
  full.train_steps(data, total - k);

  // "New process": other seed, new objects (other init), then restore and continue.
  manual_seed(777);
  TinyRun resumed;
  ASSERT_FALSE(resumed.weights() == full.weights());
  const CheckpointInfo info = load_checkpoint(path("step5"), resumed.model, &resumed.opt, resumed.sched.get());
  resumed.train_steps(data, total - static_cast<int>(info.step));
  EXPECT_TRUE(resumed.weights() == full.weights());
  EXPECT_EQ(resumed.opt.learning_rate(), full.opt.learning_rate());

  // Without the RNG state the continuation differs (dropout masks and batches do): the test can fail.
  manual_seed(777);
  TinyRun no_rng;
  load_checkpoint(path("step5"), no_rng.model, &no_rng.opt, no_rng.sched.get(), CheckpointLoadOptions().restore_rng(false));
  no_rng.train_steps(data, total - k);
  EXPECT_FALSE(no_rng.weights() == full.weights());
}

TEST_F(Checkpoint, WeightsOnlyAndStaleOptimizerFile) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  save_checkpoint(path("ck"), a.model, info_for(0));  // now without optimizer: the old file goes
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.safetensors"}));
  TinyRun b;
  load_checkpoint(path("ck"), b.model);
  EXPECT_TRUE(a.weights() == b.weights());
  EXPECT_NE(error_of([&] { load_checkpoint(path("ck"), b.model, &b.opt); }).find("no optimizer state"), std::string::npos);
  EXPECT_NE(error_of([&] { load_checkpoint(path("ck"), b.model, nullptr, b.sched.get()); }).find("no scheduler state"),
            std::string::npos);
}

TEST_F(Checkpoint, RefusesAnotherModelTypeOrVocabulary) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0));
  std::string msg = error_of([&] { load_checkpoint(path("ck"), a.model, nullptr, nullptr, CheckpointLoadOptions().model_type("tagger")); });
  EXPECT_NE(msg.find("ck.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model type 'tiny_lstm', expected 'tagger'"), std::string::npos) << msg;
  EXPECT_THROW(load_checkpoint(path("ck"), a.model, nullptr, nullptr, CheckpointLoadOptions().model_type("tagger")), StateDictError);
  msg = error_of([&] { load_checkpoint(path("ck"), a.model, nullptr, nullptr, CheckpointLoadOptions().vocabulary("labels", {"neg", "neutral", "pos"})); });
  EXPECT_NE(msg.find("vocabulary 'labels' differs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("index 1: 'pos' vs 'neutral'"), std::string::npos) << msg;
  msg = error_of([&] { load_checkpoint(path("ck"), a.model, nullptr, nullptr, CheckpointLoadOptions().vocabulary("words", {"x"})); });
  EXPECT_NE(msg.find("no vocabulary 'words'"), std::string::npos) << msg;
}

TEST_F(Checkpoint, MissingAndCorruptFilesAreFormatErrorsNamingTheFile) {
  manual_seed(3);
  TinyRun a;
  EXPECT_NE(error_of([&] { load_checkpoint(path("none"), a.model); }).find("none.json: no checkpoint sidecar"), std::string::npos);
  EXPECT_THROW(read_checkpoint_info(path("none")), FormatError);

  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const std::string good = read_text(path("ck.json"));
  auto expect_format_error = [&](const std::string& sidecar, const std::string& expect) {
    write_text(path("ck.json"), sidecar);
    const std::string msg = error_of([&] { load_checkpoint(path("ck"), a.model, &a.opt); });
    EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    EXPECT_THROW(load_checkpoint(path("ck"), a.model, &a.opt), FormatError);
  };
  expect_format_error(good.substr(0, good.size() / 2), "ck.json: checkpoint sidecar is not valid JSON");
  expect_format_error("[1, 2]", "not a birnn checkpoint sidecar");
  expect_format_error(std::string("{\"format\": \"birnn.checkpoint\"}\0junk", 36), "NUL byte");
  auto edited = [&](auto&& change) {
    auto j = nlohmann::json::parse(good);
    change(j);
    return j.dump();
  };
  expect_format_error(edited([](auto& j) { j["version"] = 2; }), "version 2");
  expect_format_error(edited([](auto& j) { j.erase("rng"); }), "field 'rng' is missing");
  expect_format_error(edited([](auto& j) { j["rng"]["state"] = "1 2 3"; }), "'rng.state'");
  expect_format_error(edited([](auto& j) { j["step"] = -1; }), "field 'step'");
  expect_format_error(edited([](auto& j) { j["vocabularies"]["labels"][0] = 5; }), "vocabularies.labels");
  expect_format_error(edited([](auto& j) { j["weights"]["file"] = "../elsewhere.safetensors"; }), "plain file name");
  expect_format_error(edited([](auto& j) { j["weights"]["sha256"] = "abc"; }), "64 lower-case hex");
  expect_format_error(edited([](auto& j) { j["optimizer"]["scalars"]["lr"] = "fast"; }), "optimizer.scalars.lr");
  std::string deep = "{\"format\": \"birnn.checkpoint\", \"x\": " + std::string(200, '[') + std::string(200, ']') + "}";
  expect_format_error(deep, "nested deeper");

  write_text(path("ck.json"), good);
  fs::remove(path("ck.safetensors"));
  EXPECT_NE(error_of([&] { load_checkpoint(path("ck"), a.model); }).find("ck.safetensors: checkpoint weights file named by"),
            std::string::npos);
}

TEST_F(Checkpoint, TornPairIsDetected) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const std::string sidecar = read_text(path("ck.json"));
  a.train_steps(TinyData(), 1);
  save_checkpoint(path("ck"), a.model, info_for(1), &a.opt);
  write_text(path("ck.json"), sidecar);  // as if the save had died between the renames
  TinyRun b;
  const auto before = b.weights();
  const std::string msg = error_of([&] { load_checkpoint(path("ck"), b.model, &b.opt); });
  EXPECT_NE(msg.find("ck.safetensors: checkpoint weights file does not match its sidecar"), std::string::npos) << msg;
  EXPECT_NE(msg.find("torn"), std::string::npos);
  EXPECT_TRUE(b.weights() == before);

  // Same size, one byte flipped: the checksum catches it.
  save_checkpoint(path("ck"), a.model, info_for(1), &a.opt);
  std::string w = read_text(path("ck.safetensors"));
  w.back() = static_cast<char>(w.back() ^ 1);
  write_text(path("ck.safetensors"), w);
  EXPECT_NE(error_of([&] { load_checkpoint(path("ck"), b.model); }).find("SHA-256 differs"), std::string::npos);
}

TEST_F(Checkpoint, MismatchedModelOrOptimizerChangesNothing) {
  manual_seed(3);
  TinyRun a;
  a.train_steps(TinyData(), 2);
  save_checkpoint(path("ck"), a.model, info_for(2), &a.opt, a.sched.get());

  manual_seed(4);
  TinyRun b;
  b.train_steps(TinyData(), 1);
  const auto weights = b.weights();
  const OptimizerState opt = b.opt.state();
  const SchedulerState sched = b.sched->state();
  LSTM other(LSTMOptions(TinyData::I, 5));  // another architecture
  const std::string rng = get_rng_state();
  auto unchanged = [&] {
    EXPECT_TRUE(b.weights() == weights);
    EXPECT_EQ(b.opt.state().scalars, opt.scalars);
    EXPECT_EQ(b.sched->state().scalars, sched.scalars);
    EXPECT_TRUE(get_rng_state() == rng);
  };

  // The weights fail to load after the optimizer and schedule were restored: both are rolled back.
  std::string msg = error_of([&] { load_checkpoint(path("ck"), other, &b.opt, b.sched.get()); });
  EXPECT_NE(msg.find("ck.safetensors"), std::string::npos) << msg;
  EXPECT_THROW(load_checkpoint(path("ck"), other, &b.opt, b.sched.get()), StateDictError);
  unchanged();

  SGD sgd(b.params(), 0.1);
  msg = error_of([&] { load_checkpoint(path("ck"), b.model, &sgd); });
  EXPECT_NE(msg.find("ck.optim.safetensors: optimizer state: it was saved by Adam, this optimizer is SGD"), std::string::npos) << msg;
  unchanged();

  StepLR step(b.opt, 2);
  const SchedulerState step_state = step.state();
  msg = error_of([&] { load_checkpoint(path("ck"), b.model, &b.opt, &step); });
  EXPECT_NE(msg.find("ck.json: scheduler state: it was saved by SequentialLR"), std::string::npos) << msg;
  EXPECT_EQ(step.state().scalars, step_state.scalars);
}

TEST_F(Checkpoint, FailedSaveLeavesThePreviousCheckpointUntouched) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const auto before = listing();
  std::map<std::string, std::string> bytes;
  for (const auto& f : before) bytes[f] = read_text(path(f));
  a.train_steps(TinyData(), 1);

  auto refused = [&](CheckpointInfo info, const std::string& expect) {
    const std::string msg = error_of([&] { save_checkpoint(path("ck"), a.model, info, &a.opt); });
    EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    EXPECT_EQ(listing(), before) << "no file added or removed";
    for (const auto& [f, b] : bytes) EXPECT_EQ(read_text(path(f)), b) << f << " must be untouched";
  };
  CheckpointInfo bad = info_for(1);
  bad.model_type = "";
  refused(bad, "model_type must not be empty");
  bad = info_for(1);
  bad.config_json = "{\"hidden\": ";
  refused(bad, "config_json is not valid JSON");
  bad = info_for(1);
  bad.vocabularies["chars"].push_back("\xff\xfe");
  refused(bad, "vocabulary 'chars' entry 3 is not valid UTF-8");
  bad = info_for(1);
  bad.step = -3;
  refused(bad, "must be >= 0");
  SGD other(a.params(), 0.1);
  StepLR other_sched(other, 1);
  EXPECT_NE(error_of([&] { save_checkpoint(path("ck"), a.model, info_for(1), &a.opt, &other_sched); }).find("another optimizer"),
            std::string::npos);

  // An I/O failure: the folder does not exist. Nothing is left behind there either.
  EXPECT_THROW(save_checkpoint(path("missing/ck"), a.model, info_for(1)), FormatError);
  EXPECT_FALSE(fs::exists(path("missing")));
}

TEST_F(Checkpoint, IoFailureMidSaveLeavesNothingBehind) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const auto before = listing();
  const std::string weights = read_text(path("ck.safetensors")), sidecar = read_text(path("ck.json"));
  // A directory where the sidecar's temporary file must go: the weights and optimizer files are staged,
  // then writing the sidecar fails (this works as root too, unlike a read-only folder).
  const std::string blocker = "ck.json.partial." + std::to_string(::getpid());
  fs::create_directory(path(blocker));
  a.train_steps(TinyData(), 1);
  const std::string msg = error_of([&] { save_checkpoint(path("ck"), a.model, info_for(1), &a.opt); });
  EXPECT_NE(msg.find("ck.json: cannot create"), std::string::npos) << msg;
  fs::remove(path(blocker));
  EXPECT_EQ(listing(), before) << "staged files are removed";
  EXPECT_EQ(read_text(path("ck.safetensors")), weights);
  EXPECT_EQ(read_text(path("ck.json")), sidecar);
  TinyRun b;
  load_checkpoint(path("ck"), b.model, &b.opt);  // the old checkpoint still loads
}

// A rename that fails after others of the same save went through: the committed files are rolled back.
// A directory in a target's place makes rename(2) fail for root too.
TEST_F(Checkpoint, FailedRenameRollsBackTheFilesAlreadyRenamed) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const std::string weights = read_text(path("ck.safetensors")), optim = read_text(path("ck.optim.safetensors"));
  const std::string sidecar = read_text(path("ck.json"));
  const auto weights_a = a.weights();
  // The sidecar is renamed last: its rename fails after those of the weights and the optimizer file.
  auto block_sidecar = [&] {
    fs::remove(path("ck.json"));
    fs::create_directory(path("ck.json"));
    write_text(path("ck.json/keep"), "x");
  };
  auto unblock_sidecar = [&] {
    fs::remove_all(path("ck.json"));
    write_text(path("ck.json"), sidecar);
  };
  block_sidecar();
  a.train_steps(TinyData(), 1);
  std::string msg = error_of([&] { save_checkpoint(path("ck"), a.model, info_for(1), &a.opt); });
  EXPECT_NE(msg.find("ck.json: cannot rename"), std::string::npos) << msg;
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.optim.safetensors", "ck.safetensors"}))
      << "no staged or backup files left";
  EXPECT_TRUE(read_text(path("ck.safetensors")) == weights) << "ck.safetensors changed";
  EXPECT_TRUE(read_text(path("ck.optim.safetensors")) == optim) << "ck.optim.safetensors changed";
  unblock_sidecar();
  TinyRun b;
  load_checkpoint(path("ck"), b.model, &b.opt);
  EXPECT_TRUE(b.weights() == weights_a);

  // A file the failed save created (no optimizer file before) is removed again.
  save_checkpoint(path("ck"), b.model, info_for(0));
  const std::string weights_only = read_text(path("ck.safetensors"));
  block_sidecar();
  EXPECT_THROW(save_checkpoint(path("ck"), a.model, info_for(1), &a.opt), FormatError);
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.safetensors"}));
  EXPECT_TRUE(read_text(path("ck.safetensors")) == weights_only) << "ck.safetensors changed";
}

TEST_F(Checkpoint, FailedRenameKeepsTheOldSidecarInForce) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0));
  const std::string weights = read_text(path("ck.safetensors")), sidecar = read_text(path("ck.json"));
  const auto weights_a = a.weights();
  // The optimizer file's rename fails after the weights were renamed; the old sidecar is still there.
  fs::create_directory(path("ck.optim.safetensors"));
  write_text(path("ck.optim.safetensors/keep"), "x");
  a.train_steps(TinyData(), 1);
  const std::string msg = error_of([&] { save_checkpoint(path("ck"), a.model, info_for(1), &a.opt); });
  EXPECT_NE(msg.find("ck.optim.safetensors: cannot rename"), std::string::npos) << msg;
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.optim.safetensors", "ck.safetensors"}));
  EXPECT_TRUE(read_text(path("ck.safetensors")) == weights) << "ck.safetensors changed";
  EXPECT_TRUE(read_text(path("ck.json")) == sidecar) << "ck.json changed";
  TinyRun b;
  load_checkpoint(path("ck"), b.model);
  EXPECT_TRUE(b.weights() == weights_a);
}

// A crash between keeping a backup and removing it leaves "<file>.backup.<pid>": a later save by a process
// with that pid replaces it, one by another pid leaves it alone; neither fails.
TEST_F(Checkpoint, LeftoverBackupsDoNotBreakLaterSaves) {
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0), &a.opt);
  const std::string mine = "ck.safetensors.backup." + std::to_string(::getpid());
  write_text(path(mine), "stale");
  write_text(path("ck.json.backup.1"), "stale");
  a.train_steps(TinyData(), 1);
  save_checkpoint(path("ck"), a.model, info_for(1), &a.opt);
  EXPECT_EQ(listing(),
            (std::vector<std::string>{"ck.json", "ck.json.backup.1", "ck.optim.safetensors", "ck.safetensors"}));
  EXPECT_EQ(read_text(path("ck.json.backup.1")), "stale");
  TinyRun b;
  EXPECT_EQ(load_checkpoint(path("ck"), b.model, &b.opt).step, 1);
  EXPECT_TRUE(b.weights() == a.weights());
}

TEST_F(Checkpoint, ReadOnlyFolderFailsCleanly) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  manual_seed(3);
  TinyRun a;
  save_checkpoint(path("ck"), a.model, info_for(0));
  const std::string sidecar = read_text(path("ck.json"));
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  const std::string msg = error_of([&] { save_checkpoint(path("ck"), a.model, info_for(1)); });
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_NE(msg.find("ck"), std::string::npos) << msg;
  EXPECT_EQ(read_text(path("ck.json")), sidecar);
  EXPECT_EQ(listing(), (std::vector<std::string>{"ck.json", "ck.safetensors"}));
}

}  // namespace
}  // namespace birnn
