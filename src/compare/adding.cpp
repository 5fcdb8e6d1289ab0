#include "birnn/compare/adding.hpp"

#include <chrono>
#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/error.hpp"
#include "birnn/loss.hpp"
#include "birnn/optim.hpp"
#include "birnn/random.hpp"

namespace birnn::compare {

namespace {
// Uniform in [0, 1) from the top 53 bits: the same on every platform (std::uniform_real_distribution is not).
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
// Uniform integer in [0, n) by rejection (unbiased, platform-independent).
std::int64_t below(std::mt19937_64& rng, std::int64_t n) {
  const std::uint64_t un = static_cast<std::uint64_t>(n), limit = UINT64_MAX - UINT64_MAX % un;
  std::uint64_t r;
  do r = rng();
  while (r >= limit);
  return static_cast<std::int64_t>(r % un);
}
}  // namespace

AddingData make_adding_batch(std::int64_t T, std::int64_t B, std::mt19937_64& rng) {
  if (T < 2) throw OptionError("adding problem: T must be >= 2, got " + std::to_string(T));
  if (B < 1) throw OptionError("adding problem: batch must be >= 1, got " + std::to_string(B));
  AddingData d;
  d.x = Tensor::zeros({T, B, 2});
  d.y = Tensor::zeros({B, 1});
  float* x = d.x.data<float>();
  float* y = d.y.data<float>();
  const std::int64_t half = T / 2;
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t t = 0; t < T; ++t) x[(t * B + b) * 2] = static_cast<float>(unit(rng));
    const std::int64_t i = below(rng, half), j = half + below(rng, T - half);
    x[(i * B + b) * 2 + 1] = 1.0f;
    x[(j * B + b) * 2 + 1] = 1.0f;
    y[b] = x[(i * B + b) * 2] + x[(j * B + b) * 2];
    d.first.push_back(i), d.second.push_back(j);
  }
  return d;
}

void AddingConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw OptionError("adding problem: " + what);
  };
  need(seq_len_ >= 2, "T must be >= 2, got " + std::to_string(seq_len_));
  need(hidden_ >= 1, "hidden must be >= 1");
  need(batch_ >= 1, "batch must be >= 1");
  need(steps_ >= 1, "steps must be >= 1");
  need(eval_every_ >= 1, "eval_every must be >= 1");
  need(eval_size_ >= 1, "eval_size must be >= 1");
  need(std::isfinite(lr_) && lr_ > 0, "lr must be > 0");
  need(std::isfinite(clip_) && clip_ >= 0, "clip must be >= 0");
  need(std::isfinite(time_limit_s_) && time_limit_s_ >= 0, "time limit must be >= 0");
}

double adding_mse(CellModel& model, const AddingData& data) {
  NoGradGuard ng;
  const bool was_training = model.is_training();
  model.eval();
  const double mse = mse_loss(model.forward(data.x), data.y).item();
  model.train(was_training);
  return mse;
}

std::unique_ptr<CellModel> make_adding_model(const CellVariant& v, const AddingConfig& c) {
  c.validate();
  manual_seed(c.seed());
  return make_cell_model(v, 2, c.hidden(), 1);
}

AddingResult train_adding(const CellVariant& v, const AddingConfig& c, const AddingProgress& progress) {
  auto model = make_adding_model(v, c);
  return train_adding(*model, c, progress);
}

AddingResult train_adding(CellModel& m, const AddingConfig& c, const AddingProgress& progress) {
  c.validate();
  CellModel* model = &m;
  const CellVariant v = m.variant();
  std::mt19937_64 data_rng(c.seed() * 0x9E3779B97F4A7C15ull + 1), eval_rng(c.seed() * 0x9E3779B97F4A7C15ull + 2);
  const AddingData heldout = make_adding_batch(c.seq_len(), c.eval_size(), eval_rng);
  Adam opt(model->parameters(), AdamOptions(c.lr()));

  AddingResult r;
  r.variant = v;
  r.seq_len = c.seq_len();
  r.parameters = model->parameter_count();
  r.best_heldout_mse = r.final_heldout_mse = adding_mse(*model, heldout);
  r.curve.push_back({0, std::nan(""), r.final_heldout_mse});
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  double train_sum = 0;
  std::int64_t train_n = 0;
  model->train();
  for (std::int64_t step = 1; step <= c.steps(); ++step) {
    const AddingData batch = make_adding_batch(c.seq_len(), c.batch(), data_rng);
    opt.zero_grad();
    Tensor loss = mse_loss(model->forward(batch.x), batch.y);
    const double l = loss.item();
    if (!std::isfinite(l)) {
      r.diverged = true;
      break;
    }
    loss.backward();
    if (c.clip() > 0) clip_grad_norm(model->parameters(), c.clip());
    opt.step();
    r.steps_done = step;
    train_sum += l, ++train_n;
    const bool out_of_time = c.time_limit_s() > 0 && elapsed() >= c.time_limit_s();
    if (step % c.eval_every() == 0 || step == c.steps() || out_of_time) {
      const double mse = adding_mse(*model, heldout);
      AddingPoint p{step, train_sum / static_cast<double>(train_n), mse};
      train_sum = 0, train_n = 0;
      r.curve.push_back(p);
      r.final_heldout_mse = mse;
      if (mse < r.best_heldout_mse) r.best_heldout_mse = mse;
      if (mse < kAddingLearnedMse && r.learned_at < 0) r.learned_at = step;
      if (progress) progress(r, p);
      if (mse < kAddingLearnedMse && c.stop_when_learned()) break;
      if (out_of_time) {
        r.cut_short = step < c.steps();
        break;
      }
    }
  }
  r.learned = r.best_heldout_mse < kAddingLearnedMse;
  r.seconds = elapsed();
  return r;
}

}  // namespace birnn::compare
