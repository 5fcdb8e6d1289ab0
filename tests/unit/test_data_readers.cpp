// The generic readers (CoNLL, word/tag, TSV, JSONL, plain text, CSV series) and their bad-input errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <streambuf>

#include "birnn/data/readers.hpp"
#include "birnn/data/series.hpp"
#include "birnn/error.hpp"
#include "data/line_reader.hpp"
#include "data_test_util.hpp"
#include "stream_test_util.hpp"
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
  // "#<TAB>#" in a token<TAB>tag file is the token '#' with its tag, not a comment.
  EXPECT_EQ(read_conll(d.write("hash.conll", "#\t#\n5\tcd\n"))[0].tokens, (Strings{"#", "5"}));
}

TEST(DataReaders, ConllU) {
  // The committed sample, with the default columns: FORM and UPOS; comments, the multiword token "don't"
  // (2-3) and the empty node 5.1 skipped.
  const auto s = read_conll(birnn::testing::sample("tasks/pos_sample.conllu"));
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].tokens, (Strings{"The", "cat", "sat", "on", "the", "mat", "."}));
  EXPECT_EQ(s[0].tags, (Strings{"DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"}));
  EXPECT_EQ(s[0].line, 5);
  EXPECT_EQ(s[1].tokens, (Strings{"I", "do", "n't", "like", "rain", "."}));
  EXPECT_EQ(s[1].tags, (Strings{"PRON", "AUX", "PART", "VERB", "NOUN", "PUNCT"}));
  EXPECT_EQ(s[2].tokens, (Strings{"Sue", "likes", "coffee", "and", "Bill", "tea", "."}));
  EXPECT_EQ(s[3].tags.back(), "PUNCT");
  // Columns chosen by the caller are used as given: XPOS.
  EXPECT_EQ(read_conll(birnn::testing::sample("tasks/pos_sample.conllu"), {}, ConllColumns().token(1).tag(4))[1].tags,
            (Strings{"PRP", "VBP", "RB", "VB", "NN", "."}));
  // A comment with a TAB in it is still a comment once the file is CoNLL-U.
  TempDir d;
  const std::string row1 = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n";
  EXPECT_EQ(read_conll(d.write("tab.conllu", row1 + "# note\twith a tab\n2\tthere\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_\n"))[0].tokens,
            (Strings{"Hi", "there"}));
}

TEST(DataReaders, ConllUBadInput) {
  TempDir d;
  const std::string row1 = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n";
  auto msg = format_error([&] { read_conll(d.write("few.conllu", row1 + "2\tthere\tthere\tADV\n")); });
  EXPECT_TRUE(contains(msg, "few.conllu:2: has 4 TAB-separated fields; a CoNLL-U line has 10")) << msg;
  msg = format_error([&] { read_conll(d.write("more.conllu", row1 + "2\tthere\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_\textra\n")); });
  EXPECT_TRUE(contains(msg, "more.conllu:2: has 11 TAB-separated fields")) << msg;
  msg = format_error([&] { read_conll(d.write("id.conllu", row1 + "x2\tthere\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_\n")); });
  EXPECT_TRUE(contains(msg, "id.conllu:2: ID \"x2\" is not a CoNLL-U word index")) << msg;
  msg = format_error([&] { read_conll(d.write("upos.conllu", row1 + "\n1\tthere\tthere\t_\tRB\t_\t0\troot\t_\t_\n")); });
  EXPECT_TRUE(contains(msg, "upos.conllu:3: no tag: column 4 (UPOS) is \"_\"")) << msg;
  msg = format_error([&] { read_conll(d.write("form.conllu", row1 + "2\t\tthere\tADV\tRB\t_\t1\tadvmod\t_\t_\n")); });
  EXPECT_TRUE(contains(msg, "form.conllu:2: empty token in column 2")) << msg;
  msg = format_error([&] { read_conll(d.write("comments.conllu", "# sent_id = 1\n# text = nothing\n")); });
  EXPECT_TRUE(contains(msg, "comments.conllu: no sentence found")) << msg;
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


TEST(DataLineReader, ReadsLinesWithoutTheirEnds) {
  std::istringstream in("one\r\ntwo\n\nlast");
  birnn::data::detail::BoundedLineReader lines(in, 8);
  std::string l;
  Strings got;
  while (lines.next(l)) got.push_back(l);
  EXPECT_EQ(got, (Strings{"one", "two", "", "last"}));
  EXPECT_EQ(lines.number(), 4);
  EXPECT_FALSE(lines.next(l));  // stays at the end
  std::istringstream empty("");
  EXPECT_FALSE(birnn::data::detail::BoundedLineReader(empty, 8).next(l));
  std::istringstream exact("12345678\n123456789\n");
  birnn::data::detail::BoundedLineReader bounded(exact, 8);
  ASSERT_TRUE(bounded.next(l));
  EXPECT_EQ(l, "12345678");
  EXPECT_EQ(bounded.where(), "input:1: ");
  EXPECT_EQ(format_error([&] { bounded.next(l); }), "input line 2 is longer than 8 bytes");
}

TEST(DataLineReader, StopsAnEndlessLineAtTheBound) {
  birnn::testing::EndlessBuf buf;
  std::istream in(&buf);
  birnn::data::detail::BoundedLineReader lines(in, 1 << 20, "stdin");
  std::string l;
  EXPECT_EQ(format_error([&] { lines.next(l); }), "stdin line 1 is longer than 1048576 bytes");
}

TEST(DataLineReader, AFailingStreamIsAnErrorNotTheEnd) {
  std::string l;
  birnn::testing::FailingBuf failing("fine\nhalf");
  std::istream in(&failing);
  birnn::data::detail::BoundedLineReader lines(in, 100);
  ASSERT_TRUE(lines.next(l));
  EXPECT_EQ(l, "fine");
  EXPECT_TRUE(contains(format_error([&] { lines.next(l); }), "input: reading line 2 failed"));
  std::istream no_buffer(nullptr);  // bad() from the start
  EXPECT_TRUE(contains(format_error([&] { birnn::data::detail::BoundedLineReader(no_buffer, 100).next(l); }),
                       "input: reading failed after line 0"));
  TempDir d;  // a folder opened as a file: the read fails (EISDIR)
  std::ifstream folder(d.path());
  if (folder) EXPECT_TRUE(contains(format_error([&] { birnn::data::detail::BoundedLineReader(folder, 100).next(l); }), "input: reading"));
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
  // Only decimal numbers that float can hold (the models compute in float): 1e39 made every births metric NaN.
  for (const std::string bad : {"1e39", "-1e39", "0x10", "nan", "+5", "5 kg"}) {
    const std::string msg = format_error([&] { read_csv_series(d.write("big.csv", "v\n1\n" + bad + "\n"), CsvSeriesOptions().value("v")); });
    EXPECT_TRUE(contains(msg, "big.csv:3: value \"" + bad + "\" in column \"v\" is not a finite number")) << msg;
  }
  EXPECT_EQ(read_csv_series(d.write("ok.csv", "v\n3.4e38\n-0.5\n1e-300\n.5\n"), CsvSeriesOptions().value("v")).values,
            (std::vector<double>{3.4e38, -0.5, 1e-300, 0.5}));
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
