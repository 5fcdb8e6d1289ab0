// TrainConfig: the JSON a checkpoint records, and the lr decay schedule as a closed form of the epoch.
#include <gtest/gtest.h>

#include "birnn/error.hpp"
#include "birnn/tasks/task.hpp"
#include "unit/data_test_util.hpp"

namespace birnn::tasks {
namespace {

TEST(TrainConfig, JsonRoundTripKeepsEveryField) {
  TrainConfig c;
  c.task = "charlm";
  c.cell = "gru";
  c.bidirectional = 0;
  c.layers = 3;
  c.hidden = 17;
  c.lr = 0.003;
  c.lr_decay = 0.25;
  c.lr_decay_after = 4;
  c.epochs = 9;
  c.seed = 42;
  const TrainConfig r = TrainConfig::from_json(c.to_json());
  EXPECT_EQ(r.to_json(), c.to_json());
  EXPECT_EQ(r.lr_decay, 0.25);
  EXPECT_EQ(r.lr_decay_after, 4);
}

TEST(TrainConfig, ConfigsWrittenBeforeTheDecayFieldsStillLoad) {
  const TrainConfig r = TrainConfig::from_json(R"({"task": "pos", "lr": 0.002, "epochs": 8})");
  EXPECT_EQ(r.lr_decay, 0);
  EXPECT_EQ(r.lr_decay_after, -1);
  EXPECT_DOUBLE_EQ(r.lr_at_epoch(7), 0.002);  // no decay by default
}

TEST(TrainConfig, LrDecaysEveryEpochAfterTheGivenOne) {
  TrainConfig c;
  c.lr = 0.01;
  c.lr_decay = 0.5;
  c.lr_decay_after = 2;
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(0), 0.01);   // epoch 1
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(1), 0.01);   // epoch 2
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(2), 0.005);  // epoch 3: first decayed epoch
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(4), 0.00125);
}

TEST(TrainConfig, BadDecayIsAnOptionError) {
  EXPECT_THROW(TrainConfig::from_json(R"({"lr_decay": 1.5})"), OptionError);
  EXPECT_THROW(TrainConfig::from_json(R"({"lr_decay": -0.1})"), OptionError);
  EXPECT_THROW(TrainConfig::from_json(R"({"lr_decay": "half"})"), OptionError);
}

// A config file gets the train flags' ranges (0 / -1 stay "the task's default") and whole numbers only in
// integer fields: 1e20 or 5.5 used to be cast (undefined behaviour), -1 reached the task and crashed spam.
TEST(TrainConfig, FieldsOutsideTheFlagRangesAreOptionErrorsNamingTheField) {
  for (const char* bad : {R"({"max_length": -1})", R"({"epochs": -5})", R"({"hidden": 0.5})", R"({"layers": 1000})",
                          R"({"lr": -1})", R"({"batch": 1e20})", R"({"epochs": 1e20})", R"({"seed": -3})",
                          R"({"bidirectional": 7})", R"({"dropout": 0.99})", R"({"limit": -7})",
                          R"({"hidden": 9223372036854775808})"}) {
    SCOPED_TRACE(bad);
    const std::string field = std::string(bad).substr(2, std::string(bad).find('"', 2) - 2);
    try {
      TrainConfig::from_json(bad);
      ADD_FAILURE() << "accepted";
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + field + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(TrainConfig, DefaultsAndWholeNumbersWrittenAsFloatsLoad) {
  const TrainConfig r = TrainConfig::from_json(
      R"({"epochs": 5.0, "hidden": 0, "layers": 0, "dropout": -1, "lr_decay_after": -1, "bidirectional": -1, "max_length": 16777216})");
  EXPECT_EQ(r.epochs, 5);
  EXPECT_EQ(r.hidden, 0);
  EXPECT_EQ(r.max_length, 1 << 24);
}

// eval --data FILE keeps the held-out split of the training file and scores any other file whole. The training
// file is recognised by content (a copy, or a relative path from another folder, used to be scored whole,
// training examples included); a checkpoint without the fingerprint falls back to the path.
TEST(ScoresWholeFile, RecognisesTheTrainingFileByContent) {
  birnn::testing::TempDir d;
  const std::string train = d.write("train.tsv", "ham\thello\nspam\tfree money\n");
  const std::string copy = d.write("copy.tsv", "ham\thello\nspam\tfree money\n");
  const std::string other = d.write("other.tsv", "ham\thello\n");
  TrainConfig c;
  c.data = train;
  CheckpointInfo info;
  info.extra = {{"train_config", c.to_json()}, {kTrainDataKey, data_file_fingerprint(train)}};
  EXPECT_EQ(data_file_fingerprint(train).rfind("sha256:", 0), 0u);
  EXPECT_FALSE(scores_whole_file(info, ""));
  EXPECT_FALSE(scores_whole_file(info, train));
  EXPECT_FALSE(scores_whole_file(info, copy));
  EXPECT_TRUE(scores_whole_file(info, other));
  EXPECT_THROW(scores_whole_file(info, d.path() + "/missing.tsv"), FormatError);
  EXPECT_THROW(data_file_fingerprint(d.path()), FormatError);  // a folder is not an empty file

  // The training path itself keeps its split even after the file was edited (plain `birnn eval CKPT` reads it).
  d.write("train.tsv", "ham\thello\nspam\tfree money\nham\tone more line\n");
  EXPECT_FALSE(scores_whole_file(info, train));
  EXPECT_FALSE(scores_whole_file(info, copy));  // still the content recorded at training
  info.extra.erase(kTrainDataKey);  // a checkpoint from before the fingerprint: the path decides
  EXPECT_FALSE(scores_whole_file(info, train));
  EXPECT_TRUE(scores_whole_file(info, copy));

  c.data = "";  // trained on the real data set: any file is another
  info.extra = {{"train_config", c.to_json()}};
  EXPECT_TRUE(scores_whole_file(info, train));
  EXPECT_FALSE(scores_whole_file(CheckpointInfo{}, train));  // no training config: keep the split
}

}  // namespace
}  // namespace birnn::tasks
