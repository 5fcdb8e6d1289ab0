// Minimal RFC 5322 / MIME reading for the SpamAssassin corpus (rules in datasets.hpp).
#include <algorithm>
#include <cctype>

#include "birnn/data/datasets.hpp"
#include "birnn/data/text.hpp"

namespace birnn::data {

namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_qp(std::string_view s, bool underscore_is_space) {
  std::string o;
  o.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=' && i + 1 < s.size() && (s[i + 1] == '\n' || s[i + 1] == '\r')) {  // soft line break
      ++i;
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (c == '=' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      o += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      o += underscore_is_space && c == '_' ? ' ' : c;
    }
  }
  return o;
}

// Base64 decoding that skips characters outside the alphabet (line breaks); stops at '='.
std::string decode_base64(std::string_view s) {
  std::string o;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return o;
}

// RFC 2047 encoded words: =?charset?Q?text?= and =?charset?B?text?=.
std::string decode_encoded_words(std::string_view s) {
  std::string o;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = s.find("=?", i);
    if (start == std::string_view::npos) break;
    const std::size_t q1 = s.find('?', start + 2);
    const std::size_t q2 = q1 == std::string_view::npos ? q1 : s.find('?', q1 + 1);
    const std::size_t end = q2 == std::string_view::npos ? q2 : s.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      o.append(s.substr(i, start + 2 - i));
      i = start + 2;
      continue;
    }
    o.append(s.substr(i, start - i));
    const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(s[q1 + 1])));
    const std::string_view payload = s.substr(q2 + 1, end - q2 - 1);
    if (enc == 'Q') o += decode_qp(payload, true);
    else if (enc == 'B') o += decode_base64(payload);
    else o.append(s.substr(start, end + 2 - start));
    i = end + 2;
  }
  o.append(s.substr(std::min(i, s.size())));
  return o;
}

// A header parameter such as boundary="abc" from a Content-Type value.
std::string header_param(std::string_view value, std::string_view name) {
  const std::string low = lower(value);
  std::size_t pos = 0;
  while ((pos = low.find(lower(name), pos)) != std::string::npos) {
    const bool word_start = pos == 0 || low[pos - 1] == ';' || low[pos - 1] == ' ' || low[pos - 1] == '\t';
    std::size_t k = pos + name.size();
    while (k < low.size() && (low[k] == ' ' || low[k] == '\t')) ++k;
    if (!word_start || k >= low.size() || low[k] != '=') {
      ++pos;
      continue;
    }
    ++k;
    while (k < value.size() && (value[k] == ' ' || value[k] == '\t')) ++k;
    if (k < value.size() && value[k] == '"') {
      const std::size_t e = value.find('"', k + 1);
      return std::string(value.substr(k + 1, e == std::string_view::npos ? std::string_view::npos : e - k - 1));
    }
    std::size_t e = k;
    while (e < value.size() && value[e] != ';' && value[e] != ' ' && value[e] != '\t' && value[e] != '\r') ++e;
    return std::string(value.substr(k, e - k));
  }
  return "";
}

struct Part {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

std::string find_header(const std::vector<std::pair<std::string, std::string>>& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (iequals(k, name)) return v;
  return "";
}

// Splits headers from body. skip_mbox: skip a leading "From " line.
Part split_part(std::string_view raw, bool skip_mbox) {
  Part p;
  std::size_t pos = 0;
  if (skip_mbox && raw.rfind("From ", 0) == 0) {
    const std::size_t nl = raw.find('\n');
    pos = nl == std::string_view::npos ? raw.size() : nl + 1;
  }
  while (pos < raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) nl = raw.size();
    std::string_view line = raw.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) {
      p.body = raw.substr(std::min(pos, raw.size()));
      return p;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !p.headers.empty()) {
      std::size_t a = line.find_first_not_of(" \t");
      p.headers.back().second += ' ';
      p.headers.back().second.append(line.substr(a == std::string_view::npos ? line.size() : a));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a header line: ignored
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    p.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return p;  // no blank line: all headers, empty body
}

std::string strip_html(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  const std::string low = lower(s);
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '<') {
      std::size_t end;
      if (low.compare(i, 4, "<!--") == 0) {
        end = low.find("-->", i + 4);
        end = end == std::string::npos ? s.size() : end + 3;
      } else if (low.compare(i, 6, "<style") == 0 || low.compare(i, 7, "<script") == 0) {
        const std::string close = low.compare(i, 6, "<style") == 0 ? "</style" : "</script";
        end = low.find(close, i + 1);
        end = end == std::string::npos ? s.size() : low.find('>', end);
        end = end == std::string::npos ? s.size() : end + 1;
      } else {
        end = low.find('>', i + 1);
        end = end == std::string::npos ? s.size() : end + 1;
        // Keep where links and images point (href= / src= values): often all a spam mail says.
        const std::string_view tag(low.data() + i, end - i);
        for (const char* attr : {"href=", "src="}) {
          const std::size_t a = tag.find(attr);
          if (a == std::string_view::npos || (a > 0 && tag[a - 1] != ' ' && tag[a - 1] != '\t' && tag[a - 1] != '\n')) continue;
          std::size_t v = i + a + std::char_traits<char>::length(attr), e;
          if (v < end && (s[v] == '"' || s[v] == '\'')) {
            e = s.find(s[v], v + 1);
            ++v;
          } else {
            e = s.find_first_of(" \t\n>", v);
          }
          e = std::min(e == std::string_view::npos ? end : e, end);
          if (e > v) o += ' ', o.append(s.substr(v, e - v));
        }
      }
      o += ' ';
      i = end;
    } else if (c == '&') {
      static const std::pair<const char*, const char*> entities[] = {
          {"&nbsp;", " "}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&#39;", "'"}};
      bool done = false;
      for (const auto& [name, rep] : entities) {
        const std::size_t n = std::char_traits<char>::length(name);
        if (low.compare(i, n, name) == 0) {
          o += rep;
          i += n;
          done = true;
          break;
        }
      }
      if (!done) o += c, ++i;
    } else {
      o += c;
      ++i;
    }
  }
  return o;
}

// A text/plain part that is really HTML (common in spam).
bool looks_like_html(std::string_view s) {
  const std::string low = lower(s.substr(0, 4096));
  return low.find("<html") != std::string::npos || low.find("<body") != std::string::npos;
}

void collect_text(std::string_view raw, bool top, int depth, const EmailOptions& options, std::string& out,
                  std::vector<std::pair<std::string, std::string>>* top_headers) {
  Part p = split_part(raw, top);
  if (top_headers) *top_headers = p.headers;
  const std::string ctype = find_header(p.headers, "Content-Type");
  std::string type = lower(ctype.substr(0, ctype.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(), [](char c) { return c == ' ' || c == '\t'; }), type.end());
  if (type.empty()) type = "text/plain";
  if (type.rfind("multipart/", 0) == 0 && depth < 8) {
    const std::string boundary = header_param(ctype, "boundary");
    if (!boundary.empty()) {
      const std::string delim = "--" + boundary;
      std::vector<std::string_view> parts;
      std::size_t pos = 0;
      std::size_t part_start = std::string_view::npos;
      bool found = false;
      while (pos < p.body.size()) {
        std::size_t nl = p.body.find('\n', pos);
        if (nl == std::string_view::npos) nl = p.body.size();
        std::string_view line = p.body.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.rfind(delim, 0) == 0) {
          found = true;
          if (part_start != std::string_view::npos) parts.push_back(p.body.substr(part_start, pos - part_start));
          const bool closing = line.substr(delim.size()).rfind("--", 0) == 0;
          part_start = closing ? std::string_view::npos : nl + 1;
          if (closing) break;
        }
        pos = nl + 1;
      }
      if (part_start != std::string_view::npos && part_start < p.body.size()) parts.push_back(p.body.substr(part_start));
      if (found) {
        for (auto part : parts) collect_text(part, false, depth + 1, options, out, nullptr);
        return;
      }
    }
    type = "text/plain";  // no usable boundary: read the body as text
  }
  if (type.rfind("text/", 0) != 0) return;  // attachments, images: dropped
  const std::string cte = lower(find_header(p.headers, "Content-Transfer-Encoding"));
  std::string bytes;
  if (cte.find("quoted-printable") != std::string::npos) bytes = decode_qp(p.body, false);
  else if (cte.find("base64") != std::string::npos) bytes = decode_base64(p.body);
  else bytes = std::string(p.body);
  std::string text = repair_utf8(bytes, InvalidUtf8::latin1);
  if (options.strip_html() && (type == "text/html" || looks_like_html(text))) text = strip_html(text);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += text;
}

}  // namespace

// Why these: datasets.hpp. Relay chains (Received), Date and Message-Id are left out: long and mostly noise.
const std::vector<std::string>& spam_headers() {
  static const std::vector<std::string> h = {
      "Subject", "From", "To", "Reply-To", "Return-Path", "X-Mailer", "User-Agent", "Content-Type", "List-Id",
      "Precedence", "In-Reply-To", "X-Priority", "X-MSMail-Priority", "Delivered-To", "Sender", "Errors-To"};
  return h;
}

std::string Email::header(std::string_view name) const { return find_header(headers, name); }

Email parse_email(std::string_view raw, const EmailOptions& options) {
  Email m;
  std::vector<std::pair<std::string, std::string>> headers;
  collect_text(raw, true, 0, options, m.body, &headers);
  for (auto& [k, v] : headers) m.headers.emplace_back(repair_utf8(k, InvalidUtf8::latin1), repair_utf8(decode_encoded_words(v), InvalidUtf8::latin1));
  if (options.max_body_bytes() > 0 && static_cast<std::int64_t>(m.body.size()) > options.max_body_bytes()) {
    std::size_t cut = static_cast<std::size_t>(options.max_body_bytes());
    while (cut > 0 && (static_cast<unsigned char>(m.body[cut]) & 0xC0) == 0x80) --cut;
    m.body.resize(cut);
  }
  return m;
}

std::string email_text(const Email& mail, const EmailOptions& options) {
  std::string t;
  for (const auto& name : options.headers()) {
    const std::string v = mail.header(name);
    if (!v.empty()) t += name + ": " + v + "\n";
  }
  t += "\n";
  t += mail.body;
  return t;
}

}  // namespace birnn::data
