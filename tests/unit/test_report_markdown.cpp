// report: Markdown rendering, the claims' verdicts, and the hook for tasks that add rows later.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "birnn/report/claims.hpp"
#include "birnn/report/markdown.hpp"
#include "test_util.hpp"

namespace birnn::report {
namespace {

using testing::contains;

CellRow row(const std::string& task, const std::string& base, int dirs, std::int64_t rec_params, double fwd, double bwd,
            double metric = 0, const std::string& metric_name = "") {
  CellRow r;
  r.task = task, r.base_cell = base, r.cell = (dirs == 2 ? "Bi" : "") + base, r.directions = dirs;
  r.recurrent_parameters = rec_params, r.parameters = rec_params + 1;
  r.forward_ms = fwd, r.backward_ms = bwd, r.tokens_per_s = 1000, r.peak_bytes = 4096;
  r.metric = metric, r.metric_name = metric_name;
  return r;
}

TEST(ReportMarkdown, TableHasHeaderSeparatorAndOneLinePerRowWithPipesEscaped) {
  const std::string t = md_table({"a", "b|c"}, {{"1", "x|y"}, {"2", "z"}});
  EXPECT_EQ(t, "| a | b\\|c |\n|---|---|\n| 1 | x\\|y |\n| 2 | z |\n");
  EXPECT_THROW(md_table({"a", "b"}, {{"1"}}), OptionError);
}

TEST(ReportMarkdown, NumbersAndBytesAreFormattedReadably) {
  EXPECT_EQ(fmt(0.1666666), "0.167");
  EXPECT_EQ(fmt(1234.5), "1234");
  EXPECT_EQ(fmt(2.5e-5), "2.50e-05");
  EXPECT_EQ(fmt(NAN), "n/a");
  EXPECT_EQ(fmt_bytes(512), "512 B");
  EXPECT_EQ(fmt_bytes(1536), "1.5 KiB");
  EXPECT_EQ(fmt_bytes(3u << 20), "3.0 MiB");
}

TEST(ReportMarkdown, RenderHasTitleClaimsTableAndSections) {
  Report r("birnn compare adding");
  r.add_paragraph("intro text");
  r.add_row(row("adding T=200", "LSTM", 1, 100, 2, 4, 0.001, "held-out MSE"));
  r.add_claim({"A claim", Verdict::confirmed, "because 2 > 1."});
  r.add_section("Charts", "![c](c.svg)");
  const std::string md = r.render();
  EXPECT_EQ(md.rfind("# birnn compare adding\n", 0), 0u);
  EXPECT_TRUE(contains(md, "- **A claim**: confirmed. because 2 > 1."));
  EXPECT_TRUE(contains(md, "| task | cell | directions | parameters | forward ms/batch | backward ms/batch | tokens/s | peak memory | best held-out metric |"));
  EXPECT_TRUE(contains(md, "| adding T=200 | LSTM | 1 | 101 | 2 | 4 | 1000 | 4.0 KiB | 0.001 (held-out MSE) |"));
  EXPECT_TRUE(contains(md, "## Charts\n\n![c](c.svg)\n"));
  EXPECT_LT(md.find("## Claims"), md.find("## Cost and quality"));
}

TEST(ReportMarkdown, ALaterTaskAddsRowsAndReplacesANotMeasuredClaim) {
  Report r("t");
  r.add_claim(claim_bi_helps(r.rows(), "pos", kClaimBiHelpsTagging));
  ASSERT_EQ(r.claims().size(), 1u);
  EXPECT_EQ(r.claims()[0].verdict, Verdict::not_measured);
  EXPECT_TRUE(contains(r.claims()[0].evidence, "pos"));
  // The POS task, once it exists, appends its rows and judges the claim again.
  r.add_row(row("pos", "LSTM", 1, 100, 1, 2, 0.955, "token accuracy"));
  r.add_row(row("pos", "LSTM", 2, 200, 2, 4, 0.968, "token accuracy"));
  std::vector<CellRow> rows = r.rows();
  for (auto& x : rows) x.higher_is_better = true;
  r.add_claim(claim_bi_helps(rows, "pos", kClaimBiHelpsTagging));
  ASSERT_EQ(r.claims().size(), 1u);
  EXPECT_EQ(r.claims()[0].verdict, Verdict::confirmed);
  EXPECT_TRUE(contains(r.claims()[0].evidence, "0.968"));
}

TEST(ReportClaims, BiDoublesIsJudgedOnParametersAndTime) {
  std::vector<CellRow> rows{row("a", "LSTM", 1, 100, 1, 2), row("a", "LSTM", 2, 200, 2, 4.2)};
  EXPECT_EQ(claim_bi_doubles(rows, "a", 1).verdict, Verdict::confirmed);
  rows[1].forward_ms = 0.5, rows[1].backward_ms = 1;  // time x0.5
  EXPECT_EQ(claim_bi_doubles(rows, "a", 1).verdict, Verdict::not_confirmed);
  EXPECT_EQ(claim_bi_doubles(rows, "other task", 1).verdict, Verdict::not_measured);
}

TEST(ReportClaims, GruCheaperNeedsFewerParametersAndLessTime) {
  std::vector<CellRow> rows{row("a", "LSTM", 1, 400, 4, 8), row("a", "GRU", 1, 300, 3, 6)};
  Claim c = claim_gru_cheaper(rows, "a");
  EXPECT_EQ(c.verdict, Verdict::confirmed);
  EXPECT_TRUE(contains(c.evidence, "x0.75"));
  rows[1].forward_ms = 10;
  EXPECT_EQ(claim_gru_cheaper(rows, "a").verdict, Verdict::not_confirmed);
  EXPECT_EQ(claim_gru_cheaper({rows[0]}, "a").verdict, Verdict::not_measured);
}

TEST(ReportClaims, GatesCureNeedsALengthWhereOnlyTheGatedCellsLearn) {
  VanishingEvidence e;
  e.adding.push_back({50, true, true, true, true, true, true});
  e.rnn_ratio_trained = 1e-9, e.lstm_ratio_trained = 0.5, e.gru_ratio_trained = 2, e.flow_T = 200;
  EXPECT_EQ(claim_gates_cure(e).verdict, Verdict::not_confirmed);  // every cell learned: no separation
  e.adding.push_back({200, false, true, true, true, true, true});
  const Claim c = claim_gates_cure(e);
  EXPECT_EQ(c.verdict, Verdict::confirmed);
  EXPECT_TRUE(contains(c.evidence, "T=200: RNN not learned, LSTM learned, GRU learned"));
  e.lstm_ratio_trained = 1e-12;  // the gradient picture contradicts it
  EXPECT_EQ(claim_gates_cure(e).verdict, Verdict::not_confirmed);
  EXPECT_EQ(claim_gates_cure(VanishingEvidence{}).verdict, Verdict::not_measured);
}

TEST(ReportMarkdown, WriteTextFileCreatesDirectoriesAndReplacesAtomically) {
  const auto dir = std::filesystem::temp_directory_path() / ("birnn_report_test_" + std::to_string(::getpid()));
  const std::string path = (dir / "sub" / "report.md").string();
  write_text_file(path, "one");
  write_text_file(path, "two");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "two");
  std::filesystem::remove_all(dir);
  // A path under a regular file cannot be created.
  EXPECT_THROW(write_text_file("/dev/null/x/report.md", "x"), Error);
}

}  // namespace
}  // namespace birnn::report
