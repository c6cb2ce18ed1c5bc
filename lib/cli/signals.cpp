#include "cli/signals.h"

#include <signal.h>
#include <unistd.h>

#include "io/stop.h"

namespace sp::cli {
namespace {

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

}  // namespace sp::cli
