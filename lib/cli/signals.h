#pragma once

namespace sp::cli {

// SIGINT/SIGTERM request a stop (io::stop_requested), without SA_RESTART so that a blocking
// read returns; a second one ends the process at once. SIGPIPE is ignored: a write to a closed
// pipe fails with EPIPE, which the output code turns into a quiet exit.
void install_signal_handlers();

}  // namespace sp::cli
