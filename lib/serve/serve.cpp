#include "serve/serve.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/inputs.h"
#include "connect/uri.h"
#include "expr/time.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/path.h"
#include "serve/service.h"

namespace sp::serve {
namespace {

namespace web = sp::connect::http;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--auth-token-file: cannot read " + path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) throw UsageError("--auth-token-file: " + path + " is empty");
  return token;
}

void split_listen(const std::string& listen, std::string& host, int& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw UsageError("--listen: expected ADDRESS:PORT such as 127.0.0.1:8080, got '" + listen + "'");
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string p = listen.substr(colon + 1);
  port = -1;
  if (!p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string::npos) port = std::stoi(p);
  if (port < 0 || port > 65535) throw UsageError("--listen: bad port '" + p + "' (0 to 65535)");
}

struct SqliteTarget {
  std::string path, table = "events";  // sp-sink's default table
  connect::sqlite::ReadLimits limits;
  size_t max_rows = 100000;
};

// --sqlite [sqlite://]PATH[?table=T&timeout=D&max_rows=N]: the same URI as sp-sink's.
SqliteTarget parse_sqlite_option(const std::string& text) {
  SqliteTarget t;
  std::string_view rest = text;
  bool uri = rest.starts_with("sqlite://");
  if (uri) rest.remove_prefix(9);
  size_t q = rest.find('?');
  t.path = uri ? connect::percent_decode(rest.substr(0, q)) : std::string(rest.substr(0, q));
  if (t.path.empty()) throw UsageError("--sqlite: no database path in '" + text + "' (expected PATH?table=T)");
  if (q == std::string_view::npos) return t;
  for (const auto& [name, value] : connect::parse_query(rest.substr(q + 1))) {
    if (name == "table") {
      if (value.empty()) throw UsageError("--sqlite: table= is empty");
      t.table = value;
    } else if (name == "timeout") {
      double s = cli::parse_duration(value, "--sqlite timeout");
      if (s <= 0) throw UsageError("--sqlite: timeout= must be more than 0");
      t.limits.timeout = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(s * 1000)));
    } else if (name == "max_rows") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t.max_rows);
      if (ec != std::errc() || end != value.data() + value.size() || t.max_rows == 0)
        throw UsageError("--sqlite: max_rows= expects a positive whole number, got '" + value + "'");
    } else if (name != "upsert" && name != "raw" && name != "add_columns") {  // sp-sink's: the same URI serves both
      throw UsageError("--sqlite: unknown parameter '" + name + "' (table, timeout, max_rows)");
    }
  }
  return t;
}

// Reads key, time and gauges out of a well-formed record into an Entry.
class Extractor {
 public:
  Extractor(const Config& c) {
    if (!c.key.empty()) key_ = parse_path("--key", c.key);
    if (!c.time.empty()) time_ = parse_path("--time", c.time);
    for (const auto& g : c.gauges) gauges_.push_back(parse_path("--gauge", g));
    has_key_path_ = !c.key.empty();
    has_time_path_ = !c.time.empty();
  }

  // Fills the batch's newest entry. `doc` is null when the record could not be read as a
  // document (see WellFormedChecker).
  void fill(EntryBatch& batch, Entry& e, const simdjson::dom::element* doc, int64_t arrival) {
    e.time_ns = arrival;
    e.has_time = !has_time_path_;
    e.has_key = !has_key_path_;
    if (!doc) return;
    simdjson::dom::element v;
    if (has_key_path_ && !key_.find(*doc).get(v) && !v.is_null()) {
      std::string_view s;
      if (v.get_string().get(s)) {
        key_text_ = simdjson::minify(v);  // a number, boolean, array or object: its JSON text
        s = key_text_;
      }
      batch.set_key(s);
      e.has_key = true;
    }
    if (has_time_path_ && !time_.find(*doc).get(v)) {
      std::string_view s;
      double n;
      std::optional<int64_t> t;
      if (!v.get_string().get(s)) t = expr::parse_rfc3339(s);
      else if (!v.get_double().get(n)) t = expr::time_from_epoch_number(n);
      if (t) e.time_ns = *t, e.has_time = true;
    }
    for (size_t i = 0; i < gauges_.size(); ++i) {
      double n;
      if (!gauges_[i].find(*doc).get(v) && !v.get_double().get(n)) batch.gauge(i) = n;
    }
  }

 private:
  static json::FieldPath parse_path(const char* option, const std::string& text) {
    try {
      return json::FieldPath::parse(text);
    } catch (const UsageError& e) {
      throw UsageError(std::string(option) + ": " + e.what(), text, e.column);
    }
  }
  json::FieldPath key_, time_;
  std::vector<json::FieldPath> gauges_;
  bool has_key_path_ = false, has_time_path_ = false;
  std::string key_text_;
};

// The HTTP server and the once-a-second rate sampler, running beside the ingest loop; the
// destructor ends streams, stops both and waits for them (also when ingestion throws).
class Background {
 public:
  Background(web::Server& server, State& state) : server_(server), state_(state) {
    http_ = std::thread([this] { server_.run(); });
    ticker_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stopping_) {
        state_.rate.sample(state_.stats.records_in.get());
        cv_.wait_for(lock, std::chrono::seconds(1));
      }
    });
  }
  ~Background() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    state_.hub.close();
    server_.stop();
    http_.join();
    ticker_.join();
  }

 private:
  web::Server& server_;
  State& state_;
  std::thread http_, ticker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// A larger pipe buffer on stdin (Linux: up to 1 MiB unprivileged): when the machine is busy
// serving, the writer upstream gets the CPU less often, and each time it can hand over more.
void enlarge_stdin_pipe() {
#ifdef F_SETPIPE_SZ
  struct stat st;
  if (fstat(0, &st) == 0 && S_ISFIFO(st.st_mode)) fcntl(0, F_SETPIPE_SZ, 1 << 20);
#endif
}

void ingest(cli::Program& prog, State& state, Extractor& extract) {
  enlarge_stdin_pipe();
  auto& st = prog.stats();
  auto& malformed = st.counter("malformed", "Lines that are not well-formed UTF-8 JSON.");
  auto& too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& no_key = st.counter("no_key", "Records without the --key field (kept for /api/recent only).");
  auto& no_time = st.counter("no_time", "Records without a usable --time (the newest time before them is used).");
  json::WellFormedChecker checker;
  EntryBatch building(state.config.gauges.size());
  uint64_t seq = 0;
  int64_t clock = 0;  // the newest time so far: the time of a record without one
  auto flush = [&] {
    if (building.empty()) return;
    auto batch = std::make_shared<Segment>();
    building.take(*batch);
    SegmentPtr shared = std::move(batch);
    state.hub.publish(shared);
    state.store.add(std::move(shared));
  };
  cli::each_input(prog, [&](io::LineReader& reader, std::string_view source) {
    reader.on_refill(flush);
    uint64_t bytes_before = st.bytes_in.get();
    io::Line line;
    int64_t arrival = now_ns();
    while (reader.next(line)) {
      st.records_in.add();
      st.bytes_in.set(bytes_before + reader.bytes_read());
      if (line.too_long || !checker.check(line.data, line.size)) {
        (line.too_long ? too_long : malformed).add();
        cli::reject_line(prog, source, line, line.too_long ? "" : "not JSON: " + checker.error());
        continue;
      }
      // The clock is read once per 256 records: arrival times need no finer grain.
      if ((seq & 255) == 0) arrival = now_ns();
      Entry& e = building.add(line.view());
      e.seq = ++seq;
      simdjson::dom::element doc;
      if (checker.has_document()) doc = checker.document();
      extract.fill(building, e, checker.has_document() ? &doc : nullptr, arrival);
      if (!e.has_time) {
        no_time.add();
        if (clock) e.time_ns = clock;
      }
      clock = std::max(clock, e.time_ns);
      if (!e.has_key) no_key.add();
      st.records_out.add();
      if (building.size() >= 1024) flush();
    }
    flush();
    return true;
  });
}

}  // namespace

int run(cli::Program& prog, const Options& o) {
  Config config;
  config.key = o.key;
  config.time = o.time;
  config.gauges = o.gauges;
  config.charts = o.charts;
  config.cors = o.cors;
  config.title = o.title;
  if (!o.auth_token_file.empty()) config.token = read_token(o.auth_token_file);
  std::string host;
  int port = 0;
  split_listen(o.listen, host, port);
  StoreLimits limits;
  limits.retain_ns = static_cast<int64_t>(std::llround(cli::parse_duration(o.retain, "--retain") * 1e9));
  limits.max_records = o.max_records;
  if (o.max_records == 0) throw UsageError("--max-records: must be at least 1");
  limits.max_keys = o.max_keys;
  if (o.max_keys == 0) throw UsageError("--max-keys: must be at least 1");
  if (o.max_connections < o.threads)
    throw UsageError("--max-connections: must be at least --threads (" + std::to_string(o.threads) + ")");
  if (o.sse_buffer == 0) throw UsageError("--sse-buffer: must be at least 1");
  if (o.threads < 2) throw UsageError("--threads: must be at least 2");
  if (o.http_nice < 0 || o.http_nice > 19) throw UsageError("--http-nice: expected 0 to 19");
  Extractor extract(config);

  std::optional<SqliteTarget> sqlite;
  if (!o.sqlite.empty()) sqlite = parse_sqlite_option(o.sqlite);

  State state(config, limits, o.sse_buffer, prog.stats());
  if (sqlite) {
    state.sql = std::make_unique<connect::sqlite::TableReader>(sqlite->path, sqlite->table, sqlite->limits);
    state.sql_max_rows = sqlite->max_rows;
    // Not fatal: sp-sink creates the database and the table with its first batch.
    std::string why = state.sql->check();
    if (!why.empty()) prog.report().warn("--sqlite: " + why + "; /api/query answers 503 or 500 until it can be read");
  }
  web::Server server(host, port, o.threads, o.max_connections);
  server.set_worker_nice(o.http_nice);
  state.server = &server;
  add_routes(server, state);
  int bound = server.bind();
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  prog.report().warn("listening on http://" + shown + ":" + std::to_string(bound) + "/");
  {
    Background background(server, state);
    ingest(prog, state, extract);
    state.input_open = false;
    if (!o.exit_at_eof) {
      prog.report().info("the input ended; serving until SIGINT or SIGTERM");
      while (!io::stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return prog.finish();
}

}  // namespace sp::serve
