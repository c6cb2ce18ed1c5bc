// sp-match: complex-event patterns per key on event time (SQL MATCH_RECOGNIZE on a stream).
//
// Records are partitioned by --key and ordered by --time (a reorder buffer of --max-delay).
// Every event of a key may start a match attempt; each attempt runs the pattern's automaton
// (lib/match/pattern.h) over the key's following events in priority order and keeps the match
// that MATCH_RECOGNIZE prefers (greedy/reluctant quantifiers, leftmost alternative). Attempts
// are reported in the order of their first event; --after-match decides whether the next
// attempt may overlap the last match (skip-to-next) or starts after it (skip-past-last).
// --within bounds a match's span; a trailing !X waits until then for X (fired by the watermark
// or --idle-timeout) and reports the match when X did not come.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/program.h"

namespace sp::match {

struct Options {
  std::string key;                   // select list: "user_id" or "user_id, device"
  std::string time;                  // event-time field; empty: arrival time
  std::string within;                // duration bound of a match
  std::string pattern;
  std::vector<std::string> defines;  // "F: event = 'login' and not ok"
  std::string not_followed_by;       // variable (same as a trailing !X)
  bool skip_irrelevant = false;      // skip till next match instead of strict contiguity
  std::string after_match = "skip-past-last";
  std::string emit;                  // select list with aggregates over pattern variables
  bool with_events = false;
  std::string max_delay = "0s";
  std::string idle_timeout;
  uint64_t max_keys = 1000000;       // 0: unbounded
  uint64_t max_runs = 10000;         // partial matches per attempt
};

// Compiles the options (throws sp::UsageError with the column of a bad pattern or definition)
// and runs the stage over the program's inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::match
