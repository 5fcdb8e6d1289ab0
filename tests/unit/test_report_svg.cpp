// report: the SVG charts' structure (well-formed enough to parse, one group per series, finite coordinates).
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <sstream>

#include "birnn/error.hpp"
#include "birnn/report/svg.hpp"

namespace birnn::report {
namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Minimal XML well-formedness: tags balance, in order (self-closing tags and the <?xml?> prolog aside).
bool tags_balance(const std::string& s) {
  std::vector<std::string> stack;
  const std::regex tag("<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (m[3] == "/") continue;
    if (m[1] == "/") {
      if (stack.empty() || stack.back() != m[2]) return false;
      stack.pop_back();
    } else {
      stack.push_back(m[2]);
    }
  }
  return stack.empty();
}

// Every number in a coordinate attribute parses as finite.
bool coordinates_finite(const std::string& s) {
  if (s.find("nan") != std::string::npos || s.find("inf") != std::string::npos) return false;
  const std::regex attr("\\s(?:x|y|x1|x2|y1|y2|width|height|points)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), attr); it != std::sregex_iterator(); ++it) {
    std::string v = (*it)[1];
    for (char& ch : v)
      if (ch == ',') ch = ' ';
    std::istringstream in(v);
    double d;
    while (in >> d)
      if (!std::isfinite(d)) return false;
    if (!in.eof()) return false;
  }
  return true;
}

LineChart sample_line(bool log_y) {
  LineChart c;
  c.title = "MSE <T=200> & more";
  c.x_label = "step";
  c.y_label = "MSE";
  c.log_y = log_y;
  c.series.push_back({"RNN", {0, 100, 200}, {0.17, 0.16, 0.165}});
  c.series.push_back({"LSTM", {0, 100, 200, 300}, {0.17, NAN, 0.02, 0.001}});
  c.series.push_back({"GRU", {0, 100, 200}, {0.17, 0.0, 1e-4}});  // 0 cannot be drawn on a log axis
  c.h_lines = {{"baseline", 1.0 / 6}};
  return c;
}

TEST(ReportSvg, LineChartIsWellFormedWithOneGroupPerSeriesAndFiniteCoordinates) {
  for (bool log_y : {false, true}) {
    const std::string s = render_svg(sample_line(log_y));
    EXPECT_EQ(s.rfind("<?xml", 0), 0u);
    EXPECT_NE(s.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_TRUE(tags_balance(s)) << s;
    EXPECT_TRUE(coordinates_finite(s)) << s;
    EXPECT_EQ(count(s, "<g class=\"series\""), 3);
    EXPECT_EQ(count(s, "class=\"legend-key\""), 3);
    EXPECT_NE(s.find("MSE &lt;T=200&gt; &amp; more"), std::string::npos);  // escaped title
    EXPECT_EQ(s.find("<T=200>"), std::string::npos);
    // The NaN splits LSTM's line in two; on a log axis GRU's 0 splits it too.
    EXPECT_EQ(count(s, "<polyline"), log_y ? 5 : 4);
  }
}

TEST(ReportSvg, OutputIsDeterministic) {
  EXPECT_EQ(render_svg(sample_line(true)), render_svg(sample_line(true)));
}

TEST(ReportSvg, BarChartHasOneRectPerValue) {
  BarChart b{"Time per batch", "ms", {"RNN", "LSTM", "GRU"}, {{"forward", {}, {1, 4, 3}}, {"backward", {}, {2, 8, 6}}}};
  const std::string s = render_svg(b);
  EXPECT_TRUE(tags_balance(s)) << s;
  EXPECT_TRUE(coordinates_finite(s)) << s;
  EXPECT_EQ(count(s, "<g class=\"series\""), 2);
  EXPECT_EQ(count(s, "<rect x="), 1 + 6);  // background + bars
  EXPECT_EQ(count(s, "class=\"legend-key\""), 2);
}

TEST(ReportSvg, EmptyChartsAreStillValid) {
  LineChart c;
  c.log_y = true;
  EXPECT_TRUE(tags_balance(render_svg(c)));
  EXPECT_TRUE(coordinates_finite(render_svg(c)));
  EXPECT_TRUE(coordinates_finite(render_svg(BarChart{})));
}

TEST(ReportSvg, MismatchedSeriesAreOptionErrors) {
  LineChart c;
  c.series.push_back({"x", {1, 2}, {1}});
  EXPECT_THROW(render_svg(c), OptionError);
  EXPECT_THROW(render_svg(BarChart{"t", "y", {"a", "b"}, {{"s", {}, {1}}}}), OptionError);
}

TEST(ReportSvg, TicksAreNiceAndInRange) {
  const auto lin = axis_ticks(0, 1, false);
  ASSERT_EQ(lin.size(), 6u);
  for (std::size_t i = 0; i < lin.size(); ++i) EXPECT_NEAR(lin[i], 0.2 * static_cast<double>(i), 1e-12);
  EXPECT_EQ(axis_ticks(1e-4, 1, true), (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1, 1}));
  EXPECT_TRUE(axis_ticks(0, 1, true).empty());
}

}  // namespace
}  // namespace birnn::report
