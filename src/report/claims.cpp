#include "birnn/report/claims.hpp"

#include <algorithm>
#include <cmath>

namespace birnn::report {

namespace {
const CellRow* find(const std::vector<CellRow>& rows, const std::string& task, const std::string& base, std::int64_t dirs) {
  for (const auto& r : rows)
    if (r.task == task && r.base_cell == base && r.directions == dirs) return &r;
  return nullptr;
}
double step_ms(const CellRow& r) { return r.forward_ms + r.backward_ms; }
}  // namespace

Claim claim_bi_doubles(const std::vector<CellRow>& rows, const std::string& task, int threads) {
  Claim c{kClaimBiDoubles, Verdict::not_measured, ""};
  bool any = false, all_ok = true;
  std::string ev;
  for (const char* base : {"RNN", "LSTM", "GRU"}) {
    const CellRow* u = find(rows, task, base, 1);
    const CellRow* b = find(rows, task, base, 2);
    if (!u || !b || u->recurrent_parameters == 0 || step_ms(*u) <= 0) continue;
    any = true;
    const double pr = static_cast<double>(b->recurrent_parameters) / static_cast<double>(u->recurrent_parameters);
    const double tr = step_ms(*b) / step_ms(*u);
    const bool ok = std::fabs(pr - 2.0) <= 0.04 && tr >= 1.5 && tr <= 2.5;
    all_ok = all_ok && ok;
    ev += std::string(ev.empty() ? "" : "; ") + "Bi" + base + "/" + base + ": recurrent parameters x" + fmt(pr, 3) +
          ", forward+backward time x" + fmt(tr, 3);
  }
  if (!any) {
    c.evidence = "needs a unidirectional and a bidirectional row of the same cell on " + task + ".";
    return c;
  }
  c.verdict = all_ok ? Verdict::confirmed : Verdict::not_confirmed;
  c.evidence = ev + " (" + task + ", " + std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") + "). " +
               (threads > 1 ? "With 2+ threads birnn runs the two directions at once, so wall time can grow less than the work. " : "") +
               "The recurrent layer has exactly twice the weights; the head on the concatenated states grows too.";
  return c;
}

Claim claim_gru_cheaper(const std::vector<CellRow>& rows, const std::string& task) {
  Claim c{kClaimGruCheaper, Verdict::not_measured, ""};
  const CellRow* l = find(rows, task, "LSTM", 1);
  const CellRow* g = find(rows, task, "GRU", 1);
  if (!l || !g) {
    c.evidence = "needs LSTM and GRU rows on " + task + ".";
    return c;
  }
  const double pr = static_cast<double>(g->recurrent_parameters) / static_cast<double>(std::max<std::int64_t>(1, l->recurrent_parameters));
  const double fr = g->forward_ms / l->forward_ms, br = g->backward_ms / l->backward_ms, tr = step_ms(*g) / step_ms(*l);
  const bool ok = pr < 1 && tr < 1;
  c.verdict = ok ? Verdict::confirmed : Verdict::not_confirmed;
  c.evidence = "GRU/LSTM on " + task + ": recurrent parameters x" + fmt(pr, 3) + " (3 gates against 4), forward time x" +
               fmt(fr, 3) + ", backward x" + fmt(br, 3) + ", forward+backward x" + fmt(tr, 3) + ", peak memory x" +
               fmt(static_cast<double>(g->peak_bytes) / static_cast<double>(std::max<std::size_t>(1, l->peak_bytes)), 3) + ".";
  return c;
}

Claim claim_gates_cure(const VanishingEvidence& e) {
  Claim c{kClaimGatesCure, Verdict::not_measured, ""};
  std::string ev;
  bool separated = false, any = false;
  for (const auto& p : e.adding) {
    if (!(p.has_rnn && p.has_lstm && p.has_gru)) continue;
    any = true;
    auto yn = [](bool b) { return b ? "learned" : "not learned"; };
    ev += std::string(ev.empty() ? "" : "; ") + "T=" + std::to_string(p.T) + ": RNN " + yn(p.rnn_learned) + ", LSTM " +
          yn(p.lstm_learned) + ", GRU " + yn(p.gru_learned);
    if (p.lstm_learned && p.gru_learned && !p.rnn_learned) separated = true;
  }
  if (!any) {
    c.evidence = "needs adding-problem runs of RNN, LSTM and GRU.";
    return c;
  }
  ev = "Adding problem (held-out MSE < 0.01): " + ev + ".";
  bool flow_ok = true;
  if (e.rnn_ratio_trained >= 0 && e.lstm_ratio_trained >= 0 && e.gru_ratio_trained >= 0) {
    flow_ok = e.lstm_ratio_trained > e.rnn_ratio_trained && e.gru_ratio_trained > e.rnn_ratio_trained;
    ev += " Gradient reaching the first input step relative to the last (T=" + std::to_string(e.flow_T) + "), after training: RNN " +
          fmt(e.rnn_ratio_trained, 2) + ", LSTM " + fmt(e.lstm_ratio_trained, 2) + ", GRU " + fmt(e.gru_ratio_trained, 2);
    if (e.rnn_ratio_init >= 0)
      ev += "; at initialisation: RNN " + fmt(e.rnn_ratio_init, 2) + ", LSTM " + fmt(e.lstm_ratio_init, 2) + ", GRU " +
            fmt(e.gru_ratio_init, 2);
    ev += ".";
    if (e.lstm_ratio_init >= 0 && e.gru_ratio_init >= 0 && e.lstm_ratio_init < 1e-3 && e.gru_ratio_init < 1e-3)
      ev += " At initialisation the gated cells' gradient vanishes over the sequence too (PyTorch's init leaves the "
            "forget/update gates near 0.5, so each step keeps about half); training opens the gates, which the plain "
            "RNN has no way to do.";
  }
  c.verdict = separated && flow_ok ? Verdict::confirmed : Verdict::not_confirmed;
  if (!separated) ev += " No length separated the gated cells from the RNN within this budget.";
  c.evidence = ev;
  return c;
}

Claim claim_bi_helps(const std::vector<CellRow>& rows, const std::string& task, const std::string& claim_text) {
  Claim c{claim_text, Verdict::not_measured, ""};
  std::string ev;
  int better = 0, compared = 0;
  bool any_se = false;
  for (const char* base : {"RNN", "LSTM", "GRU"}) {
    const CellRow* u = find(rows, task, base, 1);
    const CellRow* b = find(rows, task, base, 2);
    if (!u || !b || u->metric_name.empty()) continue;
    ++compared;
    const double gain = u->higher_is_better ? b->metric - u->metric : u->metric - b->metric;
    ev += std::string(ev.empty() ? "" : "; ") + "Bi" + base + " " + fmt(b->metric, 4) + " vs " + base + " " + fmt(u->metric, 4);
    const std::int64_t n = std::min(u->metric_count, b->metric_count);
    const bool proportion = n > 0 && u->metric >= 0 && u->metric <= 1 && b->metric >= 0 && b->metric <= 1;
    if (proportion) {
      // Binomial standard error of the difference of two accuracies over n trials each (independent
      // trials assumed; the rows share their test items, which makes this conservative).
      const double se = std::sqrt(u->metric * (1 - u->metric) / static_cast<double>(n) + b->metric * (1 - b->metric) / static_cast<double>(n));
      any_se = true;
      better += gain > 2 * se;
      ev += " (margin " + fmt(100 * gain, 3) + " points, 2 SE = " + fmt(200 * se, 2) + " points: " +
            (gain > 2 * se ? "larger" : "not larger") + ")";
    } else {
      better += gain > 0;
    }
  }
  if (compared == 0) {
    c.evidence = "needs the " + task + " task's rows (a cell and its bidirectional form with a held-out metric): `birnn compare " +
                 task + "` measures them.";
    return c;
  }
  c.verdict = better == compared ? Verdict::confirmed : Verdict::not_confirmed;
  c.evidence = ev + " (" + task + (any_se ? "; rule: every Bi form beats its one-direction form by more than twice the binomial "
                                           "standard error of the difference on the held-out count" : "") + ").";
  return c;
}

}  // namespace birnn::report
