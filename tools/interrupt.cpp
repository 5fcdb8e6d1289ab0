#include "interrupt.hpp"

#include <csignal>
#include <unistd.h>

namespace birnn::cli {

namespace {
Trainer* g_trainer = nullptr;
volatile std::sig_atomic_t g_count = 0;
struct sigaction g_old_int, g_old_term;

extern "C" void on_signal(int sig) {
  g_count = g_count + 1;
  if (g_count > 1) _exit(128 + sig);  // second Ctrl-C: the user insists
  static const char msg[] = "\nstopping after this step (Ctrl-C again to quit now)\n";
  [[maybe_unused]] const auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
  if (g_trainer) g_trainer->request_stop();  // a lock-free atomic store
}
}  // namespace

StopOnInterrupt::StopOnInterrupt(Trainer& trainer) {
  g_trainer = &trainer;
  g_count = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopOnInterrupt::~StopOnInterrupt() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_trainer = nullptr;
}

}  // namespace birnn::cli
