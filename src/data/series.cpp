#include "birnn/data/series.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "birnn/error.hpp"
#include "data/text_file.hpp"

namespace birnn::data {

using detail::fail_at;

namespace {

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}

// Splits one CSV line; false if a quote is not closed.
bool split_csv(std::string_view line, char sep, std::vector<std::string>& out) {
  out.clear();
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"' && !was_quoted && cur.find_first_not_of(" \t") == std::string::npos) {
      quoted = was_quoted = true;
      cur.clear();
    } else if (c == sep) {
      out.push_back(was_quoted ? cur : std::string(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted) return false;
  out.push_back(cur);
  for (auto& f : out) {  // trim spaces
    const auto a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    f = a == std::string::npos ? std::string() : f.substr(a, b - a + 1);
  }
  return true;
}

bool parse_int(const std::string& s, long long& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

bool parse_series_value(std::string_view text, double& value) {
  // from_chars (general format) takes decimal notation only: "0x10" stops at the 'x', "+1" and " 1" fail.
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(value) &&
         std::abs(value) <= static_cast<double>(std::numeric_limits<float>::max());
}

bool is_valid_date(const Date& d) {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

Date parse_date(const std::string& s) {
  Date d;
  long long y = 0, m = 0, dd = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), m) ||
      !parse_int(s.substr(8, 2), dd))
    throw OptionError("date \"" + s + "\" is not YYYY-MM-DD");
  d = Date{static_cast<int>(y), static_cast<int>(m), static_cast<int>(dd)};
  if (!is_valid_date(d)) throw OptionError("date \"" + s + "\" does not exist");
  return d;
}

std::string to_string(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::int64_t days_since_epoch(const Date& d) {
  // Howard Hinnant's days_from_civil.
  const std::int64_t y = d.year - (d.month <= 2);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int day_of_week(const Date& d) {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  const std::int64_t w = (days_since_epoch(d) + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

int day_of_year(const Date& d) { return static_cast<int>(days_since_epoch(d) - days_since_epoch(Date{d.year, 1, 1})) + 1; }

std::vector<float> calendar_features(const Date& d) {
  std::vector<float> f(kCalendarFeatures, 0.f);
  f[static_cast<std::size_t>(day_of_week(d))] = 1.f;
  f[static_cast<std::size_t>(7 + d.month - 1)] = 1.f;
  const double angle = 2.0 * M_PI * (day_of_year(d) - 1) / (leap(d.year) ? 366.0 : 365.0);
  f[19] = static_cast<float>(std::sin(angle));
  f[20] = static_cast<float>(std::cos(angle));
  return f;
}

TimeSeries read_csv_series(const std::string& path, const CsvSeriesOptions& options, const ReadOptions& read_options) {
  if (options.value().empty()) throw OptionError("read_csv_series: choose the value column (CsvSeriesOptions::value)");
  const bool parts = !options.year().empty() || !options.month().empty() || !options.day().empty();
  if (parts && !options.date().empty()) throw OptionError("read_csv_series: give either a date column or date parts, not both");
  const std::string text = detail::read_text_file(path, read_options.invalid_utf8(), "CSV file");
  detail::Lines lines(text);
  std::string_view line;
  std::vector<std::string> header, fields;
  while (lines.next(line) && detail::is_blank(line)) {
  }
  if (!split_csv(line, options.separator(), header)) fail_at(path, lines.number(), "unclosed quote in the header");
  const auto col = [&](const std::string& name, const char* role) -> std::size_t {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    std::string have;
    for (const auto& h : header) have += (have.empty() ? "\"" : ", \"") + h + "\"";
    fail_at(path, lines.number(), std::string("no ") + role + " column \"" + name + "\" in the header; the columns are " + have);
  };
  const std::size_t vcol = col(options.value(), "value");
  std::size_t dcol = 0, ycol = 0, mcol = 0, daycol = 0;
  if (!options.date().empty()) dcol = col(options.date(), "date");
  if (parts) ycol = col(options.year(), "year"), mcol = col(options.month(), "month"), daycol = col(options.day(), "day");

  TimeSeries s;
  s.source = path;
  s.value_name = options.value();
  while (lines.next(line)) {
    if (detail::is_blank(line)) continue;
    const std::int64_t n = lines.number();
    if (!split_csv(line, options.separator(), fields)) fail_at(path, n, "unclosed quote");
    if (fields.size() != header.size())
      fail_at(path, n, "has " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(header.size()));
    const std::string& v = fields[vcol];
    if (v.empty()) fail_at(path, n, "empty value in column \"" + options.value() + "\"");
    double value = 0;
    if (!parse_series_value(v, value))
      fail_at(path, n,
              "value \"" + v + "\" in column \"" + options.value() +
                  "\" is not a finite number (decimal, at most 3.4e38 in magnitude: the models compute in float)");
    if (!options.date().empty() || parts) {
      Date d;
      if (parts) {
        long long y, m, dd;
        if (!parse_int(fields[ycol], y) || !parse_int(fields[mcol], m) || !parse_int(fields[daycol], dd) || y < -9999 || y > 9999)
          fail_at(path, n, "date parts \"" + fields[ycol] + "\", \"" + fields[mcol] + "\", \"" + fields[daycol] + "\" are not integers");
        d = Date{static_cast<int>(y), static_cast<int>(m), static_cast<int>(dd)};
        if (!is_valid_date(d)) fail_at(path, n, "date " + to_string(d) + " does not exist");
      } else {
        try {
          d = parse_date(fields[dcol]);
        } catch (const OptionError& e) {
          fail_at(path, n, std::string(e.what()) + " (column \"" + options.date() + "\")");
        }
      }
      if (!s.dates.empty()) {
        const auto gap = days_since_epoch(d) - days_since_epoch(s.dates.back());
        if (gap <= 0) fail_at(path, n, "date " + to_string(d) + " does not come after " + to_string(s.dates.back()));
        if (options.daily() && gap != 1)
          fail_at(path, n, "date " + to_string(d) + " does not follow " + to_string(s.dates.back()) + " (daily series: " + std::to_string(gap - 1) + " days missing)");
      }
      s.dates.push_back(d);
    }
    s.values.push_back(value);
    s.lines.push_back(n);
  }
  if (s.values.empty()) throw FormatError(path + ": no data rows after the header");
  return s;
}

SeriesSplit split_last_years(const TimeSeries& series, int years) {
  if (series.dates.size() != series.values.size() || series.dates.empty())
    throw OptionError("split_last_years: the series has no dates (choose a date column when reading it)");
  if (years < 1) throw OptionError("split_last_years: years must be >= 1, got " + std::to_string(years));
  const int first_test_year = series.dates.back().year - years + 1;
  if (series.dates.front().year >= first_test_year)
    throw OptionError("split_last_years: the series spans " + std::to_string(series.dates.back().year - series.dates.front().year + 1) +
                      " calendar years, not more than " + std::to_string(years));
  SeriesSplit out;
  for (auto* part : {&out.train, &out.test}) part->source = series.source, part->value_name = series.value_name;
  for (std::size_t i = 0; i < series.values.size(); ++i) {
    TimeSeries& p = series.dates[i].year < first_test_year ? out.train : out.test;
    p.dates.push_back(series.dates[i]);
    p.values.push_back(series.values[i]);
    if (i < series.lines.size()) p.lines.push_back(series.lines[i]);
  }
  return out;
}

}  // namespace birnn::data
