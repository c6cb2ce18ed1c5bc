#pragma once

namespace sp::cli {

// SIGINT/SIGTERM request a stop (io::stop_requested), without SA_RESTART so that a blocking
// read returns; a second one ends the process at once. SIGPIPE is ignored: a write to a closed
// pipe fails with EPIPE, which the output code turns into a quiet exit.
void install_signal_handlers();

}  // namespace sp::cli

namespace sp::cli {

// SIGHUP asks a program to reload what it has read from files (sp-enrich's lookup tables);
// without this call SIGHUP ends the process, as usual. The handler only sets a flag.
void install_reload_signal();
// True once for each SIGHUP received since the last call.
bool take_reload_request();

}  // namespace sp::cli
