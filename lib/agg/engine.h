// sp-agg: windowed group-by aggregation on event time or processing time.
//
// Each record is assigned to its windows (tumbling, hopping, session, or one global window)
// and to its group; a pane (window x group) keeps one Cell per aggregate. The watermark is
// the largest event time seen minus --max-delay; a window is emitted, one record per group,
// when the watermark reaches its end, and forgotten --allowed-lateness later (late records in
// between emit an updated result). Records for windows already forgotten go to --late.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/program.h"

namespace sp::agg {

struct Options {
  std::string window = "global";  // tumbling:1m | hopping:5m/1m | session:30s | global
  std::string time;               // event-time expression (a field path); empty: arrival time
  bool processing_time = false;
  std::string every;              // global: emit every N records or every duration
  std::string group_by;           // select list: "service, status, ua.browser as browser"
  std::string aggregates = "count(*)";  // select list of aggregate expressions
  std::vector<std::string> renames;  // "old=new": rename output columns
  bool columns_by_name = false;   // SQL: `aggregates` is the whole output; group columns by name
  std::string where, having;
  std::string max_delay = "0s", allowed_lateness = "0s", idle_timeout;
  std::string late;               // path for records too late for their windows
  uint64_t max_groups = 1000000;  // 0: unbounded
  std::string state;              // --state FILE
  std::string checkpoint_interval;
};

// Rewrites a bare `count` item of an aggregate list to `count(*)`.
std::string normalize_aggregate_list(const std::string& list);

// Compiles the options (throws sp::UsageError) and runs the stage; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::agg
