// Readers for the formats people already have. Each returns plain structs (no tensors); every error
// is a birnn::FormatError whose message starts with "path:line: " (or "path: " for whole-file faults).
//
//   using namespace birnn::data;
//   auto sents = read_conll("train.conll", ReadOptions().max_tokens(200));  // token<TAB>...<TAB>tag, or CoNLL-U
//   auto mails = read_tsv_labeled("train.tsv");                             // label<TAB>text
//   auto revs  = read_jsonl_labeled("reviews.jsonl", JsonlFields().label("stars").text("review"));
//   std::string book = read_plain_text("book.txt");
//
// Common rules (all readers):
//  - a missing or unreadable file, a directory, or an empty file (0 bytes, or only whitespace) is an error;
//  - lines end in "\n" or "\r\n"; a last line without "\n" is read as well;
//  - bytes that are not UTF-8 are an error naming line and column unless ReadOptions::invalid_utf8 says
//    to replace them (text.hpp: U+FFFD or Latin-1);
//  - max_tokens() (sentences) and max_text_bytes() (classification texts, plain text) give an error naming
//    the line of the example that is too long; 0 means no limit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "birnn/data/text.hpp"

namespace birnn::data {

/// Options shared by the readers.
class ReadOptions {
 public:
  /// Longest sentence in tokens (0 = no limit, the default). Longer -> FormatError naming file and line.
  ReadOptions& max_tokens(std::int64_t v) { max_tokens_ = v; return *this; }
  /// Longest classification text or plain-text file in bytes (0 = no limit, the default).
  ReadOptions& max_text_bytes(std::int64_t v) { max_text_bytes_ = v; return *this; }
  /// Bytes that are not UTF-8: error (default), replace with U+FFFD, or decode as Latin-1.
  ReadOptions& invalid_utf8(InvalidUtf8 v) { invalid_utf8_ = v; return *this; }
  /// TSV/JSONL only: skip blank lines instead of rejecting them (default false: a blank line is an error).
  ReadOptions& skip_blank_lines(bool v) { skip_blank_lines_ = v; return *this; }

  std::int64_t max_tokens() const { return max_tokens_; }
  std::int64_t max_text_bytes() const { return max_text_bytes_; }
  InvalidUtf8 invalid_utf8() const { return invalid_utf8_; }
  bool skip_blank_lines() const { return skip_blank_lines_; }

 private:
  std::int64_t max_tokens_ = 0, max_text_bytes_ = 0;
  InvalidUtf8 invalid_utf8_ = InvalidUtf8::error;
  bool skip_blank_lines_ = false;
};

/// One tagged sentence; source and line say where it starts (for messages).
struct TaggedSentence {
  std::vector<std::string> tokens;
  std::vector<std::string> tags;  ///< same length as tokens
  std::string source;
  std::int64_t line = 0;
};

/// One classification example.
struct LabeledText {
  std::string label;
  std::string text;
  std::string source;
  std::int64_t line = 0;  ///< 0 when the example is a whole file (e.g. an e-mail)
};

/// A deterministic train / held-out split.
template <class T>
struct Split {
  std::vector<T> train, test;
};

/// Which columns read_conll takes.
class ConllColumns {
 public:
  /// Column of the token (default 0). Negative counts from the end (-1 = last).
  ConllColumns& token(int v) { token_ = v; return *this; }
  /// Column of the tag (default -1, the last: the NER column of CoNLL-2003, the tag of `token<TAB>tag`).
  /// A CoNLL-U file read with the default columns gives FORM and UPOS (read_conll); token(1).tag(4)
  /// would take XPOS instead.
  ConllColumns& tag(int v) { tag_ = v; return *this; }
  int token() const { return token_; }
  int tag() const { return tag_; }

 private:
  int token_ = 0, tag_ = -1;
};

/// CoNLL-style tagging data: one token per line, columns separated by TAB, a blank line (or only
/// spaces/tabs) between sentences, several blank lines count as one. Two formats, told apart by the
/// file's first line of data:
///  - `token<TAB>tag` (and CoNLL-2003 style): extra columns are allowed; by default the first is the
///    token and the last the tag (ConllColumns chooses others). Skipped: lines starting with "-DOCSTART-",
///    lines starting with '#' that have no TAB ("#<TAB>#" is the token '#' and its tag).
///  - CoNLL-U, when that line has 10 TAB-separated fields (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS
///    MISC) and its ID is a word index ("1", or "1-2", "1.1"): with the default columns the token is FORM
///    (field 2) and the tag UPOS (field 4). Skipped: comment lines (starting with '#'), multiword token
///    ranges ("1-2") and empty nodes ("1.1"). Errors: a line with another number of fields than 10, an ID
///    that is not a word index, a tag "_" (CoNLL-U's empty field).
/// Spaces around a column are trimmed. Errors (both): a line without a TAB, a line with too few columns,
/// an empty token or tag, a sentence longer than max_tokens, no sentence at all.
std::vector<TaggedSentence> read_conll(const std::string& path, const ReadOptions& options = {}, const ConllColumns& columns = {});

/// `word/tag` tokens separated by spaces or tabs, one sentence per line (blank lines are skipped): the
/// Brown corpus format. The tag is what follows the last '/', so "1/2/cd" is word "1/2", tag "cd".
/// Tags are returned as written (normalize_brown_tag in datasets.hpp is separate). Errors: a token with no
/// '/', or with nothing before or after its last '/'; a sentence longer than max_tokens.
std::vector<TaggedSentence> read_slash_tagged(const std::string& path, const ReadOptions& options = {});

/// `label<TAB>text` lines; the text is everything after the first TAB (it may contain more TABs).
/// Errors: a line without TAB, an empty label or text, a blank line (unless skip_blank_lines), a text
/// longer than max_text_bytes.
std::vector<LabeledText> read_tsv_labeled(const std::string& path, const ReadOptions& options = {});

/// Field names for read_jsonl_labeled.
class JsonlFields {
 public:
  /// Name of the label field (default "label"); its value is a string, an integer or a boolean
  /// (taken as its JSON text: 1 -> "1", true -> "true").
  JsonlFields& label(std::string v) { label_ = std::move(v); return *this; }
  /// Name of the text field (default "text"); its value must be a string.
  JsonlFields& text(std::string v) { text_ = std::move(v); return *this; }
  const std::string& label() const { return label_; }
  const std::string& text() const { return text_; }

 private:
  std::string label_ = "label", text_ = "text";
};

/// One JSON object per line with a label and a text field (other fields are ignored). Errors: a line that
/// is not a JSON object, a missing field (the message lists the fields present), a label or text of the
/// wrong type, empty label, a blank line (unless skip_blank_lines), a text longer than max_text_bytes.
std::vector<LabeledText> read_jsonl_labeled(const std::string& path, const ReadOptions& options = {}, const JsonlFields& fields = {});

/// A whole UTF-8 text file, "\r\n" turned into "\n" (for character language models). Errors: missing or
/// empty file, invalid UTF-8 (as options says), longer than max_text_bytes.
std::string read_plain_text(const std::string& path, const ReadOptions& options = {});

}  // namespace birnn::data
