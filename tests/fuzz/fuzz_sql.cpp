// sp-agg --sql: the SQL parser, the compilation of the query (to the aggregation engine, or to
// sp-filter's WHERE and projection) and a run over fuzzed records. The input is the query, a
// NUL byte, then the records. Rejection of a bad query is sp::UsageError. Oracle: with
// well-formed records, every line the query writes is well-formed JSON.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "agg/engine.h"
#include "agg/sql.h"
#include "io/error.h"
#include "fuzz_input.h"
#include "stage_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [head, records, has_records] = sp::fuzz::split_at_nul(data, size);
  std::string sql(head);
  try {
    (void)sp::agg::parse_sql(sql);
  } catch (const sp::UsageError& e) {
    if (e.has_position && e.column > sql.size()) __builtin_trap();  // the caret points into the query
    return 0;
  }
  static sp::fuzz::StageHarness harness("sp-agg");
  sp::agg::Options base;
  base.max_groups = 16;
  try {
    harness.run(records, [&](sp::cli::Program& prog) { return sp::agg::run_sql(prog, sql, base); });
  } catch (const sp::UsageError& e) {
    if (e.has_position && e.column > e.source.size()) {
      fprintf(stderr, "caret past the text: %s\n  source: %s\n  column: %zu\n", e.what(), e.source.c_str(), e.column);
      __builtin_trap();
    }
    return 0;
  } catch (const sp::Error&) {
    return 0;  // records that begin like zstd or gzip data and are not: "truncated zstd data"
  }
  if (sp::fuzz::every_line_json(records) && !sp::fuzz::every_line_json(harness.output())) __builtin_trap();
  return 0;
}
