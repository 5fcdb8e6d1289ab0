// `birnn compare adding`: every chosen cell form on the adding problem at every chosen T, its cost per
// batch, and the gradient flow at initialisation and after training; then a Markdown report with SVG
// charts and the seeds' claims judged by the numbers.
//
//   AddingCompareOptions o;  o.seq_lens = {50, 100, 200, 400};  o.cells = all_cell_variants();
//   AddingCompareResult r = run_adding_compare(o, [](const std::string& line) { std::puts(line.c_str()); });
//   report::Report rep = adding_report(o, r);
//   write_adding_report("out", o, r, rep);      // out/report.md + out/*.svg
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "birnn/compare/adding.hpp"
#include "birnn/compare/cost.hpp"
#include "birnn/compare/gradient_flow.hpp"
#include "birnn/report/markdown.hpp"

namespace birnn::compare {

struct AddingCompareOptions {
  std::vector<std::int64_t> seq_lens{50, 100, 200, 400};
  std::vector<CellVariant> cells = all_cell_variants();
  /// Budget shared by every run (seq_len is set per run).
  AddingConfig config;
  /// Length of the gradient-flow and cost measurements; the trained models of this T are the "after
  /// training" ones. 0 = 200 if listed, else the largest T.
  std::int64_t flow_seq_len = 0;
  /// Batch of the gradient-flow measurement.
  std::int64_t flow_batch = 64;
  /// Repetitions of the timing (median).
  int cost_reps = 5;
  int threads = 1;
  std::int64_t resolved_flow_seq_len() const;
  void validate() const;  // OptionError
};

struct AddingCompareResult {
  std::vector<CellCost> costs;      ///< one per cell, at flow_seq_len
  std::vector<AddingResult> runs;   ///< cell-major: for each cell, each T
  std::map<std::string, GradientFlow> flow_init, flow_trained;  ///< by CellVariant::id()
  double seconds = 0;
  const AddingResult* run(const std::string& cell_id, std::int64_t T) const;
};

using LogFn = std::function<void(const std::string&)>;

AddingCompareResult run_adding_compare(const AddingCompareOptions& options, const LogFn& log = {});

/// The report: table rows (task "adding T=<flow T>"), claims, per-T results, chart links, method notes.
report::Report adding_report(const AddingCompareOptions& options, const AddingCompareResult& result);

/// Writes dir/report.md and the charts (adding_T<T>.svg per T, gradient_flow_init.svg,
/// gradient_flow_trained.svg, cost_time.svg, cost_parameters.svg, cost_memory.svg). Returns the paths written.
std::vector<std::string> write_adding_report(const std::string& dir, const AddingCompareOptions& options,
                                             const AddingCompareResult& result, const report::Report& report);

}  // namespace birnn::compare
