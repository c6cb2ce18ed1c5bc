// The SQL front end of sp-agg:
//
//   SELECT service, status, count(*) AS n, avg(latency_ms) AS avg_ms, p99(latency_ms)
//   FROM stdin WHERE status >= 500
//   GROUP BY service, status, TUMBLE(ts, INTERVAL '1' MINUTE)
//   HAVING n > 10
//
// compiles to the same engine as the options: WHERE -> --where, the non-window GROUP BY items
// -> --group-by, TUMBLE(t, size) / HOP(t, slide, size) / SESSION(t, gap) -> --window and
// --time, the SELECT list -> the output columns, HAVING -> --having. Expressions are those of
// the shared expression language. A query without GROUP BY and without aggregates streams
// like sp-filter (WHERE and a projection, LIMIT allowed).
#pragma once
#include <cstdint>
#include <string>

#include "agg/engine.h"

namespace sp::agg {

struct SqlQuery {
  bool aggregate = true;  // false: a filter/projection
  Options agg;            // when aggregate
  std::string where;      // when not aggregate
  std::string select;     // when not aggregate; empty for SELECT *
  uint64_t limit = 0;     // LIMIT n (filter only)
};

// Throws sp::UsageError with the column in `sql` on a syntax error.
SqlQuery parse_sql(const std::string& sql);

// Runs the query with the program's inputs and outputs; `base` carries the other options
// (--max-delay, --late, ...). Errors in sub-expressions point into the whole query.
int run_sql(cli::Program& prog, const std::string& sql, const Options& base);

}  // namespace sp::agg
