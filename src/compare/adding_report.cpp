// The adding comparison's report: table rows, claims, per-T results, gradient-flow tables, charts.
#include <cmath>
#include <cstdio>

#include "birnn/compare/adding_compare.hpp"
#include "birnn/report/claims.hpp"
#include "birnn/report/svg.hpp"

namespace birnn::compare {

namespace {
using report::fmt;

std::string task_name(std::int64_t T) { return "adding T=" + std::to_string(T); }

const char* base_label(CellKind c) { return c == CellKind::lstm ? "LSTM" : c == CellKind::gru ? "GRU" : "RNN"; }

// Largest distance whose norm is still a positive float32 number, and the mean decay per step up to it.
std::pair<std::int64_t, double> decay_per_step(const GradientFlow& g) {
  std::int64_t last = 0;
  for (std::size_t d = 1; d < g.norms.size(); ++d)
    if (g.norms[d] > 0) last = static_cast<std::int64_t>(d);
  if (last == 0 || g.norms[0] <= 0) return {0, NAN};
  return {last, std::pow(g.norms[static_cast<std::size_t>(last)] / g.norms[0], 1.0 / static_cast<double>(last))};
}

std::string flow_table(const AddingCompareOptions& o, const std::map<std::string, GradientFlow>& flows) {
  const std::int64_t T = o.resolved_flow_seq_len();
  std::vector<std::int64_t> ds;
  for (std::int64_t d : {std::int64_t{0}, std::int64_t{1}, std::int64_t{10}, T / 4, T / 2, T - 1})
    if (d < T && (ds.empty() || d > ds.back())) ds.push_back(d);
  std::vector<std::string> head{"cell"};
  for (auto d : ds) head.push_back("d=" + std::to_string(d));
  head.push_back("far/near (d=" + std::to_string(T - 1) + " / d=0)");
  head.push_back("mean factor per step");
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : o.cells) {
    auto it = flows.find(v.id());
    if (it == flows.end()) continue;
    std::vector<std::string> r{v.label()};
    for (auto d : ds) r.push_back(d < static_cast<std::int64_t>(it->second.norms.size()) ? fmt(it->second.norms[static_cast<std::size_t>(d)], 3) : "");
    r.push_back(fmt(it->second.far_over_near(), 3));
    const auto [last, f] = decay_per_step(it->second);
    if (v.bidirectional) r.push_back("(two directions)");
    else r.push_back(std::isnan(f) ? "n/a" : fmt(f, 4) + (last < T - 1 ? " (to d=" + std::to_string(last) + ", then 0)" : ""));
    rows.push_back(r);
  }
  return report::md_table(head, rows);
}

report::LineChart flow_chart(const AddingCompareOptions& o, const std::map<std::string, GradientFlow>& flows, const std::string& when) {
  report::LineChart c;
  c.title = "Gradient reaching input step t, " + when + " (T=" + std::to_string(o.resolved_flow_seq_len()) + ")";
  c.x_label = "distance from the read-out, T-1-t (steps)";
  c.y_label = "mean ||dL/dx_t|| (log scale)";
  c.log_y = true;
  for (const auto& v : o.cells) {
    auto it = flows.find(v.id());
    if (it == flows.end()) continue;
    report::Series s{v.label(), {}, {}};
    for (std::size_t d = 0; d < it->second.norms.size(); ++d) s.x.push_back(static_cast<double>(d)), s.y.push_back(it->second.norms[d]);
    c.series.push_back(std::move(s));
  }
  return c;
}
}  // namespace

report::Report adding_report(const AddingCompareOptions& o, const AddingCompareResult& res) {
  const std::int64_t flowT = o.resolved_flow_seq_len();
  const AddingConfig& c = o.config;
  report::Report rep("birnn compare adding");
  std::string ts;
  for (auto T : o.seq_lens) ts += (ts.empty() ? "" : ", ") + std::to_string(T);
  rep.add_paragraph("RNN, LSTM, GRU and their bidirectional forms on the adding problem (Hochreiter & Schmidhuber 1997; "
                    "Le et al. 2015) at T = " + ts + ", with one budget for every cell: hidden " + std::to_string(c.hidden()) +
                    " per direction, batch " + std::to_string(c.batch()) + ", at most " + std::to_string(c.steps()) +
                    " Adam steps (lr " + fmt(c.lr()) + ", gradient norm clipped at " + fmt(c.clip()) + "), fresh batches every step, " +
                    "held-out set of " + std::to_string(c.eval_size()) + " sequences evaluated every " + std::to_string(c.eval_every()) +
                    " steps" + (c.stop_when_learned() ? ", a run stops once its held-out MSE is below 0.01" : "") + ". Seed " +
                    std::to_string(c.seed()) + ", " + std::to_string(o.threads) + " thread" + (o.threads == 1 ? "" : "s") +
                    ", PyTorch's default initialisation (forget-gate bias 0). Total wall time " + fmt(res.seconds, 3) + " s.");
  rep.add_paragraph("Baseline: always predicting 1.0 gives MSE " + fmt(kAddingBaselineMse, 3) +
                    "; a cell has **learned** the problem when its best held-out MSE is below " + fmt(kAddingLearnedMse) + ".");

  // Table rows: the cost at flowT, and the best held-out MSE at flowT.
  for (const auto& cost : res.costs) {
    report::CellRow r;
    r.task = task_name(flowT);
    r.cell = cost.variant.label();
    r.base_cell = base_label(cost.variant.cell);
    r.directions = cost.variant.directions();
    r.parameters = cost.parameters;
    r.recurrent_parameters = cost.recurrent_parameters;
    r.forward_ms = cost.forward_ms, r.backward_ms = cost.backward_ms, r.tokens_per_s = cost.tokens_per_s;
    r.peak_bytes = cost.peak_bytes;
    if (const AddingResult* run = res.run(cost.variant.id(), flowT)) r.metric_name = "held-out MSE", r.metric = run->best_heldout_mse;
    rep.add_row(r);
  }

  // Claims.
  const auto& rows = rep.rows();
  rep.add_claim(report::claim_bi_doubles(rows, task_name(flowT), o.threads));
  rep.add_claim(report::claim_gru_cheaper(rows, task_name(flowT)));
  report::VanishingEvidence ev;
  ev.flow_T = flowT;
  for (auto T : o.seq_lens) {
    report::VanishingEvidence::PerT p;
    p.T = T;
    for (const char* id : {"rnn", "lstm", "gru"}) {
      const AddingResult* r = res.run(id, T);
      if (!r) continue;
      const std::string s = id;
      (s == "rnn" ? p.has_rnn : s == "lstm" ? p.has_lstm : p.has_gru) = true;
      (s == "rnn" ? p.rnn_learned : s == "lstm" ? p.lstm_learned : p.gru_learned) = r->learned;
    }
    ev.adding.push_back(p);
  }
  auto ratio = [](const std::map<std::string, GradientFlow>& m, const char* id) {
    auto it = m.find(id);
    return it == m.end() ? -1.0 : it->second.far_over_near();
  };
  ev.rnn_ratio_init = ratio(res.flow_init, "rnn"), ev.lstm_ratio_init = ratio(res.flow_init, "lstm"), ev.gru_ratio_init = ratio(res.flow_init, "gru");
  ev.rnn_ratio_trained = ratio(res.flow_trained, "rnn"), ev.lstm_ratio_trained = ratio(res.flow_trained, "lstm"),
  ev.gru_ratio_trained = ratio(res.flow_trained, "gru");
  rep.add_claim(report::claim_gates_cure(ev));
  rep.add_claim(report::claim_bi_helps(rows, "pos", report::kClaimBiHelpsTagging));

  // Adding problem per T.
  {
    std::vector<std::string> head{"cell"};
    for (auto T : o.seq_lens) head.push_back("T=" + std::to_string(T));
    std::vector<std::vector<std::string>> table;
    for (const auto& v : o.cells) {
      std::vector<std::string> row{v.label()};
      for (auto T : o.seq_lens) {
        const AddingResult* r = res.run(v.id(), T);
        if (!r) {
          row.push_back("");
          continue;
        }
        std::string s = fmt(r->best_heldout_mse, 3) + (r->learned ? " learned at step " + std::to_string(r->learned_at) : " not learned");
        s += ", " + fmt(r->seconds, 3) + " s";
        if (r->diverged) s += ", diverged";
        if (r->cut_short) s += ", cut short by the time limit";
        row.push_back(s);
      }
      table.push_back(row);
    }
    std::string body = "Best held-out MSE per cell and length (steps taken and training wall time).\n\n" + report::md_table(head, table) + "\n";
    for (auto T : o.seq_lens) body += "![held-out MSE, T=" + std::to_string(T) + "](adding_T" + std::to_string(T) + ".svg)\n";
    rep.add_section("Adding problem: which cells learn it", body);
  }

  // Gradient flow.
  {
    std::string body =
        "Mean over a batch of " + std::to_string(o.flow_batch) + " adding sequences (T=" + std::to_string(flowT) +
        ") of ||dL/dx_t||, the gradient of the squared error at the read-out (after the last step) with respect to the "
        "input at step t, against the distance d = T-1-t.\n\n"
        "This is the gradient reaching the *input* at step t, not the hidden state h_t: birnn runs a layer as one autograd "
        "op, so h_t is no node of the graph, while x_t is a leaf whose gradient autograd gives directly. It is the same "
        "picture: dL/dx_t = dL/dh_t * dh_t/dx_t, and dh_t/dx_t is a single step's Jacobian (diag(1-h_t^2) W_ih for the "
        "RNN, the gates' analogue for LSTM/GRU) that does not shrink with d; what shrinks with d is dL/dh_t, a product of "
        "d step-to-step Jacobians. For bidirectional cells the reverse direction reads x_t after t steps, so their curves "
        "rise again at large d. A norm that falls below float32's smallest normal number (about 1e-38; birnn flushes "
        "denormals to zero) is 0 and is left out of the log-scale chart.\n\n"
        "At initialisation (PyTorch's default init):\n\n" +
        flow_table(o, res.flow_init) + "\n![gradient flow at init](gradient_flow_init.svg)\n\n";
    if (!res.flow_trained.empty())
      body += "After training on the adding problem at T=" + std::to_string(flowT) + ":\n\n" + flow_table(o, res.flow_trained) +
              "\n![gradient flow after training](gradient_flow_trained.svg)\n";
    rep.add_section("Gradient flow through time", body);
  }

  rep.add_section("Cost charts", "![time per batch](cost_time.svg)\n![parameters](cost_parameters.svg)\n![peak memory](cost_memory.svg)\n");
  std::string shares;
  for (const auto& cost : res.costs) shares += (shares.empty() ? "" : ", ") + cost.variant.label() + " " + fmt(cost.cpu_share, 2);
  rep.add_section(
      "What is measured",
      "- forward ms/batch: forward in training mode with autograd recording, plus the loss (median of " +
          std::to_string(o.cost_reps) + " after a warm-up), batch " + std::to_string(c.batch()) + ", T=" + std::to_string(flowT) +
          ", 2 input features, hidden " + std::to_string(c.hidden()) +
          "; backward ms/batch: loss.backward() alone; both with std::chrono::steady_clock.\n"
          "- tokens/s: batch x T / (forward + backward) time: time steps of training per second.\n"
          "- peak memory: the highest number of bytes held by live tensors during one forward + backward, above what was "
          "live before (parameters and inputs excluded): activations and state saved for BPTT, and gradients. Counted by "
          "birnn's tensor allocator (memory.hpp), not the process RSS.\n"
          "- parameters: the whole model (recurrent layer + Linear head on the final states); claims about doubling use the "
          "recurrent layer alone.\n"
          "- CPU share while timing (process CPU time / wall time; about 1 per thread when the machine is quiet, lower "
          "means other processes took the cores and the times above are inflated): " + shares + ".");
  return rep;
}

std::vector<std::string> write_adding_report(const std::string& dir, const AddingCompareOptions& o, const AddingCompareResult& res,
                                             const report::Report& rep) {
  std::vector<std::string> written;
  auto put = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    report::write_text_file(path, text);
    written.push_back(path);
  };
  for (auto T : o.seq_lens) {
    report::LineChart c;
    c.title = "Adding problem, T=" + std::to_string(T) + ": held-out MSE";
    c.x_label = "optimizer step";
    c.y_label = "held-out MSE (log scale)";
    c.log_y = true;
    c.h_lines = {{"predict 1.0 (0.167)", kAddingBaselineMse}, {"learned (0.01)", kAddingLearnedMse}};
    for (const auto& v : o.cells)
      if (const AddingResult* r = res.run(v.id(), T)) {
        report::Series s{v.label(), {}, {}};
        for (const auto& p : r->curve) s.x.push_back(static_cast<double>(p.step)), s.y.push_back(p.heldout_mse);
        c.series.push_back(std::move(s));
      }
    put("adding_T" + std::to_string(T) + ".svg", report::render_svg(c));
  }
  put("gradient_flow_init.svg", report::render_svg(flow_chart(o, res.flow_init, "at initialisation")));
  if (!res.flow_trained.empty()) put("gradient_flow_trained.svg", report::render_svg(flow_chart(o, res.flow_trained, "after training")));
  std::vector<std::string> cats;
  report::Series fwd{"forward", {}, {}}, bwd{"backward", {}, {}}, params{"parameters", {}, {}}, mem{"peak memory (MiB)", {}, {}};
  for (const auto& r : rep.rows()) {
    if (r.task != task_name(o.resolved_flow_seq_len())) continue;
    cats.push_back(r.cell);
    fwd.y.push_back(r.forward_ms), bwd.y.push_back(r.backward_ms);
    params.y.push_back(static_cast<double>(r.parameters));
    mem.y.push_back(static_cast<double>(r.peak_bytes) / (1024.0 * 1024.0));
  }
  put("cost_time.svg", report::render_svg(report::BarChart{"Time per batch", "ms", cats, {fwd, bwd}}));
  put("cost_parameters.svg", report::render_svg(report::BarChart{"Parameters", "count", cats, {params}}));
  put("cost_memory.svg", report::render_svg(report::BarChart{"Peak tensor memory per training step", "MiB", cats, {mem}}));
  put("report.md", rep.render());
  return written;
}

}  // namespace birnn::compare
