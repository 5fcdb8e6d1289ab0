// Charts as standalone SVG text, with no dependencies: a line chart (several series, optional log-scale
// y axis) and a grouped bar chart. Output is deterministic (fixed number formatting, no timestamps), every
// coordinate is finite (non-finite or, on a log axis, non-positive points are left out of a series, which
// is split there), and text is XML-escaped.
//
//   LineChart c;  c.title = "Adding problem, T=200";  c.x_label = "step";  c.y_label = "held-out MSE";
//   c.log_y = true;  c.series.push_back({"LSTM", xs, ys});
//   write_text_file("out/adding.svg", render_svg(c));
#pragma once
#include <string>
#include <vector>

namespace birnn::report {

struct Series {
  std::string name;
  std::vector<double> x, y;  ///< same length
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log_y = false;
  std::vector<Series> series;
  /// Optional horizontal reference lines (e.g. a baseline), drawn dashed with their label.
  std::vector<std::pair<std::string, double>> h_lines;
  int width = 720, height = 420;
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;  ///< one group of bars per category (e.g. per cell)
  std::vector<Series> series;           ///< one bar per series in each group; y[i] belongs to categories[i]
  bool log_y = false;
  int width = 720, height = 420;
};

/// OptionError if a series' x and y lengths differ (line) or y does not match the categories (bar).
std::string render_svg(const LineChart& chart);
std::string render_svg(const BarChart& chart);

/// "&", "<", ">", quotes escaped for XML text and attributes.
std::string xml_escape(const std::string& s);
/// Tick values for [lo, hi]: "nice" steps (1, 2, 5 x 10^k) on a linear axis, powers of ten on a log axis.
std::vector<double> axis_ticks(double lo, double hi, bool log_scale);

}  // namespace birnn::report
