#include "io/stop.h"

#include <csignal>

namespace sp::io {
namespace {
volatile std::sig_atomic_t g_stop = 0;
}

bool stop_requested() { return g_stop != 0; }
void request_stop() { g_stop = 1; }

}  // namespace sp::io
