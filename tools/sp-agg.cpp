// sp-agg: windowed group-by aggregation of NDJSON on event time, with a SQL front end.
#include "agg/engine.h"
#include "agg/sql.h"
#include "cli/program.h"
#include "io/error.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-agg",
    "Aggregate NDJSON records per window and group: count, sum, avg, percentiles, top-k, ...",
    "Examples:\n"
    "  sp-agg --window tumbling:1m --time ts --group-by service,status --agg 'count, avg(latency_ms), p99(latency_ms)'\n"
    "  sp-agg --window session:30s --time ts --group-by user_id --agg 'count, first(path), last(path)'\n"
    "  sp-agg --group-by country --agg 'distinct_count(user_id) as users' events.ndjson\n"
    "  sp-agg --sql \"SELECT service, count(*) AS n FROM stdin GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)\"\n"
    "Aggregates, naming and window semantics are described in sp-agg(1).\n"};

int body(sp::cli::Program& prog) {
  sp::agg::Options o;
  auto& app = prog.app();
  const char* g = "Aggregation";
  app.add_option("-W,--window", o.window, "tumbling:SIZE, hopping:SIZE/SLIDE, session:GAP or global")
      ->type_name("SPEC")
      ->capture_default_str()
      ->group(g);
  app.add_option("-t,--time", o.time, "The event time: a field (RFC 3339 text or epoch seconds/milliseconds)")
      ->type_name("FIELD")
      ->group(g);
  app.add_flag("--processing-time", o.processing_time, "Use the arrival time (wall clock) instead of an event time")
      ->group(g);
  app.add_option("-g,--group-by", o.group_by, "Group by these values: 'service, status, ua.browser as browser'")
      ->type_name("LIST")
      ->group(g);
  app.add_option("-a,--agg", o.aggregates,
                 "The aggregates: 'count, avg(latency_ms), p99(latency_ms) as p99_ms, top_k(path, 5)'")
      ->type_name("LIST")
      ->default_str("count")
      ->group(g);
  bool count = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> shortcuts = {
      {"sum", {}}, {"avg", {}}, {"min", {}}, {"max", {}}, {"distinct", {}},
      {"p50", {}}, {"p90", {}}, {"p95", {}}, {"p99", {}}};
  app.add_flag("--count", count, "Shortcut: add count to the aggregates")->group(g);
  for (auto& [name, fields] : shortcuts)
    app.add_option("--" + name, fields,
                   "Shortcut: add " + (name == "distinct" ? std::string("distinct_count") : name) +
                       "(FIELD) to the aggregates (repeatable)")
        ->type_name("FIELD")
        ->allow_extra_args(false)
        ->group(g);
  app.add_option("--as", o.renames, "Rename an output column: --as avg_latency_ms=mean (repeatable)")
      ->type_name("OLD=NEW")
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("-w,--where", o.where, "Aggregate only the records for which this is true")
      ->type_name("EXPR")
      ->group(g);
  app.add_option("--having", o.having, "Emit only the results for which this is true (may name output columns)")
      ->type_name("EXPR")
      ->group(g);
  app.add_option("--every", o.every, "global window: emit running results every N records or every DURATION")
      ->type_name("N|DURATION")
      ->group(g);
  std::string sql;
  app.add_option("--sql", sql,
                 "A query instead: SELECT ... FROM stdin [WHERE ...] [GROUP BY ..., TUMBLE(ts, INTERVAL '1' MINUTE)] "
                 "[HAVING ...]")
      ->type_name("QUERY")
      ->group(g);
  const char* t = "Time and late data";
  app.add_option("--max-delay", o.max_delay, "Watermark = largest event time seen minus this")
      ->type_name("DURATION")
      ->capture_default_str()
      ->group(t);
  app.add_option("--allowed-lateness", o.allowed_lateness,
                 "Keep emitted windows this long (in event time) and emit updated results for late records")
      ->type_name("DURATION")
      ->capture_default_str()
      ->group(t);
  app.add_option("--late", o.late, "Write records too late for all their windows here (NDJSON, as read)")
      ->type_name("PATH")
      ->group(t);
  app.add_option("--idle-timeout", o.idle_timeout,
                 "When no record arrives for this long (wall time), let the watermark move on with the clock")
      ->type_name("DURATION")
      ->group(t);
  const char* s = "State";
  app.add_option("--max-groups", o.max_groups,
                 "Hold at most N open window-and-group results; beyond, emit the least recently updated early")
      ->type_name("N")
      ->default_str("1000000 (0: no limit)")
      ->group(s);
  app.add_option("--state", o.state, "Save open windows here on SIGTERM/SIGINT and restore them at start")
      ->type_name("FILE")
      ->group(s);
  app.add_option("--checkpoint-interval", o.checkpoint_interval, "Also save --state this often (wall time)")
      ->type_name("DURATION")
      ->group(s);
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();
  prog.parse();
  // Shortcut flags add to --agg (and replace its default).
  std::string extra = count ? "count" : "";
  for (const auto& [name, fields] : shortcuts)
    for (const auto& f : fields)
      extra += (extra.empty() ? "" : ", ") + (name == "distinct" ? std::string("distinct_count") : name) + "(" + f + ")";
  if (!extra.empty()) o.aggregates = app.count("--agg") ? o.aggregates + ", " + extra : extra;
  if (!sql.empty()) {
    if (!extra.empty()) throw sp::UsageError("--sql and the aggregate shortcuts exclude each other: say it in the query");
    for (const char* opt : {"--window", "--time", "--group-by", "--agg", "--where", "--having", "--processing-time"})
      if (app.count(opt)) throw sp::UsageError(std::string("--sql and ") + opt + " exclude each other: say it in the query");
    return sp::agg::run_sql(prog, sql, o);
  }
  return sp::agg::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
