// sp-serve: delivers a stream to people and programs. Reads NDJSON, keeps the latest record
// per key and a ring of recent records, and serves them over HTTP: a JSON API, Server-Sent
// Events, Prometheus metrics and a live dashboard page (web/, embedded at build time).
// Serving never blocks reading: requests copy pointers under a short lock, and stream clients
// that fall behind are dropped.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "cli/program.h"

namespace sp::serve {

struct Options {
  std::string listen = "127.0.0.1:8080";  // ADDRESS:PORT; port 0 picks a free one
  std::string key;                        // field path: the latest record is kept per value
  std::string time;                       // field path of the event time
  std::string retain = "15m";             // how long records stay for /api/recent ("0": no limit)
  size_t max_records = 100000;            // the most records kept for /api/recent
  size_t max_keys = 100000;               // the most keys with a latest record (the stalest goes)
  std::vector<std::string> gauges;        // numeric fields exported per key on /metrics
  std::vector<std::string> charts;        // numeric fields charted on the page
  std::string auth_token_file;            // bearer token for every route
  std::string cors;                       // Access-Control-Allow-Origin value
  std::string title = "sp-serve";
  size_t sse_buffer = 10000;              // records a stream client may fall behind before it is dropped
  size_t threads = 64;                    // connections served at once
  size_t max_connections = 256;           // connections held at once (served or waiting); then 503
  int http_nice = 0;                      // connection threads run this much nicer than the input
  bool exit_at_eof = false;               // stop serving when the input ends
  // [sqlite://]PATH[?table=T&timeout=D&max_rows=N]: the table GET /api/query reads ("" : none)
  std::string sqlite;
};

// Checks the options (throws sp::UsageError), serves, reads the inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::serve
