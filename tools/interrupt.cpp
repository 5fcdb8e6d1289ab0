#include "interrupt.hpp"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <mutex>
#include <system_error>
#include <thread>

namespace birnn::cli {

namespace {
std::mutex g_mutex;
Trainer* g_trainer = nullptr;  // guarded by g_mutex, as is g_count
int g_count = 0;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Ends the process by `sig` as if birnn had left it alone (a shell then reports 128 + sig).
[[noreturn]] void die_by(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  pthread_sigmask(SIG_UNBLOCK, &only, nullptr);  // on this thread only; the default action ends every thread
  raise(sig);
  _exit(128 + sig);  // not reached
}

void watch_stop_signals() {
  const sigset_t set = stop_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_trainer || ++g_count > 1) die_by(sig);  // nothing to stop, or the user insists
    static const char msg[] = "\nstopping after this step (Ctrl-C again to quit now)\n";
    [[maybe_unused]] const auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
    g_trainer->request_stop();
  }
}
}  // namespace

void route_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    std::thread(watch_stop_signals).detach();
  } catch (const std::system_error&) {  // no thread to be had: the signals keep their default action
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }
}

StopOnInterrupt::StopOnInterrupt(Trainer& trainer) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_trainer = &trainer;
  g_count = 0;
}

StopOnInterrupt::~StopOnInterrupt() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_trainer = nullptr;
}

}  // namespace birnn::cli
