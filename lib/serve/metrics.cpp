// /metrics: the Prometheus text exposition format (version 0.0.4).
#include <charconv>
#include <chrono>
#include <cmath>

#include "serve/service.h"

namespace sp::serve {

void RateMeter::sample(uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  samples_.emplace_back(std::chrono::steady_clock::now(), count);
  while (samples_.size() > 11) samples_.pop_front();  // ten seconds at one sample a second
}

double RateMeter::rate() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (samples_.size() < 2) return 0;
  double dt = std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
  return dt > 0 ? static_cast<double>(samples_.back().second - samples_.front().second) / dt : 0;
}

namespace {

void append_sample_value(std::string& out, double v) {
  if (std::isnan(v)) return void(out += "NaN");
  if (std::isinf(v)) return void(out += v > 0 ? "+Inf" : "-Inf");
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back the same
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_label(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += '"';
}

void append_metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  append_sample_value(out, value);
  out += '\n';
}

}  // namespace

std::string metrics_text(const State& s) {
  std::string out;
  auto n = [](uint64_t v) { return static_cast<double>(v); };
  append_metric(out, "sp_serve_records_in_total", "counter", "Records read from the input.", n(s.stats.records_in.get()));
  append_metric(out, "sp_serve_bytes_in_total", "counter", "Bytes read from the input.", n(s.stats.bytes_in.get()));
  append_metric(out, "sp_serve_rejected_total", "counter", "Input lines rejected (not JSON, not UTF-8, too long).",
         n(s.stats.rejected.get()));
  append_metric(out, "sp_serve_records_per_second", "gauge", "Input rate over the last 10 seconds.", s.rate.rate());
  append_metric(out, "sp_serve_retained_records", "gauge", "Records held for /api/recent.", n(s.store.retained()));
  append_metric(out, "sp_serve_keys", "gauge", "Distinct keys with a latest record.", n(s.store.keys()));
  append_metric(out, "sp_serve_keys_evicted_total", "counter", "Keys forgotten to stay within --max-keys.",
                n(s.store.keys_evicted()));
  if (s.server)
    append_metric(out, "sp_serve_connections_refused_total", "counter",
                  "Connections answered 503: --max-connections were held.", n(s.server->refused()));
  append_metric(out, "sp_serve_sse_clients", "gauge", "Clients connected to /api/stream.", n(s.hub.clients()));
  append_metric(out, "sp_serve_sse_dropped_total", "counter", "Stream clients dropped for reading too slowly.",
         n(s.hub.dropped()));
  append_metric(out, "sp_serve_input_open", "gauge", "1 while the input is open, 0 after its end.", s.input_open ? 1 : 0);

  std::vector<EntryPtr> latest = s.store.latest_all();
  const Config& c = s.config;
  if (!c.time.empty()) {
    int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    int64_t clock = s.store.clock();
    if (clock)
      append_metric(out, "sp_serve_event_lag_seconds", "gauge", "Now minus the newest event time (--time).",
             static_cast<double>(now - clock) / 1e9);
    out += "# HELP sp_serve_key_lag_seconds Now minus the event time of the latest record of each key.\n"
           "# TYPE sp_serve_key_lag_seconds gauge\n";
    for (const auto& e : latest) {
      if (!e->has_time) continue;
      out += "sp_serve_key_lag_seconds{key=";
      append_label(out, e->key);
      out += "} ";
      append_sample_value(out, static_cast<double>(now - e->time_ns) / 1e9);
      out += '\n';
    }
  }
  if (!c.gauges.empty()) {
    out += "# HELP sp_serve_gauge The --gauge fields of the latest record of each key.\n"
           "# TYPE sp_serve_gauge gauge\n";
    for (const auto& e : latest) {
      for (size_t i = 0; i < c.gauges.size() && i < e->gauges.size(); ++i) {
        if (std::isnan(e->gauges[i])) continue;
        out += "sp_serve_gauge{field=";
        append_label(out, c.gauges[i]);
        out += ",key=";
        append_label(out, e->key);
        out += "} ";
        append_sample_value(out, e->gauges[i]);
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace sp::serve
