// compare on a real task (compare/task_compare.hpp): recurrent parameter counting, the standard error
// behind "Bi helps tagging", a tiny pos comparison on the committed CoNLL sample with its report, and
// bad options.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "birnn/birnn.hpp"
#include "birnn/compare/task_compare.hpp"
#include "birnn/models/bilstm_cnn_crf_tagger.hpp"
#include "birnn/report/claims.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

namespace birnn::compare {
namespace {

using testing::contains;
using testing::error_of;

TEST(CompareTask, RecurrentParametersAreTheTorchNamedOnes) {
  BiLSTMCNNCRFTagger m(BiLSTMCNNCRFTaggerOptions(10, 8, 4).word_dim(6).char_dim(3).char_filters(5).hidden(7).num_layers(2));
  std::int64_t want = 0;
  for (auto& [n, p] : m.named_parameters())
    if (n.rfind("lstm.", 0) == 0) want += p.numel();
  // 2 layers x 2 directions x (4*7 x (11 or 14) + 4*7 x 7 + 2 x 4*7)
  EXPECT_EQ(want, 2 * (28 * 11 + 28 * 7 + 56) + 2 * (28 * 14 + 28 * 7 + 56));
  EXPECT_EQ(recurrent_parameter_count(m), want);
  const auto cell = make_cell_model(parse_cell_variant("bigru"), 3, 5, 2);
  EXPECT_EQ(recurrent_parameter_count(*cell), cell->recurrent_parameter_count());
  EXPECT_LT(recurrent_parameter_count(*cell), cell->parameter_count());  // the head is not counted
}

TEST(CompareTask, StandardErrorOfAnAccuracyDifference) {
  EXPECT_NEAR(accuracy_difference_se(0.5, 0.5, 100), std::sqrt(0.5 / 100), 1e-12);
  EXPECT_NEAR(accuracy_difference_se(0.9, 0.95, 1000), std::sqrt((0.09 + 0.0475) / 1000), 1e-12);
  EXPECT_EQ(accuracy_difference_se(0.9, 0.95, 0), 0.0);
}

report::CellRow acc_row(const std::string& cell, std::int64_t dirs, double acc, std::int64_t n) {
  report::CellRow r;
  r.task = "pos", r.cell = (dirs == 2 ? "Bi" : "") + cell, r.base_cell = cell, r.directions = dirs;
  r.metric_name = "held-out accuracy", r.metric = acc, r.higher_is_better = true, r.metric_count = n;
  return r;
}

TEST(CompareTask, BiHelpsNeedsAMarginBeyondTwoStandardErrors) {
  // 1.3 points on 100 tokens is noise (2 SE = 5.4 points); on 100,000 tokens it is not (2 SE = 0.17).
  auto verdict = [](std::int64_t n) {
    return report::claim_bi_helps({acc_row("LSTM", 1, 0.955, n), acc_row("LSTM", 2, 0.968, n)}, "pos", report::kClaimBiHelpsTagging);
  };
  const report::Claim small = verdict(100), large = verdict(100000);
  EXPECT_EQ(small.verdict, report::Verdict::not_confirmed) << small.evidence;
  EXPECT_EQ(large.verdict, report::Verdict::confirmed) << large.evidence;
  EXPECT_TRUE(contains(small.evidence, "margin 1.3 points")) << small.evidence;
  EXPECT_TRUE(contains(small.evidence, "2 SE = 5.4 points")) << small.evidence;
  EXPECT_TRUE(contains(large.evidence, "twice the binomial standard error")) << large.evidence;
  // Every base cell must clear it: one that does not makes the claim not confirmed.
  const report::Claim mixed = report::claim_bi_helps({acc_row("LSTM", 1, 0.955, 100000), acc_row("LSTM", 2, 0.968, 100000),
                                                      acc_row("GRU", 1, 0.960, 100000), acc_row("GRU", 2, 0.9605, 100000)},
                                                     "pos", report::kClaimBiHelpsTagging);
  EXPECT_EQ(mixed.verdict, report::Verdict::not_confirmed) << mixed.evidence;
}

TaskCompareOptions tiny_options(const std::vector<CellVariant>& cells) {
  TaskCompareOptions o;
  o.task = "pos";
  o.cells = cells;
  o.config.data = testing::sample("tasks/pos_sample.conll");
  o.config.epochs = 2;
  o.config.hidden = 6;
  o.config.embedding = 6;
  o.config.batch = 8;
  o.cost_batches = 2;
  o.cost_reps = 2;
  o.cost_warmup = 0;
  return o;
}

TEST(CompareTask, PosOnTheSampleTrainsTimesAndReports) {
  set_num_threads(1);
  const auto o = tiny_options({parse_cell_variant("gru"), parse_cell_variant("lstm"), parse_cell_variant("bilstm")});
  std::vector<std::string> lines;
  const TaskCompareResult res = run_task_compare(o, [&](const std::string& l) { lines.push_back(l); });
  ASSERT_EQ(res.runs.size(), 3u);
  EXPECT_FALSE(lines.empty());
  EXPECT_EQ(res.unit, "tokens");
  EXPECT_EQ(res.config.hidden, 6);
  EXPECT_EQ(res.cost_batches, 2);
  EXPECT_GT(res.cost_units, 0);
  for (const auto& r : res.runs) {
    SCOPED_TRACE(r.variant.label());
    ASSERT_EQ(r.epochs.size(), 2u);
    EXPECT_GE(r.best_epoch, 1);
    EXPECT_LE(r.best_epoch, 2);
    EXPECT_EQ(r.best_dev.primary_value(), r.epochs[static_cast<std::size_t>(r.best_epoch - 1)].dev);
    EXPECT_EQ(r.test.primary, "accuracy");
    EXPECT_GT(r.test.count, 0);  // the sample's held-out tokens
    EXPECT_FALSE(r.loss_values.empty());
    EXPECT_EQ(r.loss_steps.size(), r.loss_values.size());
    EXPECT_GT(r.forward_ms, 0);
    EXPECT_GT(r.backward_ms, 0);
    EXPECT_GT(r.tokens_per_s, 0);
    EXPECT_GT(r.peak_bytes, 0u);
    EXPECT_GT(r.recurrent_parameters, 0);
    EXPECT_LT(r.recurrent_parameters, r.parameters);
  }
  // The same held-out tokens for every form; only the recurrent layer differs between forms.
  EXPECT_EQ(res.runs[0].test.count, res.runs[2].test.count);
  const TaskRun& gru = *res.run("gru");
  const TaskRun& lstm = *res.run("lstm");
  const TaskRun& bilstm = *res.run("bilstm");
  EXPECT_EQ(4 * gru.recurrent_parameters, 3 * lstm.recurrent_parameters);
  EXPECT_EQ(bilstm.recurrent_parameters, 2 * lstm.recurrent_parameters);
  EXPECT_EQ(gru.parameters - gru.recurrent_parameters, lstm.parameters - lstm.recurrent_parameters);
  // The layers alone at the model's sizes: input = word embedding + character features.
  ASSERT_EQ(res.layer_costs.size(), 3u);
  EXPECT_EQ(res.layer_cost_options.input_size, 6 + 30);
  EXPECT_EQ(res.layer_cost_options.hidden_size, 6);
  EXPECT_EQ(res.layer_costs[2].recurrent_parameters, bilstm.recurrent_parameters);
  EXPECT_GT(res.layer_costs[2].forward_ms, 0);

  const report::Report rep = task_report(o, res);
  ASSERT_EQ(rep.rows().size(), 3u);
  EXPECT_EQ(rep.rows()[2].cell, "BiLSTM");
  EXPECT_EQ(rep.rows()[2].metric_count, bilstm.test.count);
  ASSERT_EQ(rep.claims().size(), 3u);
  for (const auto& c : rep.claims()) {
    if (c.text == report::kClaimBiHelpsTagging) EXPECT_NE(c.verdict, report::Verdict::not_measured) << c.evidence;
    if (c.text == report::kClaimGruCheaper) EXPECT_TRUE(contains(c.evidence, "recurrent parameters x0.75")) << c.evidence;
  }
  testing::TempDir d;
  const auto files = write_task_report(d.path() + "/out", o, res, rep);
  std::ifstream f(d.path() + "/out/report.md");
  std::stringstream md;
  md << f.rdbuf();
  EXPECT_TRUE(contains(md.str(), "# birnn compare pos"));
  EXPECT_TRUE(contains(md.str(), "Bidirectional against one direction"));
  EXPECT_TRUE(contains(md.str(), "| BiLSTM |"));
  EXPECT_TRUE(contains(md.str(), "## The recurrent layer alone"));
  for (const char* svg : {"pos_loss.svg", "pos_dev.svg", "pos_heldout.svg", "cost_time.svg", "cost_memory.svg"})
    EXPECT_TRUE(std::filesystem::exists(d.path() + "/out/" + svg)) << svg;
  EXPECT_EQ(files.size(), 8u);
}

TEST(CompareTask, BadOptionsAndRefusedFormsFailBeforeTraining) {
  auto o = tiny_options({parse_cell_variant("lstm")});
  o.cells.clear();
  EXPECT_TRUE(contains(error_of<OptionError>([&] { run_task_compare(o); }), "no cells"));
  o = tiny_options({parse_cell_variant("lstm")});
  o.cost_batches = 0;
  EXPECT_TRUE(contains(error_of<OptionError>([&] { run_task_compare(o); }), "cost_batches"));
  o = tiny_options({parse_cell_variant("lstm")});
  o.task = "frobnicate";
  EXPECT_TRUE(contains(error_of<OptionError>([&] { run_task_compare(o); }), "unknown task 'frobnicate'"));
  o = tiny_options({parse_cell_variant("lstm")});
  o.config.data = "/nonexistent/file.conll";
  EXPECT_TRUE(contains(error_of([&] { run_task_compare(o); }), "/nonexistent/file.conll"));
  // spam's model is a BiGRU only: its task refuses an RNN before any form trains.
  o = tiny_options({parse_cell_variant("bigru"), parse_cell_variant("rnn")});
  o.task = "spam";
  o.config.data = testing::sample("tasks/spam_sample.tsv");
  std::vector<std::string> lines;
  const std::string msg = error_of<OptionError>([&] { run_task_compare(o, [&](const std::string& l) { lines.push_back(l); }); });
  EXPECT_TRUE(contains(msg, "rnn")) << msg;
  for (const auto& l : lines) EXPECT_FALSE(contains(l, "train loss")) << l;  // nothing trained
}

}  // namespace
}  // namespace birnn::compare
