// Trainer: the loop learns, checkpoints per epoch, resumes exactly, and stops on NaN/Inf naming the step
// while keeping the last good checkpoint and the weights of the last good step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "birnn/birnn.hpp"
#include "birnn/trainer.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

namespace birnn {
namespace {

// A one-layer LSTM + Linear classifier as a Model: "is the first feature of step 0 positive?".
class TinyModel : public Model {
 public:
  static constexpr const char* kModelType = "tiny_test_model";
  TinyModel() {
    register_module("rnn", rnn_);
    register_module("fc", fc_);
  }
  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return "{}"; }
  Tensor logits(const Tensor& x) { return reshape(fc_->forward(rnn_->forward(x).h_n), {x.size(1), 2}); }
  Tensor loss(const Tensor& x, const Tensor& y) { return cross_entropy(logits(x), y); }

 private:
  std::shared_ptr<LSTM> rnn_ = std::make_shared<LSTM>(LSTMOptions(2, 8));
  std::shared_ptr<Linear> fc_ = std::make_shared<Linear>(LinearOptions(8, 2));
};

// load_model<M> needs M::Options::from_json and a constructor taking Options.
struct TinyModelLoadable : TinyModel {
  struct Options {
    static Options from_json(const std::string&) { return {}; }
  };
  explicit TinyModelLoadable(const Options&) {}
};

constexpr std::int64_t kT = 4, kB = 8;

// Batch drawn from the library generator, so a run is a function of the seed.
std::pair<Tensor, Tensor> draw_batch() {
  Tensor x = Tensor::zeros({kT, kB, 2});
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(uniform(-1, 1));
  std::vector<std::int64_t> y;
  for (std::int64_t b = 0; b < kB; ++b) y.push_back(x.data<float>()[b * 2] > 0 ? 1 : 0);
  return {x, Tensor::from_vector(y, {kB})};
}

// One folder for this process's checkpoints, removed at exit (it used to be left behind in /tmp).
std::string temp_stem(const std::string& name) {
  static const testing::TempDir dir;
  return dir.path() + "/" + name;
}

std::vector<double> flat_weights(const Module& m) {
  std::vector<double> v;
  for (const auto& [name, p] : m.named_parameters())
    for (double d : p.to_double_vector()) v.push_back(d);
  return v;
}

TEST(Trainer, LearnsAndWritesACheckpointPerEpoch) {
  set_num_threads(1);
  manual_seed(1);
  TinyModel model;
  Adam opt(model.parameters(), AdamOptions(0.03));
  const std::string stem = temp_stem("learns");
  Trainer trainer(model, opt, TrainerOptions().epochs(6).clip_grad_norm(5.0).checkpoint(stem));
  std::vector<double> losses;
  std::vector<std::int64_t> checkpoint_steps;
  trainer.fit(
      20, [&](std::int64_t, std::int64_t) { auto [x, y] = draw_batch(); return model.loss(x, y); },
      [&](const StepReport& r) { losses.push_back(r.loss); },
      [&](std::int64_t) { checkpoint_steps.push_back(read_checkpoint_info(stem).step); });
  ASSERT_EQ(losses.size(), 120u);
  double first = 0, last = 0;
  for (int i = 0; i < 20; ++i) first += losses[static_cast<std::size_t>(i)] / 20, last += losses[losses.size() - 1 - static_cast<std::size_t>(i)] / 20;
  EXPECT_LT(last, 0.5 * first) << "first epoch " << first << ", last epoch " << last;
  EXPECT_EQ(checkpoint_steps, (std::vector<std::int64_t>{20, 40, 60, 80, 100, 120}));
  EXPECT_FALSE(model.is_training());
}

TEST(Trainer, ResumeFromAnEpochCheckpointReachesTheSameWeights) {
  set_num_threads(1);
  auto run = [&](std::int64_t epochs, const std::string& stem, const std::string& resume_from) {
    manual_seed(7);
    TinyModel model;
    Adam opt(model.parameters(), AdamOptions(0.01));
    StepLR sched(opt, 2, 0.5);
    Trainer trainer(model, opt, TrainerOptions().epochs(epochs).checkpoint(stem), &sched);
    if (!resume_from.empty()) EXPECT_EQ(trainer.resume(resume_from), 2);
    trainer.fit(5, [&](std::int64_t, std::int64_t) { auto [x, y] = draw_batch(); return model.loss(x, y); });
    EXPECT_EQ(trainer.global_step(), epochs * 5);
    return flat_weights(model);
  };
  const std::vector<double> straight = run(4, temp_stem("straight"), "");
  run(2, temp_stem("first_half"), "");
  const std::vector<double> resumed = run(4, temp_stem("second_half"), temp_stem("first_half"));
  EXPECT_EQ(straight, resumed);
}

TEST(Trainer, NaNLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint) {
  set_num_threads(1);
  manual_seed(3);
  TinyModel model;
  SGD opt(model.parameters(), SGDOptions(0.1));
  const std::string stem = temp_stem("nan");
  Trainer trainer(model, opt, TrainerOptions().epochs(3).checkpoint(stem).checkpoint_every(4));
  std::vector<double> weights_before_bad_step;
  const std::string msg = testing::error_of<NonFiniteLossError>([&] {
    trainer.fit(5, [&](std::int64_t epoch, std::int64_t b) {
      auto [x, y] = draw_batch();
      Tensor loss = model.loss(x, y);
      if (epoch == 1 && b == 2) {  // step 8: poison the loss
        weights_before_bad_step = flat_weights(model);
        return scale(loss, std::numeric_limits<double>::quiet_NaN());
      }
      return loss;
    });
  });
  EXPECT_TRUE(testing::contains(msg, "the loss is NaN at step 8 (epoch 2, batch 3)")) << msg;
  EXPECT_TRUE(testing::contains(msg, stem + " (step 5)")) << msg;  // end of epoch 1 was the last write
  EXPECT_EQ(flat_weights(model), weights_before_bad_step);          // the bad step moved nothing
  EXPECT_EQ(trainer.global_step(), 7);
  EXPECT_FALSE(model.is_training());
  // The file on disk is the step-5 checkpoint, intact.
  const CheckpointInfo info = read_checkpoint_info(stem);
  EXPECT_EQ(info.step, 5);
  TinyModel reloaded;
  EXPECT_NO_THROW(load_checkpoint(stem, reloaded, nullptr, nullptr, CheckpointLoadOptions().model_type(TinyModel::kModelType)));
}

TEST(Trainer, ExplodingLearningRateGivesInfiniteLossOrGradientNotACrash) {
  set_num_threads(1);
  manual_seed(4);
  TinyModel model;
  SGD opt(model.parameters(), SGDOptions(50.0));
  Trainer trainer(model, opt, TrainerOptions().epochs(50));
  std::int64_t failed_step = 0;
  try {  // a squared error with a huge step size diverges geometrically until float32 overflows
    trainer.fit(10, [&](std::int64_t, std::int64_t) {
      auto [x, y] = draw_batch();
      return mse_loss(model.logits(x), Tensor::full({kB, 2}, 1000.0));
    });
  } catch (const NonFiniteLossError& e) {
    failed_step = e.step();
    EXPECT_TRUE(testing::contains(e.what(), "at step " + std::to_string(e.step()))) << e.what();
    EXPECT_TRUE(testing::contains(e.what(), "No checkpoint had been written yet")) << e.what();
  }
  EXPECT_GT(failed_step, 1);  // the first step is finite; a later one overflows
}

// A model with one large parameter, for the per-element gradient check (which tests blocks of 1024 first).
class WideModel : public Model {
 public:
  explicit WideModel(std::int64_t n) { w_ = &register_parameter("w", Tensor::zeros({n}).set_requires_grad(true)); }
  std::string model_type() const override { return "wide_test_model"; }
  std::string config_json() const override { return "{}"; }
  const Tensor& w() const { return *w_; }

 private:
  Tensor* w_ = nullptr;
};

TEST(Trainer, NonFiniteGradientNamesTheParameterAndTheFirstBadElement) {
  // loss = 1e30 * sum(w * c) with w = 0: the loss is 0 (finite); dL/dw = 1e30 * c overflows float32 exactly
  // where c = 1e30. Elements before, inside and after the first 1024-block, and in a ragged tail.
  for (const auto& [n, bad] : std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>>{
           {3000, {1500}}, {3000, {2999, 1024}}, {5, {4}}, {2048, {0, 2047}}}) {
    WideModel model(n);
    SGD opt(model.parameters(), SGDOptions(0.1));
    Trainer trainer(model, opt, TrainerOptions().epochs(1));
    std::vector<float> c(static_cast<std::size_t>(n), 1.0f);
    for (std::int64_t i : bad) c[static_cast<std::size_t>(i)] = 1e30f;
    const Tensor loss = scale(sum(mul(model.w(), Tensor::from_vector(c, {n}))), 1e30);
    const std::string msg = testing::error_of<NonFiniteLossError>([&] { trainer.step(loss, 0, 0); });
    const std::int64_t first = *std::min_element(bad.begin(), bad.end());
    EXPECT_TRUE(testing::contains(msg, "the gradient of 'w' is not finite (element " + std::to_string(first) + ")")) << msg;
  }
  // All finite: no error, and the step goes through.
  WideModel model(3000);
  SGD opt(model.parameters(), SGDOptions(0.1));
  Trainer trainer(model, opt, TrainerOptions().epochs(1));
  EXPECT_NO_THROW(trainer.step(scale(sum(model.w()), 1e30), 0, 0));
}

TEST(Trainer, BadOptionsAndLossesAreRefused) {
  manual_seed(5);
  TinyModel model;
  SGD opt(model.parameters(), SGDOptions(0.1));
  EXPECT_TRUE(testing::contains(testing::error_of<OptionError>([&] { Trainer(model, opt, TrainerOptions().epochs(0)); }), "epochs"));
  EXPECT_TRUE(testing::contains(testing::error_of<OptionError>([&] { Trainer(model, opt, TrainerOptions().checkpoint_every(3)); }), "checkpoint"));
  EXPECT_TRUE(testing::contains(testing::error_of<OptionError>([&] { Trainer(model, opt, TrainerOptions().clip_grad_norm(-1)); }), "clip_grad_norm"));
  Trainer trainer(model, opt);
  EXPECT_TRUE(testing::contains(testing::error_of<ShapeError>([&] { trainer.step(Tensor::zeros({2})); }), "scalar"));
  SGD other(model.parameters(), SGDOptions(0.1));
  StepLR sched(other, 1, 0.5);
  EXPECT_TRUE(testing::contains(testing::error_of<OptionError>([&] { Trainer(model, opt, {}, &sched); }), "another optimizer"));
}

}  // namespace
}  // namespace birnn

namespace birnn {
namespace {

TEST(Trainer, ResumeRefusesAnotherVocabularyOrModelType) {
  set_num_threads(1);
  manual_seed(6);
  const std::string stem = temp_stem("vocab");
  {
    TinyModel model;
    SGD opt(model.parameters(), SGDOptions(0.1));
    Trainer trainer(model, opt, TrainerOptions().checkpoint(stem).vocabularies({{"tags", {"NN", "VB"}}}));
    trainer.fit(2, [&](std::int64_t, std::int64_t) { auto [x, y] = draw_batch(); return model.loss(x, y); });
  }
  TinyModel model;
  SGD opt(model.parameters(), SGDOptions(0.1));
  const std::vector<double> before = flat_weights(model);
  Trainer other_tags(model, opt, TrainerOptions().vocabularies({{"tags", {"NN", "JJ"}}}));
  const std::string msg = testing::error_of<StateDictError>([&] { other_tags.resume(stem); });
  EXPECT_TRUE(testing::contains(msg, "tags")) << msg;
  EXPECT_EQ(flat_weights(model), before);  // nothing loaded
  EXPECT_EQ(other_tags.global_step(), 0);

  // A checkpoint of another model type.
  CheckpointInfo info;
  info.model_type = "forecaster";
  save_checkpoint(stem + "_other", model, info);
  Trainer trainer(model, opt);
  const std::string msg2 = testing::error_of<StateDictError>([&] { trainer.resume(stem + "_other"); });
  EXPECT_TRUE(testing::contains(msg2, "forecaster")) << msg2;
  EXPECT_TRUE(testing::contains(msg2, TinyModel::kModelType)) << msg2;
  EXPECT_TRUE(testing::contains(testing::error_of<StateDictError>([&] { load_model<TinyModelLoadable>(stem + "_other"); }), "forecaster"));
}

}  // namespace
}  // namespace birnn

namespace birnn {
namespace {

TEST(Trainer, StopRequestSavesAndReturnsAfterTheCurrentStep) {
  set_num_threads(1);
  manual_seed(8);
  TinyModel model;
  SGD opt(model.parameters(), SGDOptions(0.1));
  const std::string stem = temp_stem("stop");
  Trainer trainer(model, opt, TrainerOptions().epochs(5).checkpoint(stem));
  trainer.fit(4, [&](std::int64_t epoch, std::int64_t b) {
    if (epoch == 1 && b == 1) trainer.request_stop();  // as a SIGINT handler would, mid-step
    auto [x, y] = draw_batch();
    return model.loss(x, y);
  });
  EXPECT_TRUE(trainer.stopped());
  EXPECT_EQ(trainer.global_step(), 6);  // the step in progress finished
  const CheckpointInfo info = read_checkpoint_info(stem);
  EXPECT_EQ(info.step, 6);
  EXPECT_EQ(info.epoch, 1);
}

}  // namespace
}  // namespace birnn
