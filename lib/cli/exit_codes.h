#pragma once

namespace sp::cli {

// The exit statuses every program uses (see DESIGN.md).
enum ExitCode : int {
  kExitOk = 0,        // success (also: SIGINT/SIGTERM, or the reader of stdout went away)
  kExitFailure = 1,   // runtime failure: I/O, a connection that stays down after retries
  kExitUsage = 2,     // usage or configuration error
  kExitRejected = 3,  // --strict and some records were rejected
};

}  // namespace sp::cli
