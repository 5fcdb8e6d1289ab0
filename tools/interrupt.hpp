// Ctrl-C and SIGTERM in the birnn CLI. During `birnn train` the first one asks the trainer to stop after the
// current step (it then writes its checkpoint and the command exits 130); a second one, or one at any other
// time, ends the process at once as the signal's default action would.
//
// No signal handler ever runs on a computing thread: route_stop_signals() blocks SIGINT and SIGTERM in every
// thread and a thread of its own takes them with sigwait(). Why: oneDNN's JIT GEMM kernels run with the stack
// pointer inside a heap block (seen on this project's Zen 1 machine: rsp in [heap], inside JIT code, in 3 of
// 25 samples of a charlm run), and the kernel writes a handler's frame just below the interrupted stack
// pointer, that is, over heap memory. A Ctrl-C that landed there corrupted the heap; glibc aborted in the
// checkpoint save that followed ("corrupted size vs. prev_size while consolidating", "munmap_chunk(): invalid
// pointer"), and nothing was saved.
#pragma once
#include "birnn/trainer.hpp"

namespace birnn::cli {

/// Call first thing in main(), before any other thread exists (threads inherit the blocked mask).
void route_stop_signals();

/// While alive, the first SIGINT/SIGTERM calls trainer.request_stop() instead of ending the process.
class StopOnInterrupt {
 public:
  explicit StopOnInterrupt(Trainer& trainer);
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;
};

}  // namespace birnn::cli
