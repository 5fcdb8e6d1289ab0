#include "birnn/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "birnn/error.hpp"

namespace birnn::report {

namespace {

// Colour-blind-safe palette (Okabe & Ito), cycled.
const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
const char* colour(std::size_t i) { return kColours[i % (sizeof kColours / sizeof *kColours)]; }

std::string num(double v) {  // fixed, short, locale-independent
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string tick_label(double v) {
  char buf[32];
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) std::snprintf(buf, sizeof buf, "%.0e", v);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Frame {
  double left = 70, right = 170, top = 40, bottom = 55;  // margins; the legend sits on the right
  double w, h;
  Frame(int width, int height) : w(width), h(height) {}
  double px0() const { return left; }
  double px1() const { return w - right; }
  double py0() const { return h - bottom; }  // bottom of the plot area
  double py1() const { return top; }
};

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double map(double v, double p0, double p1) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi, t = log ? std::log10(v) : v;
    return b == a ? 0.5 * (p0 + p1) : p0 + (t - a) / (b - a) * (p1 - p0);
  }
};

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// Widens a degenerate or empty range and, on a log axis, snaps to whole decades.
void settle(Axis& a, double lo, double hi) {
  if (!(lo <= hi)) lo = a.log ? 0.1 : 0, hi = 1;
  if (a.log) {
    lo = std::pow(10.0, std::floor(std::log10(lo)));
    hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (hi <= lo) hi = lo * 10;
  } else if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  a.lo = lo, a.hi = hi;
}

void header(std::ostringstream& o, int width, int height, const std::string& title) {
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
    << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<title>" << xml_escape(title) << "</title>\n"
    << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"white\"/>\n"
    << "<text x=\"" << num(width / 2.0) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(title)
    << "</text>\n";
}

void y_axis(std::ostringstream& o, const Frame& f, const Axis& ay, const std::string& label) {
  for (double t : axis_ticks(ay.lo, ay.hi, ay.log)) {
    const double y = ay.map(t, f.py0(), f.py1());
    o << "<line x1=\"" << num(f.px0()) << "\" y1=\"" << num(y) << "\" x2=\"" << num(f.px1()) << "\" y2=\"" << num(y)
      << "\" stroke=\"#dddddd\"/>\n";
    o << "<text x=\"" << num(f.px0() - 6) << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">" << tick_label(t) << "</text>\n";
  }
  o << "<line x1=\"" << num(f.px0()) << "\" y1=\"" << num(f.py0()) << "\" x2=\"" << num(f.px0()) << "\" y2=\"" << num(f.py1())
    << "\" stroke=\"black\"/>\n";
  const double cy = 0.5 * (f.py0() + f.py1());
  o << "<text x=\"16\" y=\"" << num(cy) << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " << num(cy) << ")\">"
    << xml_escape(label) << "</text>\n";
}

void legend(std::ostringstream& o, const Frame& f, const std::vector<std::string>& names, bool bars) {
  double y = f.py1() + 10;
  for (std::size_t i = 0; i < names.size(); ++i, y += 20) {
    const double x = f.px1() + 14;
    if (bars)
      o << "<rect class=\"legend-key\" x=\"" << num(x) << "\" y=\"" << num(y - 8) << "\" width=\"18\" height=\"10\" fill=\"" << colour(i) << "\"/>\n";
    else
      o << "<line class=\"legend-key\" x1=\"" << num(x) << "\" y1=\"" << num(y - 3) << "\" x2=\"" << num(x + 18) << "\" y2=\"" << num(y - 3)
        << "\" stroke=\"" << colour(i) << "\" stroke-width=\"2\"/>\n";
    o << "<text x=\"" << num(x + 24) << "\" y=\"" << num(y + 1) << "\">" << xml_escape(names[i]) << "</text>\n";
  }
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      case '\'': r += "&apos;"; break;
      default: r += c;
    }
  }
  return r;
}

std::vector<double> axis_ticks(double lo, double hi, bool log_scale) {
  std::vector<double> t;
  if (!(std::isfinite(lo) && std::isfinite(hi)) || hi < lo) return t;
  if (log_scale) {
    if (lo <= 0) return t;
    const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9)), b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const int stride = std::max(1, (b - a + 7) / 8);  // at most ~8 labelled decades
    for (int k = a; k <= b; k += stride) {
      const double v = std::pow(10.0, k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
    }
    return t;
  }
  if (hi == lo) return {lo};
  const double raw = (hi - lo) / 6, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return t;
}

std::string render_svg(const LineChart& c) {
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const auto& s : c.series) {
    if (s.x.size() != s.y.size())
      throw OptionError("line chart \"" + c.title + "\": series \"" + s.name + "\" has " + std::to_string(s.x.size()) +
                        " x values and " + std::to_string(s.y.size()) + " y values");
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && usable(s.y[i], c.log_y)) {
        xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
        ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
      }
  }
  for (const auto& [name, v] : c.h_lines)
    if (usable(v, c.log_y)) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
  Frame f(c.width, c.height);
  Axis ax, ay;
  ay.log = c.log_y;
  settle(ax, xlo, xhi);
  settle(ay, ylo, yhi);
  if (!c.log_y && ay.lo > 0 && ay.lo < 0.5 * ay.hi) ay.lo = 0;  // start linear axes at 0 when it is close

  std::ostringstream o;
  header(o, c.width, c.height, c.title);
  y_axis(o, f, ay, c.y_label);
  for (double t : axis_ticks(ax.lo, ax.hi, false)) {
    const double x = ax.map(t, f.px0(), f.px1());
    o << "<text x=\"" << num(x) << "\" y=\"" << num(f.py0() + 16) << "\" text-anchor=\"middle\">" << tick_label(t) << "</text>\n";
  }
  o << "<line x1=\"" << num(f.px0()) << "\" y1=\"" << num(f.py0()) << "\" x2=\"" << num(f.px1()) << "\" y2=\"" << num(f.py0())
    << "\" stroke=\"black\"/>\n";
  o << "<text x=\"" << num(0.5 * (f.px0() + f.px1())) << "\" y=\"" << num(c.height - 12.0) << "\" text-anchor=\"middle\">"
    << xml_escape(c.x_label) << "</text>\n";
  for (const auto& [name, v] : c.h_lines) {
    if (!usable(v, c.log_y)) continue;
    const double y = ay.map(v, f.py0(), f.py1());
    o << "<line x1=\"" << num(f.px0()) << "\" y1=\"" << num(y) << "\" x2=\"" << num(f.px1()) << "\" y2=\"" << num(y)
      << "\" stroke=\"#888888\" stroke-dasharray=\"5,4\"/>\n";
    o << "<text x=\"" << num(f.px1() - 4) << "\" y=\"" << num(y - 4) << "\" text-anchor=\"end\" fill=\"#555555\">" << xml_escape(name) << "</text>\n";
  }
  std::vector<std::string> names;
  for (std::size_t si = 0; si < c.series.size(); ++si) {
    const auto& s = c.series[si];
    names.push_back(s.name);
    o << "<g class=\"series\" data-name=\"" << xml_escape(s.name) << "\" stroke=\"" << colour(si)
      << "\" stroke-width=\"1.8\" fill=\"none\">\n";
    std::string pts;
    auto flush = [&] {
      if (!pts.empty()) o << "<polyline points=\"" << pts << "\"/>\n";
      pts.clear();
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !usable(s.y[i], c.log_y)) {
        flush();  // a gap: the line is split rather than drawn through a missing point
        continue;
      }
      if (!pts.empty()) pts += ' ';
      pts.append(num(ax.map(s.x[i], f.px0(), f.px1()))).append(",").append(num(ay.map(s.y[i], f.py0(), f.py1())));
    }
    flush();
    o << "</g>\n";
  }
  legend(o, f, names, false);
  o << "</svg>\n";
  return o.str();
}

std::string render_svg(const BarChart& c) {
  for (const auto& s : c.series)
    if (s.y.size() != c.categories.size())
      throw OptionError("bar chart \"" + c.title + "\": series \"" + s.name + "\" has " + std::to_string(s.y.size()) +
                        " values for " + std::to_string(c.categories.size()) + " categories");
  double ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
  for (const auto& s : c.series)
    for (double v : s.y)
      if (usable(v, c.log_y)) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
  Frame f(c.width, c.height);
  Axis ay;
  ay.log = c.log_y;
  settle(ay, c.log_y ? ylo : std::min(0.0, ylo), c.log_y || !std::isfinite(yhi) ? yhi : yhi * 1.05);  // headroom
  std::ostringstream o;
  header(o, c.width, c.height, c.title);
  y_axis(o, f, ay, c.y_label);
  o << "<line x1=\"" << num(f.px0()) << "\" y1=\"" << num(f.py0()) << "\" x2=\"" << num(f.px1()) << "\" y2=\"" << num(f.py0())
    << "\" stroke=\"black\"/>\n";
  const std::size_t nc = c.categories.size(), ns = std::max<std::size_t>(1, c.series.size());
  const double group = nc ? (f.px1() - f.px0()) / static_cast<double>(nc) : 0, bar = group * 0.8 / static_cast<double>(ns);
  const double base = c.log_y ? f.py0() : ay.map(0, f.py0(), f.py1());
  for (std::size_t si = 0; si < c.series.size(); ++si) {
    const auto& s = c.series[si];
    o << "<g class=\"series\" data-name=\"" << xml_escape(s.name) << "\" fill=\"" << colour(si) << "\">\n";
    for (std::size_t i = 0; i < nc; ++i) {
      if (!usable(s.y[i], c.log_y)) continue;
      const double x = f.px0() + group * static_cast<double>(i) + group * 0.1 + bar * static_cast<double>(si);
      const double y = ay.map(s.y[i], f.py0(), f.py1());
      o << "<rect x=\"" << num(x) << "\" y=\"" << num(std::min(y, base)) << "\" width=\"" << num(bar) << "\" height=\""
        << num(std::fabs(base - y)) << "\"><title>" << xml_escape(s.name + " " + c.categories[i] + ": " + tick_label(s.y[i]))
        << "</title></rect>\n";
    }
    o << "</g>\n";
  }
  for (std::size_t i = 0; i < nc; ++i)
    o << "<text x=\"" << num(f.px0() + group * (static_cast<double>(i) + 0.5)) << "\" y=\"" << num(f.py0() + 16)
      << "\" text-anchor=\"middle\">" << xml_escape(c.categories[i]) << "</text>\n";
  std::vector<std::string> names;
  for (const auto& s : c.series) names.push_back(s.name);
  legend(o, f, names, true);
  o << "</svg>\n";
  return o.str();
}

}  // namespace birnn::report
