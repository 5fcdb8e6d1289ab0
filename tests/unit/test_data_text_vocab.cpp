// UTF-8 helpers, the classification tokenizer and vocabularies.
#include <gtest/gtest.h>

#include "birnn/data/text.hpp"
#include "birnn/data/vocab.hpp"
#include "birnn/error.hpp"
#include "test_util.hpp"

using namespace birnn::data;
using birnn::testing::contains;
using birnn::testing::error_of;
using Strings = std::vector<std::string>;

TEST(DataText, Utf8Validation) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("na\xC3\xAFve \xE2\x80\x94 \xF0\x9F\x98\x80"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xE9z"), 2u);             // Latin-1 e-acute
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);            // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1u);       // surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // > U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xE2\x80"), 0u);            // truncated
}

TEST(DataText, Utf8Repair) {
  EXPECT_EQ(repair_utf8("caf\xE9", InvalidUtf8::latin1), "caf\xC3\xA9");
  EXPECT_EQ(repair_utf8("caf\xE9", InvalidUtf8::replace), "caf\xEF\xBF\xBD");
  EXPECT_EQ(repair_utf8("ok \xE2\x80\x94", InvalidUtf8::latin1), "ok \xE2\x80\x94");  // valid stays
  EXPECT_EQ(find_invalid_utf8(repair_utf8("\xFF\xFE\x80", InvalidUtf8::latin1)), std::string::npos);
  EXPECT_EQ(utf8_chars("a\xC3\xAF\xE2\x80\x94"), (Strings{"a", "\xC3\xAF", "\xE2\x80\x94"}));
}

TEST(DataText, Tokenizer) {
  Tokenizer tok;
  EXPECT_EQ(tok("Win $1,000 NOW!!"), (Strings{"win", "$", "1", "000", "now", "!", "!"}));
  EXPECT_EQ(tok("don't e-mail <HTML> na\xC3\xAFve"), (Strings{"don", "t", "e", "mail", "html", "na\xC3\xAFve"}));
  EXPECT_TRUE(tok(" \t\n.,;").empty());
  EXPECT_EQ(Tokenizer().lowercase(false).keep("")("Hi! You?"), (Strings{"Hi", "You"}));
  EXPECT_EQ(Tokenizer().max_token_chars(4)("abcdefgh x"), (Strings{"abcd", "x"}));
  // A cut never splits a code point.
  EXPECT_EQ(Tokenizer().max_token_chars(4)("ab\xE2\x80\x94z"), (Strings{"ab"}));
  EXPECT_EQ(split_whitespace("  a\tb\r\nc  "), (Strings{"a", "b", "c"}));
}

TEST(DataVocab, BuildOrderMinCountMaxSize) {
  const std::vector<Strings> seqs = {{"the", "cat", "the", "dog"}, {"the", "cat", "a"}};
  const auto v = Vocabulary::build(seqs);
  EXPECT_EQ(v.to_strings(), (Strings{"<pad>", "<unk>", "the", "cat", "a", "dog"}));  // count desc, ties by bytes
  EXPECT_EQ(v.id("the"), 2);
  EXPECT_EQ(v.id("zebra"), Vocabulary::kUnk);
  EXPECT_EQ(v.encode({"cat", "zebra"}), (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(v.decode({2, 0}), (Strings{"the", "<pad>"}));
  EXPECT_EQ(Vocabulary::build(seqs, VocabularyOptions().min_count(2)).to_strings(), (Strings{"<pad>", "<unk>", "the", "cat"}));
  EXPECT_EQ(Vocabulary::build(seqs, VocabularyOptions().max_size(3)).to_strings(), (Strings{"<pad>", "<unk>", "the"}));
  EXPECT_THROW(Vocabulary::build(seqs, VocabularyOptions().min_count(0)), birnn::OptionError);
  EXPECT_THROW(Vocabulary::build(seqs, VocabularyOptions().max_size(1)), birnn::OptionError);
  EXPECT_THROW(v.token(6), birnn::OptionError);
  EXPECT_THROW(v.token(-1), birnn::OptionError);
}

TEST(DataVocab, LabelsHaveNoReservedEntries) {
  const auto tags = Vocabulary::build({{"nn", "vb", "nn"}}, VocabularyOptions().reserved(false));
  EXPECT_EQ(tags.to_strings(), (Strings{"nn", "vb"}));
  EXPECT_EQ(tags.id("vb"), 1);
  const auto msg = error_of([&] { tags.id("jj"); });
  EXPECT_TRUE(contains(msg, "unknown label \"jj\"")) << msg;
  EXPECT_EQ(tags.find("jj"), -1);
}

TEST(DataVocab, RoundTripThroughStrings) {
  const auto v = Vocabulary::build({{"b", "a", "b"}});
  const auto back = Vocabulary::from_strings(v.to_strings());
  EXPECT_EQ(back.to_strings(), v.to_strings());
  EXPECT_EQ(back.id("a"), v.id("a"));
  const auto labels = Vocabulary::from_strings({"ham", "spam"}, false);
  EXPECT_EQ(labels.id("spam"), 1);
  EXPECT_TRUE(contains(error_of([] { Vocabulary::from_strings({"a", "b"}); }), "<pad>"));
  EXPECT_TRUE(contains(error_of([] { Vocabulary::from_strings({}); }), "empty"));
  EXPECT_TRUE(contains(error_of([] { Vocabulary::from_strings({"<pad>", "<unk>", "x", "x"}); }), "duplicate entry \"x\" at id 3"));
}

TEST(DataVocab, Characters) {
  const auto v = build_char_vocabulary({"aab", "b\xE2\x80\x94"});
  EXPECT_EQ(v.to_strings(), (Strings{"<pad>", "<unk>", "a", "b", "\xE2\x80\x94"}));
  EXPECT_EQ(v.encode(utf8_chars("ba?")), (std::vector<std::int64_t>{3, 2, 1}));
}
