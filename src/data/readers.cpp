#include "birnn/data/readers.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "birnn/error.hpp"
#include "data/text_file.hpp"

namespace birnn::data {

using detail::fail_at;
using detail::is_blank;
using detail::Lines;

namespace {

void check_sentence_length(const std::string& path, const TaggedSentence& s, const ReadOptions& o) {
  if (o.max_tokens() > 0 && static_cast<std::int64_t>(s.tokens.size()) > o.max_tokens())
    fail_at(path, s.line, "sentence of " + std::to_string(s.tokens.size()) + " tokens is longer than the limit of " +
                              std::to_string(o.max_tokens()) + " (max_tokens)");
}

void check_text_length(const std::string& path, std::int64_t line, std::size_t bytes, const ReadOptions& o) {
  if (o.max_text_bytes() > 0 && static_cast<std::int64_t>(bytes) > o.max_text_bytes())
    fail_at(path, line, "text of " + std::to_string(bytes) + " bytes is longer than the limit of " + std::to_string(o.max_text_bytes()) +
                            " (max_text_bytes)");
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> cols;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    cols.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return cols;
}

// Column index with negative values counting from the end; -1 if out of range.
std::ptrdiff_t column(int c, std::size_t n) {
  const auto k = c < 0 ? static_cast<std::ptrdiff_t>(n) + c : static_cast<std::ptrdiff_t>(c);
  return k >= 0 && k < static_cast<std::ptrdiff_t>(n) ? k : -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

namespace {

constexpr std::size_t kConlluFields = 10;  // ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A CoNLL-U ID: a word index "3", a multiword token range "3-4" or an empty node "8.1".
enum class ConlluId { word, range, empty_node, invalid };
ConlluId conllu_id(std::string_view id) {
  if (all_digits(id)) return ConlluId::word;
  for (const auto& [sep, kind] : {std::pair{'-', ConlluId::range}, std::pair{'.', ConlluId::empty_node}}) {
    const std::size_t k = id.find(sep);
    if (k != std::string_view::npos && all_digits(id.substr(0, k)) && all_digits(id.substr(k + 1))) return kind;
  }
  return ConlluId::invalid;
}

// Whether the first data line of a file says CoNLL-U: 10 fields, the first an ID.
bool looks_like_conllu(const std::vector<std::string_view>& cols) {
  return cols.size() == kConlluFields && conllu_id(cols[0]) != ConlluId::invalid;
}

}  // namespace

std::vector<TaggedSentence> read_conll(const std::string& path, const ReadOptions& options, const ConllColumns& columns) {
  const std::string text = detail::read_text_file(path, options.invalid_utf8(), "CoNLL file");
  std::vector<TaggedSentence> out;
  TaggedSentence cur;
  const auto finish = [&] {
    if (cur.tokens.empty()) return;
    check_sentence_length(path, cur, options);
    out.push_back(std::move(cur));
    cur = TaggedSentence{};
  };
  enum class Format { unknown, token_tag, conllu } format = Format::unknown;
  // Default columns on CoNLL-U read FORM and UPOS; columns chosen by the caller are used as given.
  const bool default_columns = columns.token() == ConllColumns().token() && columns.tag() == ConllColumns().tag();
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) {
      finish();
      continue;
    }
    if (line.rfind("-DOCSTART-", 0) == 0) continue;
    // A '#' line is a comment in CoNLL-U; elsewhere only without a TAB ("#<TAB>#" is a token and its tag).
    if (line.front() == '#' && (format == Format::conllu || line.find('\t') == std::string_view::npos)) continue;
    const auto cols = split_tabs(line);
    if (format == Format::unknown) format = looks_like_conllu(cols) ? Format::conllu : Format::token_tag;
    int token_col = columns.token(), tag_col = columns.tag();
    if (format == Format::conllu) {
      if (cols.size() != kConlluFields)
        fail_at(path, lines.number(),
                "has " + std::to_string(cols.size()) +
                    " TAB-separated fields; a CoNLL-U line has 10 (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS "
                    "MISC; the file's first line of data made it CoNLL-U)");
      const ConlluId id = conllu_id(trim(cols[0]));
      if (id == ConlluId::invalid)
        fail_at(path, lines.number(),
                "ID \"" + std::string(cols[0].substr(0, 30)) +
                    "\" is not a CoNLL-U word index (1, 2, ...; 1-2 or 1.1)");
      // Multiword token ranges ("3-4") and empty nodes ("8.1") carry no tag of their own.
      if (id != ConlluId::word) continue;
      if (default_columns) token_col = 1, tag_col = 3;
    } else if (cols.size() < 2) {
      fail_at(path, lines.number(), "expected token<TAB>tag (columns separated by TAB), found no TAB in \"" + std::string(line.substr(0, 60)) + "\"");
    }
    const auto ti = column(token_col, cols.size()), gi = column(tag_col, cols.size());
    if (ti < 0 || gi < 0)
      fail_at(path, lines.number(), "has " + std::to_string(cols.size()) + " columns; token column " +
                                        std::to_string(token_col) + " and tag column " + std::to_string(tag_col) +
                                        " do not both exist");
    const std::string_view tok = trim(cols[static_cast<std::size_t>(ti)]), tag = trim(cols[static_cast<std::size_t>(gi)]);
    if (tok.empty()) fail_at(path, lines.number(), "empty token in column " + std::to_string(ti + 1));
    if (tag.empty()) fail_at(path, lines.number(), "empty tag in column " + std::to_string(gi + 1));
    // "_" is CoNLL-U's empty field: a tagger cannot learn from a token without its tag.
    if (format == Format::conllu && tag == "_")
      fail_at(path, lines.number(),
              "no tag: column " + std::to_string(gi + 1) + (default_columns ? " (UPOS)" : "") + " is \"_\"");
    if (cur.tokens.empty()) cur.source = path, cur.line = lines.number();
    cur.tokens.emplace_back(tok);
    cur.tags.emplace_back(tag);
  }
  finish();
  if (out.empty()) throw FormatError(path + ": no sentence found (expected token<TAB>tag or CoNLL-U lines)");
  return out;
}

std::vector<TaggedSentence> read_slash_tagged(const std::string& path, const ReadOptions& options) {
  const std::string text = detail::read_text_file(path, options.invalid_utf8(), "tagged text file");
  std::vector<TaggedSentence> out;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    TaggedSentence s;
    s.source = path;
    s.line = lines.number();
    for (const auto& tok : split_whitespace(line)) {
      const std::size_t slash = tok.rfind('/');
      if (slash == std::string::npos) fail_at(path, lines.number(), "token \"" + tok + "\" is not word/tag (no '/')");
      if (slash == 0 || slash + 1 == tok.size()) fail_at(path, lines.number(), "token \"" + tok + "\" has an empty word or tag");
      s.tokens.push_back(tok.substr(0, slash));
      s.tags.push_back(tok.substr(slash + 1));
    }
    check_sentence_length(path, s, options);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<LabeledText> read_tsv_labeled(const std::string& path, const ReadOptions& options) {
  const std::string text = detail::read_text_file(path, options.invalid_utf8(), "label<TAB>text file");
  std::vector<LabeledText> out;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) {
      if (options.skip_blank_lines()) continue;
      fail_at(path, lines.number(), "blank line (expected label<TAB>text; ReadOptions::skip_blank_lines allows them)");
    }
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) fail_at(path, lines.number(), "expected label<TAB>text, found no TAB");
    const std::string_view label = trim(line.substr(0, tab)), body = line.substr(tab + 1);
    if (label.empty()) fail_at(path, lines.number(), "empty label before the TAB");
    if (is_blank(body)) fail_at(path, lines.number(), "empty text after the TAB");
    check_text_length(path, lines.number(), body.size(), options);
    out.push_back(LabeledText{std::string(label), std::string(body), path, lines.number()});
  }
  return out;
}

std::vector<LabeledText> read_jsonl_labeled(const std::string& path, const ReadOptions& options, const JsonlFields& fields) {
  const std::string text = detail::read_text_file(path, options.invalid_utf8(), "JSONL file");
  std::vector<LabeledText> out;
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) {
      if (options.skip_blank_lines()) continue;
      fail_at(path, lines.number(), "blank line (expected one JSON object per line; ReadOptions::skip_blank_lines allows them)");
    }
    const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) fail_at(path, lines.number(), "not valid JSON");
    if (!j.is_object()) fail_at(path, lines.number(), "expected a JSON object {\"" + fields.label() + "\": ..., \"" + fields.text() + "\": ...}");
    const auto need = [&](const std::string& name) -> const nlohmann::json& {
      const auto it = j.find(name);
      if (it == j.end()) {
        std::string have;
        for (auto f = j.begin(); f != j.end(); ++f) have += (have.empty() ? "" : ", ") + f.key();
        fail_at(path, lines.number(), "no field \"" + name + "\" (fields present: " + (have.empty() ? "none" : have) + ")");
      }
      return *it;
    };
    const auto& lab = need(fields.label());
    const auto& txt = need(fields.text());
    std::string label;
    if (lab.is_string()) label = lab.get<std::string>();
    else if (lab.is_number_integer() || lab.is_boolean()) label = lab.dump();
    else fail_at(path, lines.number(), "field \"" + fields.label() + "\" must be a string, an integer or a boolean, got " + lab.type_name());
    if (!txt.is_string()) fail_at(path, lines.number(), "field \"" + fields.text() + "\" must be a string, got " + txt.type_name());
    if (label.empty()) fail_at(path, lines.number(), "empty label");
    std::string body = txt.get<std::string>();
    // JSON escapes (\u00ff...) can produce text the file's bytes did not show; \ud800 alone is rejected by the parser.
    check_text_length(path, lines.number(), body.size(), options);
    out.push_back(LabeledText{std::move(label), std::move(body), path, lines.number()});
  }
  return out;
}

std::string read_plain_text(const std::string& path, const ReadOptions& options) {
  std::string text = detail::read_text_file(path, options.invalid_utf8(), "text file");
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out += text[i];
  check_text_length(path, 1, out.size(), options);
  return out;
}

}  // namespace birnn::data
