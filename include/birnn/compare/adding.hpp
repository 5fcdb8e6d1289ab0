// The adding problem (Hochreiter & Schmidhuber 1997; the form of Le, Jaitly & Hinton 2015): a long-range
// memory test for recurrent cells.
//
// Each sequence has T steps of 2 features: a value drawn uniformly from [0, 1) and a marker (0 or 1).
// Exactly two steps are marked, one drawn uniformly from the first half [0, T/2) and one from the second
// half [T/2, T). The target is the sum of the two marked values. Predicting the mean, 1.0, gives MSE
// Var(u1 + u2) = 2/12 ≈ 0.167 (the baseline); a cell "learns" the problem when its held-out MSE falls below
// 0.01. The first marker can be up to T-1 steps before the read-out, so solving it needs memory across
// ~T/2..T steps.
//
//   AddingData d = make_adding_batch(200, 64, rng);      // d.x (T, B, 2), d.y (B, 1)
//   AddingResult r = train_adding(parse_cell_variant("lstm"), AddingConfig().seq_len(200));
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "birnn/compare/cells.hpp"
#include "birnn/tensor.hpp"

namespace birnn::compare {

/// MSE of always predicting 1.0 (= Var(u1 + u2) for u ~ U[0, 1)).
constexpr double kAddingBaselineMse = 2.0 / 12.0;
/// Held-out MSE below which a cell counts as having learned the problem.
constexpr double kAddingLearnedMse = 0.01;

struct AddingData {
  Tensor x;  ///< (T, B, 2): [value, marker]
  Tensor y;  ///< (B, 1): the sum of the two marked values
  std::vector<std::int64_t> first, second;  ///< the marked steps of each item (first < T/2 <= second)
};

/// One batch drawn from `rng` (its own stream: the library generator is not touched). T >= 2, B >= 1.
AddingData make_adding_batch(std::int64_t T, std::int64_t B, std::mt19937_64& rng);

/// Budget and hyperparameters of one adding-problem run. Chainable setters.
class AddingConfig {
 public:
  /// Sequence length T (>= 2).
  AddingConfig& seq_len(std::int64_t v) { seq_len_ = v; return *this; }
  /// Hidden units per direction.
  AddingConfig& hidden(std::int64_t v) { hidden_ = v; return *this; }
  /// Sequences per optimizer step (fresh ones every step).
  AddingConfig& batch(std::int64_t v) { batch_ = v; return *this; }
  /// Optimizer steps at most.
  AddingConfig& steps(std::int64_t v) { steps_ = v; return *this; }
  /// Adam learning rate.
  AddingConfig& lr(double v) { lr_ = v; return *this; }
  /// Global gradient-norm clip (0 = none).
  AddingConfig& clip(double v) { clip_ = v; return *this; }
  /// Evaluate on the held-out set every N steps (and after the last).
  AddingConfig& eval_every(std::int64_t v) { eval_every_ = v; return *this; }
  /// Held-out sequences (fixed for the run, drawn from a seed of their own).
  AddingConfig& eval_size(std::int64_t v) { eval_size_ = v; return *this; }
  /// Seed of init, training batches and held-out set.
  AddingConfig& seed(std::uint64_t v) { seed_ = v; return *this; }
  /// Stop as soon as the held-out MSE is below kAddingLearnedMse (saves the rest of the budget).
  AddingConfig& stop_when_learned(bool v) { stop_when_learned_ = v; return *this; }
  /// Stop when this many seconds of training have passed (0 = no limit); the run is then marked cut short.
  AddingConfig& time_limit_s(double v) { time_limit_s_ = v; return *this; }

  std::int64_t seq_len() const { return seq_len_; }
  std::int64_t hidden() const { return hidden_; }
  std::int64_t batch() const { return batch_; }
  std::int64_t steps() const { return steps_; }
  double lr() const { return lr_; }
  double clip() const { return clip_; }
  std::int64_t eval_every() const { return eval_every_; }
  std::int64_t eval_size() const { return eval_size_; }
  std::uint64_t seed() const { return seed_; }
  bool stop_when_learned() const { return stop_when_learned_; }
  double time_limit_s() const { return time_limit_s_; }
  /// OptionError naming the field.
  void validate() const;

 private:
  std::int64_t seq_len_ = 200, hidden_ = 64, batch_ = 64, steps_ = 3000, eval_every_ = 100, eval_size_ = 512;
  double lr_ = 1e-2, clip_ = 1.0, time_limit_s_ = 0;
  std::uint64_t seed_ = 1;
  bool stop_when_learned_ = true;
};

struct AddingPoint {
  std::int64_t step = 0;     ///< optimizer steps done
  double train_mse = 0;      ///< mean training-batch MSE since the previous point
  double heldout_mse = 0;    ///< MSE on the held-out set
};

struct AddingResult {
  CellVariant variant;
  std::int64_t seq_len = 0, parameters = 0, steps_done = 0;
  std::vector<AddingPoint> curve;
  double best_heldout_mse = 0, final_heldout_mse = 0;
  bool learned = false;           ///< best held-out MSE < kAddingLearnedMse
  std::int64_t learned_at = -1;   ///< first evaluated step with held-out MSE < kAddingLearnedMse, or -1
  bool cut_short = false;         ///< stopped by the time limit before the step budget
  bool diverged = false;          ///< a loss became NaN/Inf (training stopped there)
  double seconds = 0;             ///< wall time of the training loop, evaluations included
};

/// Called after each evaluation (progress lines).
using AddingProgress = std::function<void(const AddingResult& so_far, const AddingPoint& point)>;

/// The model a run starts from: manual_seed(config.seed()), then a CellModel with 2 inputs, 1 output.
std::unique_ptr<CellModel> make_adding_model(const CellVariant& v, const AddingConfig& config);

/// Trains `model` (from make_adding_model) on fresh batches with Adam + clipping and evaluates on a fixed
/// held-out set. Deterministic for a given config and thread count.
AddingResult train_adding(CellModel& model, const AddingConfig& config, const AddingProgress& progress = {});
/// make_adding_model + train_adding.
AddingResult train_adding(const CellVariant& v, const AddingConfig& config, const AddingProgress& progress = {});

/// MSE of `model` on `data`, without recording a graph.
double adding_mse(CellModel& model, const AddingData& data);

}  // namespace birnn::compare
