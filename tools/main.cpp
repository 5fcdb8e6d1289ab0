// birnn command line: one small dispatcher; each subcommand lives in its own cmd_*.cpp.
#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "birnn/error.hpp"
#include "commands.hpp"
#include "interrupt.hpp"

namespace {
const char* kUsage =
    "usage: birnn <command> [flags]\n"
    "\n"
    "commands:\n"
    "  demo    train a small BiLSTM classifier on generated variable-length data and show the loss fall\n"
    "  bench   time forward and forward+backward of an RNN/LSTM/GRU layer (medians, GFLOP/s)\n"
    "  data    fetch, list and describe the real data sets (Brown, SpamAssassin, Moby Dick, US births)\n"
    "  train   train a task's model (pos, spam, charlm, births) with progress, checkpoints, --resume\n"
    "  eval    metrics of a trained model on its held-out split\n"
    "  predict predictions of a trained model for each input line\n"
    "  generate text from a character language model (charlm): prompt, temperature or greedy, seed\n"
    "  info    what a checkpoint holds: model, parameters per tensor, vocabularies, training notes\n"
    "  compare RNN vs LSTM vs GRU and their bidirectional forms on one task (adding, pos): table, report, charts\n"
    "\n"
    "birnn <command> --help describes the command's flags.\n";

// Training allocates and frees the same multi-MB buffers every step. With glibc's defaults large blocks
// go back to the OS (munmap, heap trimming) and the next step page-faults them in again: 11-19 s of system
// time (1.25M faults) in a 6-epoch spam run, up to 20% of a births epoch. Keep freed memory instead, as
// bench/compare.py's "tuned" malloc does for every tool (an explicit GLIBC_TUNABLES malloc setting wins).
void keep_freed_memory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "malloc")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

// Runs one command; a birnn::Error is a message and exit 1, anything else an internal error (exit 3).
int run(const std::string& cmd, const std::vector<std::string>& rest) {
  try {
    if (cmd == "demo") return birnn::cli::cmd_demo(rest);
    if (cmd == "bench") return birnn::cli::cmd_bench(rest);
    if (cmd == "data") return birnn::cli::cmd_data(rest);
    if (cmd == "train") return birnn::cli::cmd_train(rest);
    if (cmd == "eval") return birnn::cli::cmd_eval(rest);
    if (cmd == "predict") return birnn::cli::cmd_predict(rest);
    if (cmd == "info") return birnn::cli::cmd_info(rest);
    if (cmd == "compare") return birnn::cli::cmd_compare(rest);
    if (cmd == "generate") return birnn::cli::cmd_generate(rest);
    std::fprintf(stderr, "birnn: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const birnn::Error& e) {
    std::fprintf(stderr, "birnn %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "birnn %s: error: out of memory (reduce the sizes)\n", cmd.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "birnn %s: internal error: %s\n", cmd.c_str(), e.what());
    return 3;
  }
}
}  // namespace

int main(int argc, char** argv) {
  birnn::cli::route_stop_signals();  // before any thread exists (interrupt.hpp)
  keep_freed_memory();
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  const int rc = run(cmd, rest);
  // Output that did not reach stdout (a full disk, a closed pipe) is an error, not a success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "birnn %s: error: cannot write to standard output: %s\n", cmd.c_str(), std::strerror(errno));
    return rc == 0 ? 1 : rc;
  }
  return rc;
}
