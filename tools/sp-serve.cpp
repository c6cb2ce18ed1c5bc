// sp-serve: serve a stream over HTTP: latest/recent records per key, Server-Sent Events,
// Prometheus metrics and a live dashboard page.
#include "cli/program.h"
#include "serve/serve.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-serve",
    "Serve NDJSON over HTTP: latest and recent records per key, Server-Sent Events, Prometheus metrics, a live "
    "dashboard",
    "Examples:\n"
    "  sp-ingest access.log | sp-serve --key service --time ts --chart latency_ms --gauge latency_ms\n"
    "  curl localhost:8080/api/latest/api\n"
    "  curl 'localhost:8080/api/recent?since=5m&where=status%20>=%20500&limit=100'\n"
    "  curl localhost:8080/api/stream?where=latency_ms%3E100    (Server-Sent Events)\n"
    "  curl 'localhost:8080/api/query?sql=SELECT%20count(*)%20AS%20n%20FROM%20events'   (with --sqlite)\n"
    "Routes: / (dashboard), /api/latest[/KEY], /api/recent, /api/stream, /api/query, /metrics, /healthz; see "
    "sp-serve(1).\n"};

int body(sp::cli::Program& prog) {
  sp::serve::Options o;
  auto& app = prog.app();
  const char* g = "Serve";
  app.add_option("--listen", o.listen, "Address and port to serve on (port 0 picks a free one)")
      ->type_name("ADDR:PORT")
      ->group(g);
  app.add_option("-k,--key", o.key, "Keep the latest record per value of this field")->type_name("FIELD")->group(g);
  app.add_option("-t,--time", o.time, "Event time field (RFC 3339 or epoch s/ms); default: arrival time")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--retain", o.retain, "How long records stay for /api/recent, on the newest record's time (0: no limit)")
      ->type_name("DURATION")
      ->group(g);
  app.add_option("--max-records", o.max_records, "The most records kept for /api/recent")->type_name("N")->group(g);
  app.add_option("--max-keys", o.max_keys, "The most keys kept with their latest record; a new key beyond "
                 "makes the one updated longest ago forgotten")
      ->type_name("N")
      ->group(g);
  app.add_option("--gauge", o.gauges, "Export this numeric field of each key's latest record on /metrics (repeatable)")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--chart", o.charts, "Chart this numeric field on the dashboard, one line per key (repeatable)")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--title", o.title, "Title of the dashboard page")->type_name("TEXT")->group(g);
  app.add_option("--auth-token-file", o.auth_token_file,
                 "Require this bearer token (first line of the file) on every route; else 401")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--cors", o.cors, "Allow cross-origin requests from ORIGIN (or *); default: no CORS headers")
      ->type_name("ORIGIN")
      ->group(g);
  app.add_option("--sse-buffer", o.sse_buffer,
                 "Records a /api/stream client may fall behind before it is dropped")
      ->type_name("N")
      ->group(g);
  app.add_option("--threads", o.threads, "HTTP connections served at once (a stream or keep-alive holds one)")
      ->type_name("N")
      ->group(g);
  app.add_option("--max-connections", o.max_connections,
                 "HTTP connections held at once, served or waiting for a thread; beyond, 503 with Retry-After")
      ->type_name("N")
      ->group(g);
  app.add_option("--http-nice", o.http_nice,
                 "Run the HTTP threads this much nicer (0-19) than reading the input, which then wins "
                 "under CPU pressure")
      ->type_name("N")
      ->group(g);
  app.add_option("--sqlite", o.sqlite,
                 "Answer GET /api/query?sql=SELECT... read-only over this table written by sp-sink (table default: "
                 "events; timeout default 5s; max_rows default 100000)")
      ->type_name("DB?table=T[&timeout=D][&max_rows=N]")
      ->group(g);
  app.add_flag("--exit-at-eof", o.exit_at_eof, "Stop serving when the input ends (default: serve until SIGTERM)")
      ->group(g);
  prog.add_input_options();
  prog.add_reject_options();
  prog.parse();
  return sp::serve::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
