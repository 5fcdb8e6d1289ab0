#include "birnn/report/markdown.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "birnn/error.hpp"
#include "io/file_util.hpp"

namespace birnn::report {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::confirmed: return "confirmed";
    case Verdict::not_confirmed: return "not confirmed";
    case Verdict::not_measured: return "not measured";
  }
  return "?";
}

void Report::add_claim(const Claim& claim) {
  for (auto& c : claims_)
    if (c.text == claim.text) {
      c = claim;
      return;
    }
  claims_.push_back(claim);
}

std::string fmt(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[48];
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e7)) std::snprintf(buf, sizeof buf, "%.*e", std::max(0, digits - 1), v);
  else if (a >= std::pow(10.0, digits)) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string fmt_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%zu B", bytes);
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  auto cell = [](const std::string& s) {
    std::string r;
    for (char c : s) {
      if (c == '|') r += "\\|";
      else if (c == '\n') r += ' ';
      else r += c;
    }
    return r;
  };
  std::string o = "|";
  for (const auto& h : header) o.append(" ").append(cell(h)).append(" |");
  o += "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) o += "---|";
  o += "\n";
  for (const auto& row : rows) {
    if (row.size() != header.size())
      throw OptionError("markdown table: a row has " + std::to_string(row.size()) + " cells, the header " + std::to_string(header.size()));
    o += "|";
    for (const auto& c : row) o.append(" ").append(cell(c)).append(" |");
    o += "\n";
  }
  return o;
}

std::string Report::render_table() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : rows_)
    rows.push_back({r.task, r.cell, std::to_string(r.directions), std::to_string(r.parameters), fmt(r.forward_ms),
                    fmt(r.backward_ms), fmt(r.tokens_per_s), fmt_bytes(r.peak_bytes),
                    r.metric_name.empty() ? "" : fmt(r.metric, 4) + " (" + r.metric_name + ")"});
  return md_table({"task", "cell", "directions", "parameters", "forward ms/batch", "backward ms/batch", "tokens/s",
                   "peak memory", "best held-out metric"},
                  rows);
}

std::string Report::render() const {
  std::string o = "# " + title_ + "\n\n";
  for (const auto& p : intro_) o += p + "\n\n";
  if (!claims_.empty()) {
    o += "## Claims\n\n";
    for (const auto& c : claims_) o += "- **" + c.text + "**: " + verdict_name(c.verdict) + ". " + c.evidence + "\n";
    o += "\n";
  }
  if (!rows_.empty()) o += "## Cost and quality per cell\n\n" + render_table() + "\n";
  for (const auto& s : sections_) o += "## " + s.heading + "\n\n" + s.body + (s.body.empty() || s.body.back() == '\n' ? "" : "\n") + "\n";
  return o;
}

void write_text_file(const std::string& path, const std::string& text) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) throw FormatError(path + ": cannot create its directory: " + ec.message());
  io::StagedFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace birnn::report
