// Text helpers for the data layer: UTF-8 checking and repair, characters as code points, and the
// tokenizer used for classification text.
//
//   birnn::data::Tokenizer tok;                       // lowercase, words = runs of letters/digits, keeps ! ? $ %
//   tok("Win $1,000 NOW!!")                           // {"win", "$", "1", "000", "now", "!", "!"}
//   birnn::data::utf8_chars("naïve")                  // {"n", "a", "ï", "v", "e"}: one string per code point
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace birnn::data {

/// What a reader does with bytes that are not valid UTF-8.
enum class InvalidUtf8 {
  error,    ///< throw FormatError naming the file, line and byte (the default of the generic readers)
  replace,  ///< replace each invalid byte with U+FFFD
  latin1,   ///< decode each invalid byte as Latin-1 (byte b -> U+00b), keeping valid UTF-8 as it is
};

/// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms, surrogates
/// and code points above U+10FFFF are invalid, as in RFC 3629), or std::string_view::npos if s is valid.
std::size_t find_invalid_utf8(std::string_view s);
/// s with every invalid byte replaced (InvalidUtf8::replace or latin1; `error` returns s unchanged).
std::string repair_utf8(std::string_view s, InvalidUtf8 how);

/// The code points of valid UTF-8 text, each as its own UTF-8 string (invalid bytes come out one by one).
std::vector<std::string> utf8_chars(std::string_view s);

/// The tokenizer for classification text. Rules, in order:
///  - ASCII letters are lowercased when lowercase() is on (non-ASCII letters are left as they are);
///  - a token is a maximal run of ASCII letters, ASCII digits and non-ASCII code points (so "naïve",
///    "straße" and "東京" stay whole);
///  - each character of keep() (default "!?$%") is a one-character token of its own;
///  - everything else (spaces, other punctuation, control characters) separates tokens and is dropped;
///    so "don't" -> {"don", "t"}, "e-mail" -> {"e", "mail"}, "<html>" -> {"html"};
///  - tokens longer than max_token_chars() bytes (default 40) are cut to that length at a code point
///    boundary (long base64 or URL runs would otherwise each become a token of their own).
/// Input should be valid UTF-8 (see repair_utf8); invalid bytes are treated like non-ASCII code points.
class Tokenizer {
 public:
  /// Lowercase ASCII letters (default true).
  Tokenizer& lowercase(bool v) { lowercase_ = v; return *this; }
  /// Punctuation kept as one-character tokens (ASCII only; default "!?$%").
  Tokenizer& keep(std::string v) { keep_ = std::move(v); return *this; }
  /// Longest token in bytes; longer runs are cut (default 40, >= 1).
  Tokenizer& max_token_chars(std::size_t v) { max_token_chars_ = v; return *this; }

  std::vector<std::string> operator()(std::string_view text) const;

 private:
  bool lowercase_ = true;
  std::string keep_ = "!?$%";
  std::size_t max_token_chars_ = 40;
};

/// Splits on ASCII whitespace (space, tab, CR, LF, FF, VT): the tokenizer for pre-tokenized text.
std::vector<std::string> split_whitespace(std::string_view text);

}  // namespace birnn::data
