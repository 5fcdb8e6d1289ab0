// Time series: dates, calendar features for forecasting, and the CSV reader.
//
//   using namespace birnn::data;
//   TimeSeries s = read_csv_series("sales.csv", CsvSeriesOptions().value("units").date("day"));  // ISO dates
//   TimeSeries b = read_csv_series("births.csv", CsvSeriesOptions().value("births").date_parts("year", "month", "date_of_month"));
//   SeriesSplit parts = split_last_years(b, 2);     // train: all but the last two calendar years
//   std::vector<float> f = calendar_features(b.dates[0]); // day of week, month (one-hot), day of year (sin/cos)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "birnn/data/readers.hpp"

namespace birnn::data {

/// A calendar date (proleptic Gregorian).
struct Date {
  int year = 1970, month = 1, day = 1;
  bool operator==(const Date&) const = default;
};

/// True if the date exists (month 1..12, day within the month, leap years per Gregorian rules).
bool is_valid_date(const Date& d);
/// Parses "YYYY-MM-DD" (exactly that form); OptionError otherwise or for a date that does not exist.
Date parse_date(const std::string& s);
/// "YYYY-MM-DD".
std::string to_string(const Date& d);
/// Days since 1970-01-01 (negative before).
std::int64_t days_since_epoch(const Date& d);
/// 0 = Monday ... 6 = Sunday.
int day_of_week(const Date& d);
/// 1 ... 365 (366 in leap years).
int day_of_year(const Date& d);

/// Calendar features for forecasting, 21 floats in this order:
///   [0, 7)   day of week one-hot (Monday first);
///   [7, 19)  month one-hot (January first);
///   19, 20   sin and cos of 2*pi*(day_of_year - 1) / days_in_year.
std::vector<float> calendar_features(const Date& d);
constexpr std::int64_t kCalendarFeatures = 21;

/// A series of values, one per row, with the row dates when the CSV has them.
struct TimeSeries {
  std::vector<Date> dates;      ///< empty when no date column was chosen
  std::vector<double> values;
  std::string source;           ///< file the values came from
  std::string value_name;       ///< the column name
  std::vector<std::int64_t> lines;  ///< the file line of each value (for messages)
};

/// Which CSV columns read_csv_series takes (by header name, exact match after trimming spaces).
class CsvSeriesOptions {
 public:
  /// The value column (required).
  CsvSeriesOptions& value(std::string v) { value_ = std::move(v); return *this; }
  /// A date column holding "YYYY-MM-DD".
  CsvSeriesOptions& date(std::string v) { date_ = std::move(v); return *this; }
  /// Three integer columns for year, month and day (e.g. the CDC births file).
  CsvSeriesOptions& date_parts(std::string year, std::string month, std::string day) {
    year_ = std::move(year), month_ = std::move(month), day_ = std::move(day);
    return *this;
  }
  /// Field separator (default ',').
  CsvSeriesOptions& separator(char v) { separator_ = v; return *this; }
  /// Require dates to be strictly increasing by one day (default false: only increasing).
  CsvSeriesOptions& daily(bool v) { daily_ = v; return *this; }

  const std::string& value() const { return value_; }
  const std::string& date() const { return date_; }
  const std::string& year() const { return year_; }
  const std::string& month() const { return month_; }
  const std::string& day() const { return day_; }
  char separator() const { return separator_; }
  bool daily() const { return daily_; }

 private:
  std::string value_, date_, year_, month_, day_;
  char separator_ = ',';
  bool daily_ = false;
};

/// A series value as read_csv_series (and the births task's predict) accept it: a decimal number
/// ("8486", "-0.5", "1.5e3"; no hexadecimal such as "0x10", no "inf" or "nan", nothing before or after it)
/// whose magnitude float can hold (|v| <= 3.4e38): the models compute in float, so a larger value would
/// become infinite there and every metric NaN. False for anything else.
bool parse_series_value(std::string_view text, double& value);

/// Reads a CSV file with a header row. Fields may be quoted with '"' ("" inside quotes is one '"'; a
/// quoted field cannot span lines). Blank lines are skipped. Errors (FormatError, "path:line: "): a
/// missing or empty file, a column name not in the header (the message lists the header's columns), a
/// row with another number of fields than the header, an empty value or one parse_series_value refuses,
/// an invalid date, dates that do not increase (or do not follow each other by one day when daily(true)),
/// no data row.
TimeSeries read_csv_series(const std::string& path, const CsvSeriesOptions& options, const ReadOptions& read_options = {});

/// The two parts of a series: train, then the held-out tail.
struct SeriesSplit {
  TimeSeries train, test;
};

/// Train = every row before the first row of the last `years` calendar years present; test = those rows.
/// The series must have dates (OptionError otherwise) and span more than `years` years.
SeriesSplit split_last_years(const TimeSeries& series, int years);

}  // namespace birnn::data
