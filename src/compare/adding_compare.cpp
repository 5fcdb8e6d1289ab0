#include "birnn/compare/adding_compare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "birnn/error.hpp"
#include "birnn/report/markdown.hpp"

namespace birnn::compare {

std::int64_t AddingCompareOptions::resolved_flow_seq_len() const {
  if (flow_seq_len > 0) return flow_seq_len;
  if (std::find(seq_lens.begin(), seq_lens.end(), 200) != seq_lens.end()) return 200;
  return seq_lens.empty() ? 200 : *std::max_element(seq_lens.begin(), seq_lens.end());
}

void AddingCompareOptions::validate() const {
  if (seq_lens.empty()) throw OptionError("compare adding: no sequence length given");
  for (auto T : seq_lens)
    if (T < 2 || T > 100000) throw OptionError("compare adding: T must be in 2..100000, got " + std::to_string(T));
  if (cells.empty()) throw OptionError("compare adding: no cell given");
  if (flow_batch < 1) throw OptionError("compare adding: flow batch must be >= 1");
  if (cost_reps < 1) throw OptionError("compare adding: cost repetitions must be >= 1");
  config.validate();
}

const AddingResult* AddingCompareResult::run(const std::string& cell_id, std::int64_t T) const {
  for (const auto& r : runs)
    if (r.variant.id() == cell_id && r.seq_len == T) return &r;
  return nullptr;
}

AddingCompareResult run_adding_compare(const AddingCompareOptions& o, const LogFn& log) {
  o.validate();
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t flow_T = o.resolved_flow_seq_len();
  AddingCompareResult res;
  std::mt19937_64 flow_rng(o.config.seed() + 777);
  const AddingData flow_data = make_adding_batch(flow_T, o.flow_batch, flow_rng);

  {
    CostOptions co;
    co.seq_len = flow_T, co.batch = o.config.batch(), co.input_size = 2, co.hidden_size = o.config.hidden();
    co.reps = o.cost_reps, co.seed = o.config.seed();
    res.costs = measure_costs(o.cells, co);
    for (const CellCost& c : res.costs)
      say(c.variant.label() + ": " + std::to_string(c.parameters) + " parameters, forward " + report::fmt(c.forward_ms) +
          " ms, backward " + report::fmt(c.backward_ms) + " ms per batch (B=" + std::to_string(co.batch) + ", T=" +
          std::to_string(flow_T) + "), CPU share " + report::fmt(c.cpu_share, 2));
  }
  for (const auto& v : o.cells) {
    bool flow_done = false;
    for (std::int64_t T : o.seq_lens) {
      AddingConfig cfg = o.config;
      cfg.seq_len(T);
      auto model = make_adding_model(v, cfg);
      if (T == flow_T) res.flow_init[v.id()] = gradient_flow(*model, flow_data);
      AddingResult r = train_adding(*model, cfg, [&](const AddingResult& so_far, const AddingPoint& p) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "  %s T=%lld step %lld: train MSE %.4f, held-out MSE %.4f", v.label().c_str(),
                      static_cast<long long>(T), static_cast<long long>(p.step), p.train_mse, p.heldout_mse);
        say(buf);
      });
      if (T == flow_T && !flow_done) {
        res.flow_trained[v.id()] = gradient_flow(*model, flow_data);
        flow_done = true;
      }
      say(v.label() + " T=" + std::to_string(T) + ": best held-out MSE " + report::fmt(r.best_heldout_mse, 3) +
          (r.learned ? " (learned at step " + std::to_string(r.learned_at) + ")" : " (not learned)") + " in " +
          report::fmt(r.seconds, 3) + " s, " + std::to_string(r.steps_done) + " steps");
      res.runs.push_back(std::move(r));
    }
    if (!flow_done) {  // flow T not among the trained lengths: the init picture only
      auto model = make_adding_model(v, AddingConfig(o.config).seq_len(flow_T));
      res.flow_init[v.id()] = gradient_flow(*model, flow_data);
    }
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace birnn::compare
