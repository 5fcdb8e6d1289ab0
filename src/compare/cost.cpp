#include "birnn/compare/cost.hpp"

#include <algorithm>
#include <time.h>

#include <chrono>
#include <memory>

#include "birnn/autograd.hpp"
#include "birnn/error.hpp"
#include "birnn/loss.hpp"
#include "birnn/memory.hpp"
#include "birnn/random.hpp"

namespace birnn::compare {

namespace {
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

double median_of(std::vector<double> v) {
  if (v.empty()) throw OptionError("median of an empty sample");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {
// One model with its input, and the samples taken so far.
struct Timed {
  std::unique_ptr<CellModel> model;
  CellCost cost;
  std::vector<double> fwd, bwd;
  double cpu_total = 0, wall_total = 0;
};

void time_once(Timed& t, const Tensor& x, const Tensor& target, bool keep) {
  CellModel& model = *t.model;
  model.zero_grad();
  const std::size_t live_before = tensor_bytes_live();
  reset_peak_tensor_bytes();
  const double c0 = cpu_ms();
  auto t0 = std::chrono::steady_clock::now();
  Tensor loss = mse_loss(model.forward(x), target);
  const double f = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  loss.backward();
  const double b = ms_since(t0);
  const std::size_t peak = peak_tensor_bytes();
  const double cpu = cpu_ms() - c0;
  model.zero_grad();
  if (!keep) return;
  t.fwd.push_back(f), t.bwd.push_back(b);
  t.cpu_total += cpu, t.wall_total += f + b;
  t.cost.peak_bytes = std::max(t.cost.peak_bytes, peak > live_before ? peak - live_before : 0);
}
}  // namespace

std::vector<CellCost> measure_costs(const std::vector<CellVariant>& variants, const CostOptions& o) {
  if (o.seq_len < 1 || o.batch < 1 || o.input_size < 1 || o.hidden_size < 1 || o.reps < 1 || o.warmup < 0)
    throw OptionError("measure_cost: sizes and reps must be >= 1");
  std::vector<Timed> timed(variants.size());
  for (std::size_t i = 0; i < variants.size(); ++i) {
    manual_seed(o.seed);
    timed[i].model = make_cell_model(variants[i], o.input_size, o.hidden_size, 1);
    timed[i].model->train();
    timed[i].cost.variant = variants[i];
    timed[i].cost.parameters = timed[i].model->parameter_count();
    timed[i].cost.recurrent_parameters = timed[i].model->recurrent_parameter_count();
  }
  manual_seed(o.seed);
  Tensor x = Tensor::empty({o.seq_len, o.batch, o.input_size});
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(uniform(0, 1));
  const Tensor target = Tensor::zeros({o.batch, 1});
  for (int r = 0; r < o.warmup + o.reps; ++r)
    for (auto& t : timed) time_once(t, x, target, r >= o.warmup);
  std::vector<CellCost> out;
  for (auto& t : timed) {
    CellCost c = t.cost;
    c.forward_ms = median_of(t.fwd);
    c.backward_ms = median_of(t.bwd);
    c.cpu_share = t.wall_total > 0 ? t.cpu_total / t.wall_total : 0;
    const double step_s = (c.forward_ms + c.backward_ms) / 1e3;
    c.tokens_per_s = step_s > 0 ? static_cast<double>(o.batch * o.seq_len) / step_s : 0;
    out.push_back(c);
  }
  return out;
}

CellCost measure_cost(const CellVariant& v, const CostOptions& o) { return measure_costs({v}, o).front(); }

}  // namespace birnn::compare
