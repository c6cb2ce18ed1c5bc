#include "cli/signals.h"

#include <signal.h>
#include <unistd.h>

#include "io/stop.h"

namespace sp::cli {
namespace {

volatile sig_atomic_t reload_requested = 0;

void on_reload_signal(int) { reload_requested = 1; }

void on_stop_signal(int sig) {
  if (io::stop_requested()) {
    // Second signal: the user means it.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  io::request_stop();
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void install_reload_signal() {
  struct sigaction sa = {};
  sa.sa_handler = on_reload_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // a reload waits for the next record; reads need not return
  sigaction(SIGHUP, &sa, nullptr);
}

bool take_reload_request() {
  if (!reload_requested) return false;
  reload_requested = 0;
  return true;
}

}  // namespace sp::cli
