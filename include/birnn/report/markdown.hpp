// A comparison report as data, rendered to Markdown. Tasks append to it: rows of the cost/metric table,
// free sections (text, tables, links to charts) and claims with a verdict backed by numbers. The adding
// problem fills it today; a task added later (e.g. POS tagging for "Bi helps tagging") adds its own rows,
// sections and claims the same way, and claims it cannot judge yet stay "not measured".
//
//   Report r("birnn compare adding");
//   r.add_row({...});  r.add_section("Adding problem", md);  r.add_claim(claim_gru_cheaper(rows));
//   write_text_file(dir + "/report.md", r.render());
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace birnn::report {

/// One line of the comparison table: one cell form on one task.
struct CellRow {
  std::string task;         ///< e.g. "adding T=200", "pos"
  std::string cell;         ///< "LSTM", "BiGRU", ...
  std::string base_cell;    ///< "RNN", "LSTM" or "GRU" (the cell without its direction)
  std::int64_t directions = 1;
  std::int64_t parameters = 0, recurrent_parameters = 0;
  double forward_ms = 0, backward_ms = 0, tokens_per_s = 0;
  std::size_t peak_bytes = 0;
  std::string metric_name;  ///< e.g. "held-out MSE", "token accuracy"
  double metric = 0;
  bool higher_is_better = false;
  /// Trials the metric is over when it is an accuracy (e.g. held-out tokens); 0 = unknown. With it a
  /// difference between two rows can be judged against the binomial standard error.
  std::int64_t metric_count = 0;
};

enum class Verdict { confirmed, not_confirmed, not_measured };
const char* verdict_name(Verdict v);  // "confirmed", "not confirmed", "not measured"

struct Claim {
  std::string text;      ///< the claim as people state it
  Verdict verdict = Verdict::not_measured;
  std::string evidence;  ///< the numbers that decided it (Markdown, one paragraph)
};

struct Section {
  std::string heading;
  std::string body;  ///< Markdown
};

class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}
  void add_paragraph(const std::string& markdown) { intro_.push_back(markdown); }
  void add_row(const CellRow& row) { rows_.push_back(row); }
  void add_section(const std::string& heading, const std::string& body) { sections_.push_back({heading, body}); }
  /// A claim with the same text replaces the earlier one (a task that can judge it overrides "not measured").
  void add_claim(const Claim& claim);

  const std::vector<CellRow>& rows() const { return rows_; }
  const std::vector<Claim>& claims() const { return claims_; }
  const std::vector<Section>& sections() const { return sections_; }

  /// Title, intro, "Claims" (one line each: verdict + evidence), the table of rows, then the sections.
  std::string render() const;
  /// The table alone as Markdown (also what the CLI prints).
  std::string render_table() const;

 private:
  std::string title_;
  std::vector<std::string> intro_;
  std::vector<CellRow> rows_;
  std::vector<Section> sections_;
  std::vector<Claim> claims_;
};

/// A Markdown table; '|' in cells is escaped. Every row must have header.size() cells (OptionError).
std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
/// printf-style "%.*g"-like formatting used throughout the report: `digits` significant digits.
std::string fmt(double v, int digits = 3);
/// 1536 -> "1.5 KiB", 3.2e6 -> "3.1 MiB".
std::string fmt_bytes(std::size_t bytes);

/// Writes text to path (creating parent directories), atomically: a reader never sees half a file.
/// FormatError naming the path on failure.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace birnn::report
