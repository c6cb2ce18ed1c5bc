// The process-wide stop request: set by SIGINT/SIGTERM (see cli/signals), read by loops that
// should finish what they hold, flush, and exit 0.
#pragma once

namespace sp::io {

bool stop_requested();
void request_stop();

}  // namespace sp::io
