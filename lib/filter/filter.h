// sp-filter: the SQL-like WHERE/SELECT stage. Records whose condition is true pass through
// byte-identical; --select writes a new object per record (SQL SELECT), --exclude removes
// fields from what is written. The expression language is lib/expr.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/program.h"

namespace sp::filter {

struct Options {
  std::string where;                 // the condition; empty keeps every record
  std::string select;                // "a, b * 2 as c, ua.browser as browser"
  std::vector<std::string> exclude;  // field paths (each may hold several, comma-separated)
  uint64_t limit = 0;                // stop after writing this many records (0: no limit)
  bool invert = false;               // write the records the condition does not keep
  double sample = 1;                 // keep this fraction of the passing records
  std::string sample_by;             // expression deciding the sample (default: the record's bytes)
};

// Compiles the expressions (throws sp::UsageError pointing into the bad one) and runs the
// stage over the program's inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::filter
