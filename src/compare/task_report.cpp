// The report of `birnn compare TASK`: table rows, claims, training and held-out results, the
// bidirectional margins against their standard errors, charts and how everything was measured.
#include <cmath>

#include "birnn/compare/task_compare.hpp"
#include "birnn/report/claims.hpp"
#include "birnn/report/svg.hpp"

namespace birnn::compare {

namespace {
using report::fmt;

const char* base_label(CellKind c) { return c == CellKind::lstm ? "LSTM" : c == CellKind::gru ? "GRU" : "RNN"; }

bool is_proportion(const TaskRun& r) {
  const double v = r.test.primary_value();
  return r.test.higher_is_better && r.test.count > 0 && v >= 0 && v <= 1;
}

std::string claim_text(const std::string& task) {
  return task == "pos" ? report::kClaimBiHelpsTagging : "Bi helps " + task;
}

std::string metric_or_empty(const tasks::EvalResult& r, const std::string& name, int digits) {
  for (const auto& [n, v] : r.metrics)
    if (n == name) return fmt(v, digits);
  return "";
}

std::string joined(const std::vector<EpochRecord>& es, double EpochRecord::*field, int digits) {
  std::string s;
  for (const auto& e : es) s += (s.empty() ? "" : ", ") + fmt(e.*field, digits);
  return s;
}

std::string budget(const TaskCompareOptions& o, const TaskCompareResult& res) {
  const tasks::TrainConfig& c = res.config;
  std::string data = c.data.empty() ? (o.task == "pos" ? "the Brown corpus (held out: every 10th file, as `birnn train pos`)"
                                                       : "the task's data set")
                                    : "`" + c.data + "`";
  std::string s = "Data: " + data + "; " +
                  (c.limit > 0 ? "the first " + std::to_string(c.limit) + " examples of the training part (dev carved from them)"
                               : "the whole training part") +
                  ". Budget of every form: " + std::to_string(c.epochs) + " epoch" + (c.epochs == 1 ? "" : "s") + ", hidden " +
                  std::to_string(c.hidden) + " per direction, " + std::to_string(c.layers) + " layer" + (c.layers == 1 ? "" : "s") +
                  ", embedding " + std::to_string(c.embedding) + ", batch " + std::to_string(c.batch) + ", " + c.optimizer + " lr " +
                  fmt(c.lr) + ", gradient norm clipped at " + fmt(c.clip) + ", dropout " + fmt(c.dropout) + ", seed " +
                  std::to_string(c.seed) + ", " + std::to_string(o.threads) + " thread" + (o.threads == 1 ? "" : "s") + ".";
  return s;
}

report::CellRow row_of(const std::string& task, const TaskRun& r) {
  report::CellRow row;
  row.task = task;
  row.cell = r.variant.label();
  row.base_cell = base_label(r.variant.cell);
  row.directions = r.variant.directions();
  row.parameters = r.parameters;
  row.recurrent_parameters = r.recurrent_parameters;
  row.forward_ms = r.forward_ms, row.backward_ms = r.backward_ms, row.tokens_per_s = r.tokens_per_s;
  row.peak_bytes = r.peak_bytes;
  row.metric_name = "held-out " + r.test.primary;
  row.metric = r.test.primary_value();
  row.higher_is_better = r.test.higher_is_better;
  row.metric_count = r.test.count;
  return row;
}

std::string results_table(const TaskCompareResult& res) {
  std::vector<std::vector<std::string>> rows;
  std::string primary = res.runs.empty() ? "metric" : res.runs.front().test.primary;
  for (const auto& r : res.runs) {
    const double v = r.test.primary_value();
    const std::string se = is_proportion(r) ? fmt(100 * std::sqrt(v * (1 - v) / static_cast<double>(r.test.count)), 2) + " points" : "";
    rows.push_back({r.variant.label(), joined(r.epochs, &EpochRecord::train_loss, 4), joined(r.epochs, &EpochRecord::dev, 4),
                    std::to_string(r.best_epoch), fmt(v, 4), se, r.test.count > 0 ? std::to_string(r.test.count) : "",
                    metric_or_empty(r.test, "baseline", 4), fmt(r.train_seconds, 3) + " (" + fmt(r.train_cpu_seconds, 3) + " CPU)"});
  }
  return report::md_table({"cell", "train loss per epoch", "dev " + primary + " per epoch", "best dev epoch", "held-out " + primary,
                           "1 SE", "held-out count", "baseline", "training s"},
                          rows);
}

std::string margins_table(const TaskCompareResult& res) {
  std::vector<std::vector<std::string>> rows;
  for (CellKind k : {CellKind::rnn_tanh, CellKind::lstm, CellKind::gru}) {
    const TaskRun* u = res.run(CellVariant{k, false}.id());
    const TaskRun* b = res.run(CellVariant{k, true}.id());
    if (!u || !b) continue;
    const double pu = u->test.primary_value(), pb = b->test.primary_value();
    const double gain = u->test.higher_is_better ? pb - pu : pu - pb;
    if (is_proportion(*u) && is_proportion(*b)) {
      const double se = accuracy_difference_se(pu, pb, std::min(u->test.count, b->test.count));
      rows.push_back({base_label(k), fmt(pu, 4), fmt(pb, 4), fmt(100 * gain, 3) + " points", fmt(200 * se, 2) + " points",
                      gain > 2 * se ? "yes" : "no"});
    } else {
      rows.push_back({base_label(k), fmt(pu, 4), fmt(pb, 4), fmt(gain, 3), "", gain > 0 ? "better" : "not better"});
    }
  }
  if (rows.empty()) return "";
  return report::md_table({"cell", "one direction", "bidirectional", "margin", "2 SE of the difference", "margin > 2 SE"}, rows);
}

const CellCost* layer_cost(const TaskCompareResult& res, const CellVariant& v) {
  for (const auto& c : res.layer_costs)
    if (c.variant.id() == v.id()) return &c;
  return nullptr;
}

double step_ms(const CellCost& c) { return c.forward_ms + c.backward_ms; }
double step_ms(const TaskRun& r) { return r.forward_ms + r.backward_ms; }

std::string layer_sizes(const TaskCompareResult& res) {
  const CostOptions& c = res.layer_cost_options;
  return "input " + std::to_string(c.input_size) + ", hidden " + std::to_string(c.hidden_size) + ", batch " + std::to_string(c.batch) +
         ", T = " + std::to_string(c.seq_len);
}

// The doubling claim is about the recurrent layer; the table's times are whole training steps. Say both.
void add_layer_evidence(report::Claim& claim, const std::string& task, const TaskCompareResult& res) {
  if (res.layer_costs.empty() || claim.verdict == report::Verdict::not_measured) return;
  std::string ratios, shares;
  bool doubles = true;
  for (CellKind k : {CellKind::rnn_tanh, CellKind::lstm, CellKind::gru}) {
    const CellCost* u = layer_cost(res, CellVariant{k, false});
    const CellCost* b = layer_cost(res, CellVariant{k, true});
    const TaskRun* ru = res.run(CellVariant{k, false}.id());
    if (!u || !b || step_ms(*u) <= 0) continue;
    const double ratio = step_ms(*b) / step_ms(*u);
    doubles = doubles && ratio >= 1.5 && ratio <= 2.5;
    ratios += std::string(ratios.empty() ? "" : ", ") + "Bi" + base_label(k) + "/" + base_label(k) + " x" + fmt(ratio, 3);
    if (ru && step_ms(*ru) > 0)
      shares += std::string(shares.empty() ? "" : ", ") + base_label(k) + " " + fmt(100 * step_ms(*u) / step_ms(*ru), 2) + "%";
  }
  if (ratios.empty()) return;
  claim.evidence += " Those times are whole training steps of the " + task + " model. The recurrent layer alone, timed apart at its sizes (" +
                    layer_sizes(res) + "), gives forward+backward " + ratios + (shares.empty() ? "" : "; it is " + shares +
                    " of the one-direction model's step") +
                    (doubles ? ": the layer's compute doubles; the rest of the model costs the same in both forms." : ".");
}

std::string layer_table(const TaskCompareResult& res) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : res.layer_costs) {
    const TaskRun* r = res.run(c.variant.id());
    rows.push_back({c.variant.label(), std::to_string(c.recurrent_parameters), fmt(c.forward_ms), fmt(c.backward_ms),
                    r && step_ms(*r) > 0 ? fmt(100 * step_ms(c) / step_ms(*r), 2) + "%" : "", fmt(c.cpu_share, 2)});
  }
  return report::md_table({"cell", "recurrent parameters", "layer forward ms", "layer backward ms", "share of the model's step",
                           "CPU share"},
                          rows);
}

}  // namespace

report::Report task_report(const TaskCompareOptions& o, const TaskCompareResult& res) {
  report::Report rep("birnn compare " + o.task);
  rep.add_paragraph("RNN (tanh), LSTM, GRU and their bidirectional forms as the recurrent layer of the `" + o.task +
                    "` task's model (" + tasks::make_task(o.task)->description() +
                    "), everything else unchanged. Every form is trained with the same budget; after each epoch it is "
                    "evaluated on dev, and the held-out metric is taken with the weights of its best dev epoch. " +
                    budget(o, res) + " Total wall time " + fmt(res.seconds, 3) + " s.");
  for (const auto& r : res.runs) rep.add_row(row_of(o.task, r));
  const auto& rows = rep.rows();
  report::Claim doubles = report::claim_bi_doubles(rows, o.task, o.threads);
  add_layer_evidence(doubles, o.task, res);
  rep.add_claim(doubles);
  rep.add_claim(report::claim_gru_cheaper(rows, o.task));
  rep.add_claim(report::claim_bi_helps(rows, o.task, claim_text(o.task)));

  rep.add_section("Training and held-out results",
                  "Per form: mean training loss and dev " + (res.runs.empty() ? std::string("metric") : res.runs.front().test.primary) +
                      " after each epoch, the epoch whose weights are evaluated on the held-out part, the held-out result with its "
                      "binomial standard error sqrt(p(1-p)/n) over the held-out count n, the task's baseline (pos: the most frequent "
                      "tag of each word) and the training time (evaluation excluded).\n\n" +
                      results_table(res) + "\n![training loss](" + o.task + "_loss.svg)\n![dev metric per epoch](" + o.task +
                      "_dev.svg)\n![held-out result](" + o.task + "_heldout.svg)\n");
  const std::string margins = margins_table(res);
  if (!margins.empty())
    rep.add_section("Bidirectional against one direction",
                    "The rule for \"" + claim_text(o.task) +
                        "\": every bidirectional form must beat its one-direction form on the held-out metric by more than twice "
                        "the binomial standard error of the difference, sqrt(p1(1-p1)/n + p2(1-p2)/n) over the n held-out " +
                        res.unit + " (it treats the " + res.unit +
                        " as independent trials; both forms are scored on the same ones, so a paired test would be sharper, and "
                        "words of one sentence are not independent, which makes it looser). One run per form: seed-to-seed "
                        "variation is not in this error.\n\n" +
                        margins);
  if (!res.layer_costs.empty())
    rep.add_section("The recurrent layer alone",
                    "The same six recurrent layers timed apart at the sizes they have in the model (" + layer_sizes(res) +
                        ", T the mean sentence length of the timed batches, every sequence full length) with a linear read-out "
                        "and an MSE loss (compare/cost.hpp; interleaved, medians), against the model's whole training step "
                        "above.\n\n" + layer_table(res));
  rep.add_section("Cost charts", "![time per batch](cost_time.svg)\n![throughput](cost_throughput.svg)\n![parameters](cost_parameters.svg)\n"
                                 "![peak memory](cost_memory.svg)\n");
  std::string shares;
  for (const auto& r : res.runs) shares += (shares.empty() ? "" : ", ") + r.variant.label() + " " + fmt(r.cpu_share, 2);
  rep.add_section(
      "What is measured",
      "- forward ms/batch: the task's loss of one training batch (`Task::batch_loss`: the whole model in training mode with "
      "autograd recording, dropout on, plus the loss); backward ms/batch: `loss.backward()` alone. Measured on the first " +
          std::to_string(res.cost_batches) + " batches of one shuffled epoch (" + fmt(res.cost_units, 6) + " " + res.unit +
          "), the same batches for every form, after training; per repetition the batches' times are summed, forms are "
          "interleaved repetition by repetition (" + std::to_string(o.cost_reps) + " repetitions after " +
          std::to_string(o.cost_warmup) + " warm-up), and the median is divided by the batch count.\n"
          "- tokens/s: " + res.unit + " in the timed batches / (forward + backward) time of training.\n"
          "- peak memory: the highest number of bytes held by live tensors during one batch's forward + backward, above what "
          "was live before (parameters excluded): activations, state saved for BPTT, gradients. Counted by birnn's tensor "
          "allocator (memory.hpp), not the process RSS.\n"
          "- parameters: the whole model (embeddings, character CNN, recurrent layer, output layer, CRF); the doubling claim "
          "uses the recurrent layer alone (parameters named weight_ih_l*, weight_hh_l*, bias_*_l*).\n"
          "- CPU share while timing (process CPU time / wall time; about 1 per thread when the machine is quiet, lower means "
          "other processes took the cores and the times are inflated): " + shares + ".");
  return rep;
}

std::vector<std::string> write_task_report(const std::string& dir, const TaskCompareOptions& o, const TaskCompareResult& res,
                                           const report::Report& rep) {
  std::vector<std::string> written;
  auto put = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    report::write_text_file(path, text);
    written.push_back(path);
  };
  const std::string primary = res.runs.empty() ? "metric" : res.runs.front().test.primary;
  report::LineChart loss;
  loss.title = o.task + ": training loss";
  loss.x_label = "optimizer step";
  loss.y_label = "mean training loss";
  report::LineChart dev;
  dev.title = o.task + ": dev " + primary + " after each epoch";
  dev.x_label = "epoch";
  dev.y_label = "dev " + primary;
  std::vector<std::string> cats;
  report::Series held{"held-out", {}, {}};
  bool error_rate = true;
  for (const auto& r : res.runs) error_rate = error_rate && is_proportion(r);
  for (const auto& r : res.runs) {
    loss.series.push_back({r.variant.label(), r.loss_steps, r.loss_values});
    report::Series d{r.variant.label(), {}, {}};
    for (const auto& e : r.epochs) d.x.push_back(static_cast<double>(e.epoch)), d.y.push_back(e.dev);
    dev.series.push_back(std::move(d));
    cats.push_back(r.variant.label());
    // An accuracy near 1 is shown as its error rate: bars from 0 would hide the differences.
    held.y.push_back(error_rate ? 100 * (1 - r.test.primary_value()) : r.test.primary_value());
  }
  put(o.task + "_loss.svg", report::render_svg(loss));
  put(o.task + "_dev.svg", report::render_svg(dev));
  put(o.task + "_heldout.svg",
      report::render_svg(report::BarChart{error_rate ? "Held-out error rate (100 - " + primary + " in %)" : "Held-out " + primary,
                                          error_rate ? "%" : primary, cats, {held}}));
  report::Series fwd{"forward", {}, {}}, bwd{"backward", {}, {}}, params{"parameters", {}, {}}, rec{"recurrent layer", {}, {}},
      mem{"peak memory (MiB)", {}, {}}, tps{"tokens/s", {}, {}};
  for (const auto& r : rep.rows()) {
    fwd.y.push_back(r.forward_ms), bwd.y.push_back(r.backward_ms);
    params.y.push_back(static_cast<double>(r.parameters)), rec.y.push_back(static_cast<double>(r.recurrent_parameters));
    mem.y.push_back(static_cast<double>(r.peak_bytes) / (1024.0 * 1024.0));
    tps.y.push_back(r.tokens_per_s);
  }
  put("cost_time.svg", report::render_svg(report::BarChart{"Time per training batch", "ms", cats, {fwd, bwd}}));
  put("cost_throughput.svg", report::render_svg(report::BarChart{"Training throughput", res.unit + "/s", cats, {tps}}));
  put("cost_parameters.svg", report::render_svg(report::BarChart{"Parameters", "count", cats, {params, rec}}));
  put("cost_memory.svg", report::render_svg(report::BarChart{"Peak tensor memory per training batch", "MiB", cats, {mem}}));
  put("report.md", rep.render());
  return written;
}

}  // namespace birnn::compare
