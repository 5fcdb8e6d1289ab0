// The generic readers (CoNLL, word/tag, TSV, JSONL, plain text, CSV series) and their bad-input errors.
#include <gtest/gtest.h>

#include "birnn/data/readers.hpp"
#include "birnn/data/series.hpp"
#include "birnn/error.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

using namespace birnn::data;
using birnn::testing::contains;
using birnn::testing::error_of;
using birnn::testing::TempDir;
using Strings = std::vector<std::string>;

// The message of the FormatError f throws (and checks the type).
template <class F>
std::string format_error(F&& f) {
  try {
    f();
  } catch (const birnn::FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "(no exception)";
}

TEST(DataReaders, Conll) {
  TempDir d;
  const auto p = d.write("a.conll", "-DOCSTART-\tO\n\nThe\tDT\tB-NP\nCat\tNN\tI-NP\r\n\n\n# comment\nsat\tVBD\tO");
  const auto s = read_conll(p);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].tokens, (Strings{"The", "Cat"}));
  EXPECT_EQ(s[0].tags, (Strings{"B-NP", "I-NP"}));  // last column by default
  EXPECT_EQ(s[0].line, 3);
  EXPECT_EQ(s[1].tokens, (Strings{"sat"}));
  EXPECT_EQ(read_conll(p, {}, ConllColumns().tag(1))[0].tags, (Strings{"DT", "NN"}));
  // CoNLL-U: ID FORM LEMMA UPOS ...; ranges and empty nodes skipped.
  const auto u = d.write("a.conllu",
                         "# sent_id = 1\n1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n1\tdo\tdo\tAUX\t_\t_\t_\t_\t_\t_\n2\tn't\tnot\tPART\t_\t_\t_\t_\t_\t_\n"
                         "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n");
  const auto c = read_conll(u, {}, ConllColumns().token(1).tag(3));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].tokens, (Strings{"do", "n't"}));
  EXPECT_EQ(c[0].tags, (Strings{"AUX", "PART"}));
}

TEST(DataReaders, ConllBadInput) {
  TempDir d;
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.path() + "/missing.conll"); }), "missing.conll: cannot open"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("empty", "")); }), "empty"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("blank", "\n \n\t\n")); }), "empty"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.path()); }), "not a regular file"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("notab", "a\tX\nb X\n")); }), "notab:2: expected token<TAB>tag"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("emptytag", "a\t\n")); }), "emptytag:1: empty tag"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("cols", "a\tb\n"), {}, ConllColumns().tag(5)); }), "cols:1: has 2 columns"));
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("bad8", "a\tX\n\nb\xE9\tY\n")); }), "bad8:3: byte 0xe9 at column 2 is not valid UTF-8"));
  EXPECT_EQ(read_conll(d.write("bad8b", "b\xE9\tY\n"), ReadOptions().invalid_utf8(InvalidUtf8::latin1))[0].tokens[0], "b\xC3\xA9");
  const auto longp = d.write("long", "a\tX\n\nb\tX\nc\tX\nd\tX\n");
  EXPECT_TRUE(contains(format_error([&] { read_conll(longp, ReadOptions().max_tokens(2)); }), "long:3: sentence of 3 tokens is longer than the limit of 2"));
  EXPECT_EQ(read_conll(longp, ReadOptions().max_tokens(3)).size(), 2u);
  EXPECT_TRUE(contains(format_error([&] { read_conll(d.write("only_doc", "-DOCSTART-\tO\n")); }), "no sentence"));
}

TEST(DataReaders, SlashTagged) {
  TempDir d;
  const auto s = read_slash_tagged(d.write("b", "\n\n\tThe/at 1/2/cd Jury/nn-tl ./.\n\n\tIt/pps\n"));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].tokens, (Strings{"The", "1/2", "Jury", "."}));
  EXPECT_EQ(s[0].tags, (Strings{"at", "cd", "nn-tl", "."}));
  EXPECT_EQ(s[0].line, 3);
  EXPECT_TRUE(contains(format_error([&] { read_slash_tagged(d.write("noslash", "a/b c\n")); }), "noslash:1: token \"c\" is not word/tag"));
  EXPECT_TRUE(contains(format_error([&] { read_slash_tagged(d.write("emptytag", "a/b\nc/\n")); }), "emptytag:2: token \"c/\" has an empty word or tag"));
  EXPECT_TRUE(contains(format_error([&] { read_slash_tagged(d.write("long", "a/x b/x c/x\n"), ReadOptions().max_tokens(2)); }), "long:1: sentence of 3 tokens"));
}

TEST(DataReaders, TsvLabeled) {
  TempDir d;
  const auto v = read_tsv_labeled(d.write("t.tsv", "spam\tWin $$$ now\tplease\nham\tlunch?\r\n"));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].label, "spam");
  EXPECT_EQ(v[0].text, "Win $$$ now\tplease");
  EXPECT_EQ(v[1].text, "lunch?");
  EXPECT_EQ(v[1].line, 2);
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("blank", "a\tx\n\nb\ty\n")); }), "blank:2: blank line"));
  EXPECT_EQ(read_tsv_labeled(d.path() + "/blank", ReadOptions().skip_blank_lines(true)).size(), 2u);
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("notab", "a x\n")); }), "notab:1: expected label<TAB>text"));
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("nolabel", "\tx\n")); }), "nolabel:1: empty label"));
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("notext", "a\t \n")); }), "notext:1: empty text"));
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("long", "a\t12345\n"), ReadOptions().max_text_bytes(4)); }), "long:1: text of 5 bytes"));
  EXPECT_TRUE(contains(format_error([&] { read_tsv_labeled(d.write("bad8", "a\tok\nb\t\xFF\n")); }), "bad8:2: byte 0xff at column 3"));
  EXPECT_EQ(read_tsv_labeled(d.path() + "/bad8", ReadOptions().invalid_utf8(InvalidUtf8::replace))[1].text, "\xEF\xBF\xBD");
}

TEST(DataReaders, JsonlLabeled) {
  TempDir d;
  const auto p = d.write("j.jsonl", "{\"label\": \"pos\", \"text\": \"good \\u00e9\", \"id\": 1}\n{\"label\": 3, \"text\": \"meh\"}\n");
  const auto v = read_jsonl_labeled(p);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].label, "pos");
  EXPECT_EQ(v[0].text, "good \xC3\xA9");
  EXPECT_EQ(v[1].label, "3");
  const auto r = read_jsonl_labeled(d.write("r.jsonl", "{\"stars\": true, \"review\": \"x\"}\n"), {}, JsonlFields().label("stars").text("review"));
  EXPECT_EQ(r[0].label, "true");
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("nofield", "{\"label\": \"a\", \"body\": \"x\"}\n")); }),
                       "nofield:1: no field \"text\" (fields present: body, label)"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("notjson", "{\"label\": \"a\",\n")); }), "notjson:1: not valid JSON"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("array", "[1, 2]\n")); }), "array:1: expected a JSON object"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("type", "{\"label\": 1.5, \"text\": \"x\"}\n")); }), "type:1: field \"label\" must be"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("ttype", "{\"label\": \"a\", \"text\": 5}\n")); }), "ttype:1: field \"text\" must be a string"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("blank", "{\"label\": \"a\", \"text\": \"x\"}\n\n")); }), "blank:2: blank line"));
  EXPECT_TRUE(contains(format_error([&] { read_jsonl_labeled(d.write("bad8", "{\"label\": \"a\", \"text\": \"\xC3\"}\n")); }), "bad8:1: byte 0xc3"));
}

TEST(DataReaders, PlainText) {
  TempDir d;
  EXPECT_EQ(read_plain_text(d.write("t.txt", "line one\r\nline two\n")), "line one\nline two\n");
  EXPECT_TRUE(contains(format_error([&] { read_plain_text(d.write("e.txt", "")); }), "e.txt: text file is empty"));
  EXPECT_TRUE(contains(format_error([&] { read_plain_text(d.write("b.txt", "ok\nok\n\x80\n")); }), "b.txt:3: byte 0x80 at column 1"));
  EXPECT_TRUE(contains(format_error([&] { read_plain_text(d.write("l.txt", "123456"), ReadOptions().max_text_bytes(5)); }), "text of 6 bytes"));
}

TEST(DataSeries, Calendar) {
  EXPECT_EQ(day_of_week(Date{1970, 1, 1}), 3);   // Thursday
  EXPECT_EQ(day_of_week(Date{1969, 1, 1}), 2);   // Wednesday
  EXPECT_EQ(day_of_week(Date{2000, 2, 29}), 1);  // Tuesday
  EXPECT_EQ(day_of_year(Date{1988, 12, 31}), 366);
  EXPECT_EQ(day_of_year(Date{1987, 12, 31}), 365);
  EXPECT_EQ(days_since_epoch(Date{1969, 12, 31}), -1);
  EXPECT_TRUE(is_valid_date(Date{2000, 2, 29}));
  EXPECT_FALSE(is_valid_date(Date{1900, 2, 29}));
  EXPECT_EQ(parse_date("1988-01-07"), (Date{1988, 1, 7}));
  EXPECT_EQ(to_string(Date{1988, 1, 7}), "1988-01-07");
  EXPECT_THROW(parse_date("1988-1-7"), birnn::OptionError);
  EXPECT_THROW(parse_date("1987-02-29"), birnn::OptionError);
  const auto f = calendar_features(Date{1988, 1, 1});  // Friday, January, first day
  ASSERT_EQ(static_cast<std::int64_t>(f.size()), kCalendarFeatures);
  EXPECT_EQ(f[4], 1.f);
  EXPECT_EQ(f[7], 1.f);
  EXPECT_FLOAT_EQ(f[19], 0.f);
  EXPECT_FLOAT_EQ(f[20], 1.f);
  float ones = 0;
  for (int i = 0; i < 19; ++i) ones += f[i];
  EXPECT_EQ(ones, 2.f);
}

TEST(DataSeries, CsvReader) {
  TempDir d;
  const auto p = d.write("s.csv", "day,\"units, sold\",note\n2020-01-30,5,x\n\n2020-02-01,\"7.5\",\"a \"\"q\"\", b\"\n");
  const auto s = read_csv_series(p, CsvSeriesOptions().value("units, sold").date("day"));
  EXPECT_EQ(s.values, (std::vector<double>{5, 7.5}));
  EXPECT_EQ(s.dates[1], (Date{2020, 2, 1}));
  EXPECT_EQ(s.lines, (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(read_csv_series(p, CsvSeriesOptions().value("units, sold")).dates.size(), 0u);
  auto msg = format_error([&] { read_csv_series(p, CsvSeriesOptions().value("sales")); });
  EXPECT_TRUE(contains(msg, "s.csv:1: no value column \"sales\" in the header; the columns are \"day\", \"units, sold\", \"note\"")) << msg;
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(p, CsvSeriesOptions().value("units, sold").date("day").daily(true)); }),
                       "s.csv:4: date 2020-02-01 does not follow 2020-01-30 (daily series: 1 days missing)"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("n.csv", "v\n1\nabc\n"), CsvSeriesOptions().value("v")); }), "n.csv:3: value \"abc\""));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("m.csv", "v\n1\n\"\"\n"), CsvSeriesOptions().value("v")); }), "m.csv:3: empty value"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("f.csv", "a,v\n1,2\n3\n"), CsvSeriesOptions().value("v")); }), "f.csv:3: has 1 fields, the header has 2"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("q.csv", "v\n\"1\n"), CsvSeriesOptions().value("v")); }), "q.csv:2: unclosed quote"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("h.csv", "v\n"), CsvSeriesOptions().value("v")); }), "no data rows"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("d.csv", "d,v\n2020-02-30,1\n"), CsvSeriesOptions().value("v").date("d")); }),
                       "d.csv:2: date \"2020-02-30\" does not exist"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("o.csv", "d,v\n2020-02-03,1\n2020-02-02,1\n"), CsvSeriesOptions().value("v").date("d")); }),
                       "o.csv:3: date 2020-02-02 does not come after 2020-02-03"));
  EXPECT_TRUE(contains(format_error([&] { read_csv_series(d.write("inf.csv", "v\ninf\n"), CsvSeriesOptions().value("v")); }), "not a finite number"));
  EXPECT_THROW(read_csv_series(p, CsvSeriesOptions()), birnn::OptionError);
}

TEST(DataSeries, SplitLastYears) {
  TimeSeries s;
  for (int y = 2000; y <= 2003; ++y) s.dates.push_back(Date{y, 6, 1}), s.values.push_back(y);
  const auto sp = split_last_years(s, 2);
  EXPECT_EQ(sp.train.values, (std::vector<double>{2000, 2001}));
  EXPECT_EQ(sp.test.values, (std::vector<double>{2002, 2003}));
  EXPECT_THROW(split_last_years(s, 4), birnn::OptionError);
  EXPECT_THROW(split_last_years(s, 0), birnn::OptionError);
  s.dates.clear();
  EXPECT_THROW(split_last_years(s, 1), birnn::OptionError);
}
