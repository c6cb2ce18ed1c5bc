// The parts of sp-serve that the HTTP routes share: the configuration the page and the metrics
// describe, the store, the SSE hub, and the input's counters.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/stats.h"
#include "connect/sqlite/reader.h"
#include "connect/http/server.h"
#include "expr/evaluator.h"
#include "serve/hub.h"
#include "serve/store.h"

namespace sp::serve {

struct Config {
  std::string key;                  // --key FIELD ("" : every record has the key "")
  std::string time;                 // --time FIELD ("" : arrival time)
  std::vector<std::string> gauges;  // --gauge FIELD
  std::vector<std::string> charts;  // --chart FIELD
  std::string title = "sp-serve";
  std::string token;                // bearer token ("" : no authentication)
  std::string cors;                 // allowed origin ("" : no CORS headers)
};

// Records per second over the last few seconds, from samples of a counter taken once a second.
class RateMeter {
 public:
  void sample(uint64_t count);
  double rate() const;

 private:
  mutable std::mutex mu_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
};

// GET /api/latest is asked often (dashboards, pollers) and changes with every batch: its body
// is built once and shared, rebuilt when the store has changed and the copy is older than
// kMaxAge, by one request while the others keep answering with the previous copy. Requests
// then never take the store's lock that the ingest thread needs, and build nothing.
class LatestBody {
 public:
  static constexpr std::chrono::milliseconds kMaxAge{10};
  std::shared_ptr<const std::string> get(const Store& store);

 private:
  std::mutex mu_;
  std::shared_ptr<const std::string> body_;
  uint64_t version_ = 0;
  std::chrono::steady_clock::time_point built_;
  bool building_ = false;
};

struct State {
  State(Config c, StoreLimits limits, size_t sse_queue, cli::Stats& s)
      : config(std::move(c)), store(limits), hub(sse_queue), stats(s) {}
  Config config;
  Store store;
  Hub hub;
  cli::Stats& stats;
  cli::Counter* rejected_counter = nullptr;
  RateMeter rate;
  LatestBody latest_body;
  std::atomic<bool> input_open{true};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // --sqlite: the table /api/query reads; null without the option.
  std::unique_ptr<connect::sqlite::TableReader> sql;
  size_t sql_max_rows = 100000;  // the largest limit= of /api/query
  const connect::http::Server* server = nullptr;  // its refused connections, for /metrics
};

// A WHERE condition of the shared expression language over stored records.
class RecordFilter {
 public:
  // Throws sp::UsageError with the reason (a syntax error, or not a condition).
  explicit RecordFilter(std::string_view where);
  bool test(const Entry& e);

 private:
  expr::Program program_;
  expr::Evaluator ev_;
  simdjson::ondemand::parser parser_;
};

// Fills `reply` with {"error":why} and the status.
void reply_error(connect::http::GetReply& reply, int status, const std::string& why);
// GET /api/query: read-only SQL over the --sqlite table.
void query_route(State& state, const connect::http::GetRequest& req, connect::http::GetReply& reply);

// Registers every route of sp-serve: the API, the stream, /metrics, /healthz and the page.
void add_routes(connect::http::Server& server, State& state);
// The Prometheus text of /metrics.
std::string metrics_text(const State& state);
// The dashboard page, with its script, uPlot and styles inlined (one response, works offline).
std::string dashboard_page(const Config& config);

}  // namespace sp::serve
