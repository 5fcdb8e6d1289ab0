// Shared scaffolding for the ready-model tests (tests/unit/test_model_*.cpp): a temporary checkpoint,
// save + reload, the refused checkpoint of another model type, the options JSON round trip, bit equality,
// dropout only in training, float32 against float64, and training a token classifier.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "birnn/birnn.hpp"
#include "unit/test_util.hpp"

namespace birnn::testing {

/// A checkpoint path in the temp folder, unique to `name` and this process; its files are removed when it goes.
class TempCheckpoint {
 public:
  explicit TempCheckpoint(const std::string& name)
      : path_((std::filesystem::temp_directory_path() / ("birnn_" + name + "_" + std::to_string(::getpid()))).string()) {}
  ~TempCheckpoint() {
    const CheckpointFiles f = checkpoint_files(path_);
    std::error_code ec;
    for (const std::string& p : {f.weights, f.optimizer, f.sidecar}) std::filesystem::remove(p, ec);
  }
  TempCheckpoint(const TempCheckpoint&) = delete;
  TempCheckpoint& operator=(const TempCheckpoint&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// save_model(model, vocabularies) to a temporary checkpoint, then load_model<M> from it (info filled if given).
template <class M>
std::unique_ptr<M> save_and_reload(const M& model, const std::string& name,
                                   const std::map<std::string, std::vector<std::string>>& vocabularies = {},
                                   CheckpointInfo* info = nullptr) {
  const TempCheckpoint ck(name);
  save_model(ck.path(), model, vocabularies);
  return load_model<M>(ck.path(), info);
}

/// A model of another type, for the refused-checkpoint tests.
class OtherModel : public Model {
 public:
  explicit OtherModel(std::string type = "other_model") : type_(std::move(type)) {}
  std::string model_type() const override { return type_; }
  std::string config_json() const override { return "{}"; }

 private:
  std::string type_;
};

/// load_model<M> of a checkpoint saved by a model of type `other_type` throws StateDictError naming both types.
template <class M>
void expect_refuses_other_model(const std::string& other_type = "other_model") {
  SCOPED_TRACE(std::string("load_model<") + M::kModelType + "> of a '" + other_type + "' checkpoint");
  const TempCheckpoint ck(std::string(M::kModelType) + "_other");
  save_model(ck.path(), OtherModel(other_type));
  const std::string e = error_of([&] { load_model<M>(ck.path()); });
  EXPECT_TRUE(contains(e, "'" + other_type + "'") && contains(e, "'" + std::string(M::kModelType) + "'")) << e;
  EXPECT_THROW(load_model<M>(ck.path()), StateDictError);
}

/// Options -> to_json -> from_json gives back the same JSON; returns the parsed options for further checks.
template <class O>
O json_round_trip(const O& o) {
  const O back = O::from_json(o.to_json());
  EXPECT_EQ(back.to_json(), o.to_json());
  return back;
}

/// a and b have the same shape and the very same values.
inline void expect_bit_identical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.to_double_vector(), b.to_double_vector());
}

/// An int64 tensor of `shape` holding v.
inline Tensor i64(const std::vector<std::int64_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

/// lengths (B) int64 from a list.
inline Tensor lengths_of(const std::vector<std::int64_t>& v) { return i64(v, {static_cast<std::int64_t>(v.size())}); }

/// Rows [start, start + count) of t along dimension 0, as a tensor of their own.
inline Tensor rows(const Tensor& t, std::int64_t start, std::int64_t count) { return narrow(t, 0, start, count).clone(); }

/// Dropout acts in training only: two passes in eval mode are equal; two in training mode differ from each
/// other and from the eval pass. forward() runs the model once on fixed inputs. Leaves the model in eval mode.
template <class F>
void expect_dropout_only_in_training(Module& model, F&& forward) {
  model.eval();
  const std::vector<double> e1 = forward().to_double_vector(), e2 = forward().to_double_vector();
  EXPECT_EQ(e1, e2) << "eval mode: two passes differ";
  model.train();
  const std::vector<double> t1 = forward().to_double_vector(), t2 = forward().to_double_vector();
  EXPECT_NE(t1, t2) << "training mode: two passes are equal";
  EXPECT_NE(t1, e1) << "training mode: the pass equals the eval pass";
  model.eval();
}

/// The model's outputs after model.to(float64) are those in float32 within tol, element by element;
/// forward(dtype) runs the model once with its floating inputs in dtype.
template <class F>
void expect_float64_matches_float32(Module& model, F&& forward, double tol) {
  const Tensor y32 = forward(DType::f32);
  model.to(DType::f64);
  const Tensor y64 = forward(DType::f64);
  ASSERT_EQ(y64.dtype(), DType::f64);
  ASSERT_EQ(y32.shape(), y64.shape());
  for (std::int64_t i = 0; i < y32.numel(); ++i) EXPECT_NEAR(y32.item(i), y64.item(i), tol) << "element " << i;
}

/// `steps` Adam(lr) steps on loss() (a scalar of the model's parameters, e.g. on a batch it draws), with the
/// gradient norm clipped to clip_norm if that is > 0. Returns the loss of the first step and of the last.
template <class Loss>
std::pair<double, double> train_steps(Module& model, int steps, double lr, Loss&& loss, double clip_norm = 0) {
  Adam opt(model.parameters(), lr);
  double first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    Tensor l = loss();
    if (s == 0) first = l.item();
    last = l.item();
    opt.zero_grad();
    l.backward();
    if (clip_norm > 0) clip_grad_norm(model.parameters(), clip_norm);
    opt.step();
  }
  return {first, last};
}

/// Trains a token classifier (model.loss(ids, lengths, labels)) with Adam(lr) for `epochs` passes over
/// data (ids, lengths, labels) in order, `batch` items at a time. Returns the eval-mode loss over all of
/// data before and after; the model is left in training mode.
template <class M, class Data>
std::pair<double, double> train_token_classifier(M& model, const Data& data, int epochs, std::int64_t batch, double lr) {
  Adam opt(model.parameters(), lr);
  auto full_loss = [&] {
    NoGradGuard ng;
    model.eval();
    const double l = model.loss(data.ids, data.lengths, data.labels).item();
    model.train();
    return l;
  };
  const double initial = full_loss();
  const std::int64_t n = data.ids.size(0);
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (std::int64_t s = 0; s < n; s += batch) {
      Tensor loss = model.loss(rows(data.ids, s, batch), rows(data.lengths, s, batch), rows(data.labels, s, batch));
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
  return {initial, full_loss()};
}

}  // namespace birnn::testing
