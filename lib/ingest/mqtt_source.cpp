#include "ingest/mqtt_source.h"

#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "connect/mqtt/client.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/writer.h"
#include "sink/endpoint.h"

namespace sp::ingest {
namespace {

namespace mq = sp::connect::mqtt;
using Clock = std::chrono::steady_clock;

// One counter for every MQTT source of the process: --count is a total.
std::atomic<uint64_t> g_written{0};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    std::string part = s.substr(start, at == std::string::npos ? std::string::npos : at - start);
    if (!part.empty()) out.push_back(part);
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

int parse_qos(const std::string& v, const std::string& where) {
  if (v == "0" || v == "1" || v == "2") return v[0] - '0';
  throw UsageError(where + ": qos must be 0, 1 or 2, not '" + v + "'");
}

bool parse_bool(const std::string& v, const std::string& name, const std::string& where) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw UsageError(where + ": " + name + " must be true or false, not '" + v + "'");
}

class Subscriber {
 public:
  Subscriber(const std::string& uri, const MqttOptions& opts, Emitter& e) : opts_(opts), e_(e) {
    auto ep = sink::Endpoint::parse(uri);
    where_ = ep.redacted();
    mq::Settings s;
    s.tls = ep.scheme() == "mqtts";
    s.host = ep.host().empty() ? "127.0.0.1" : ep.host();
    s.port = ep.port();
    s.where = where_;
    std::string path = ep.path();
    if (!path.empty() && path[0] == '/') path.erase(0, 1);
    filters_ = split(path, ',');
    for (const auto& [k, v] : ep.params()) {
      if (k == "topic") {
        for (auto& f : split(v, ',')) filters_.push_back(f);
      } else if (k == "qos") {
        qos_ = parse_qos(v, where_);
      } else if (k == "client_id") {
        s.client_id = v;
      } else if (k == "clean") {
        s.clean = parse_bool(v, "clean", where_);
      } else if (k == "keepalive") {
        try {
          s.keepalive = std::stoi(v);
        } catch (...) {
          throw UsageError(where_ + ": keepalive takes seconds, not '" + v + "'");
        }
      } else {
        throw UsageError(where_ + ": unknown parameter '" + k +
                         "' for an mqtt source (qos, client_id, clean, keepalive, topic)");
      }
    }
    if (filters_.empty()) throw UsageError(where_ + ": no topic filter (mqtt://HOST:PORT/sensors/#)");
    if (!s.clean && s.client_id.empty())
      throw UsageError(where_ + ": clean=false keeps a session on the broker under a name: add client_id=…");
    mq::apply_access(s, opts.access, ep.user(), ep.has_password() ? &ep.password() : nullptr);
    s.connect_timeout = opts.connect_timeout;
    s.reconnect = true;
    // "_src" for --add-meta names the source without its query (and without a password).
    source_ = where_.substr(0, where_.find('?'));
    client_ = std::make_unique<mq::Client>(std::move(s));
  }

  void run() {
    if (!subscribe()) return;  // stopped (SIGINT, SIGTERM) before the broker answered
    e_.program().report().warn("subscribed to " + where_);
    std::vector<mq::Message> batch;
    padded_.reserve(4096);
    while (!io::stop_requested()) {
      if (client_->take(batch, 10000, 0.1) == 0) {
        std::string err = client_->subscribe_error();
        if (!err.empty()) throw Error(where_ + ": " + err);
        continue;
      }
      if (!write(batch)) break;
    }
    // Messages already taken from the broker are written before leaving, unless --count is met.
    client_->stop_taking();
    if (!limit_reached()) {
      while (client_->take(batch, 10000, 0) > 0)
        if (!write(batch)) break;
    }
    client_->disconnect();
    if (dropped_)
      e_.program().report().warn(where_ + ": " + std::to_string(dropped_) +
                                 " messages received after --count were not written");
  }

 private:
  bool limit_reached() const { return opts_.count && g_written.load() >= opts_.count; }

  bool subscribe() {
    auto deadline = Clock::now() + std::chrono::duration<double>(opts_.connect_timeout);
    while (true) {
      try {
        client_->subscribe(filters_, qos_, 100000, [this](const std::string& what) {
          e_.program().report().warn(where_ + ": " + what);
        });
        return true;
      } catch (const connect::Transient& t) {
        if (io::stop_requested()) return false;
        if (Clock::now() + std::chrono::milliseconds(300) >= deadline)
          throw Error(std::string(t.what()) + " (gave up after --connect-timeout " + seconds(opts_.connect_timeout) + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
  }

  static std::string seconds(double s) {
    char buf[32];
    snprintf(buf, sizeof buf, "%gs", s);
    return buf;
  }

  // Writes the batch under one hold of the output; false once --count is met.
  bool write(std::vector<mq::Message>& batch) {
    std::lock_guard<std::mutex> lock(e_.mutex());
    e_.refresh_clock();
    bool more = true;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (opts_.count) {
        uint64_t n = g_written.fetch_add(1) + 1;
        if (n > opts_.count) {
          dropped_ += batch.size() - i;
          more = false;
          break;
        }
        if (n == opts_.count) more = false;
      }
      emit(batch[i]);
      if (!more) {
        dropped_ += batch.size() - i - 1;
        break;
      }
    }
    e_.flush();
    if (!more) io::request_stop();
    return more;
  }

  void emit(const mq::Message& m) {
    e_.stats().records_in.add();
    e_.stats().bytes_in.add(m.payload.size());
    meta_.clear();
    if (e_.add_meta()) {
      meta_ += "\"url\":";
      json::append_string(meta_, source_);
      meta_ += ",\"topic\":";
      json::append_string(meta_, m.topic);
      meta_ += ",\"qos\":";
      json::append_int(meta_, m.qos);
      meta_ += m.retained ? ",\"retain\":true" : ",\"retain\":false";
    }
    RecordOrigin origin{source_, true, nullptr, 0, 0, 0, {}, {}, 0};
    origin.meta_members = meta_;
    const std::string& p = m.payload;
    if (p.size() > opts_.max_message_bytes) {
      // As a line over --max-line-bytes: dead-lettered with its start and size, not copied.
      e_.reject(origin,
                "message on " + m.topic + " is " + std::to_string(p.size()) +
                    " bytes, longer than --max-line-bytes (" + std::to_string(opts_.max_message_bytes) + ")",
                std::string_view(p).substr(0, 256), true, p.size());
      return;
    }
    padded_.assign(p);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    if (!p.empty() && checker_.check(padded_.data(), p.size())) {
      if (p.find_first_of("\r\n") == std::string::npos) {
        e_.write(p, origin);
        return;
      }
      // A JSON payload over several lines is one record: minified.
      simdjson::dom::element doc;
      if (checker_.has_document()) {
        text_ = simdjson::minify(checker_.document());
        e_.write(text_, origin);
        return;
      }
      if (!parser_.parse(p).get(doc)) {
        text_ = simdjson::minify(doc);
        e_.write(text_, origin);
        return;
      }
    }
    text_ = "{\"topic\":";
    json::append_string(text_, m.topic);
    if (json::is_valid_utf8(p)) {
      text_ += ",\"payload\":";
      json::append_string(text_, p);
    } else {
      text_ += ",\"payload_base64\":";
      json::append_base64(text_, p);
    }
    text_ += '}';
    e_.write(text_, origin);
  }

  const MqttOptions& opts_;
  Emitter& e_;
  std::string where_, source_;
  std::vector<std::string> filters_;
  int qos_ = 1;
  std::unique_ptr<mq::Client> client_;
  json::WellFormedChecker checker_;
  simdjson::dom::parser parser_;
  std::string padded_, text_, meta_;
  uint64_t dropped_ = 0;
};

}  // namespace

void read_mqtt(const std::string& uri, const MqttOptions& opts, Emitter& emitter) {
  Subscriber(uri, opts, emitter).run();
}

}  // namespace sp::ingest
