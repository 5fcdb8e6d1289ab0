#include "birnn/data/text.hpp"

#include <algorithm>
#include <cstdint>

namespace birnn::data {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if s[i] does not start one (RFC 3629 table).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) { return k < left && b(k) >= lo && b(k) <= hi; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool ascii_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::size_t find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string repair_utf8(std::string_view s, InvalidUtf8 how) {
  if (how == InvalidUtf8::error || find_invalid_utf8(s) == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i++]);
    if (how == InvalidUtf8::replace) {
      out += "\xEF\xBF\xBD";
    } else {  // Latin-1: c >= 0x80 here, two-byte UTF-8
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::vector<std::string> utf8_chars(std::string_view s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = std::max<std::size_t>(1, utf8_sequence_length(s, i));
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::vector<std::string> Tokenizer::operator()(std::string_view text) const {
  std::vector<std::string> out;
  std::string cur;
  const std::size_t max_len = max_token_chars_ == 0 ? 1 : max_token_chars_;
  const auto flush = [&] {
    if (cur.empty()) return;
    if (cur.size() > max_len) {  // cut at a code point boundary
      std::size_t cut = max_len;
      while (cut > 0 && (static_cast<unsigned char>(cur[cut]) & 0xC0) == 0x80) --cut;
      cur.resize(cut == 0 ? max_len : cut);
    }
    out.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {  // a non-ASCII code point (or stray byte): part of a word
      const std::size_t n = std::max<std::size_t>(1, utf8_sequence_length(text, i));
      cur.append(text.substr(i, n));
      i += n;
      continue;
    }
    ++i;
    if (ascii_alnum(c)) {
      cur += static_cast<char>(lowercase_ && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else {
      flush();
      if (keep_.find(static_cast<char>(c)) != std::string::npos) out.emplace_back(1, static_cast<char>(c));
    }
  }
  flush();
  return out;
}

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace birnn::data
