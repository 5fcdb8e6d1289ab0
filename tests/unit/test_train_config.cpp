// TrainConfig: the JSON a checkpoint records, and the lr decay schedule as a closed form of the epoch.
#include <gtest/gtest.h>

#include "birnn/error.hpp"
#include "birnn/tasks/task.hpp"

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

}  // namespace
}  // namespace birnn::tasks
