#include "sink/mqtt_sink.h"

#include <chrono>
#include <thread>

#include "connect/mqtt/client.h"
#include "sink/field_template.h"

namespace sp::sink {
namespace {

namespace mq = sp::connect::mqtt;
using Clock = std::chrono::steady_clock;

class MqttSink : public Sink {
 public:
  MqttSink(const Endpoint& e, const Options& opts) : where_(e.redacted()) {
    std::string qos = e.param("qos", "1");
    if (qos != "0" && qos != "1" && qos != "2") throw UsageError(where_ + ": qos must be 0, 1 or 2, not '" + qos + "'");
    qos_ = qos[0] - '0';
    std::string retain = e.param("retain", "false");
    if (retain == "true" || retain == "1") retain_ = true;
    else if (retain != "false" && retain != "0")
      throw UsageError(where_ + ": retain must be true or false, not '" + retain + "'");
    std::string topic = e.path().empty() ? "" : e.path().substr(1);
    if (topic.empty()) throw UsageError(where_ + ": no topic (mqtt://HOST:PORT/sensors/{device_id}/reading)");
    topic_ = FieldTemplate(topic);
    if (!topic_.has_fields()) literal_ = topic;
    if (topic.find_first_of("+#") != std::string::npos)
      throw UsageError(where_ + ": a topic to publish to cannot hold the wildcards + or #");
    s_.tls = e.scheme() == "mqtts";
    s_.host = e.host().empty() ? "127.0.0.1" : e.host();
    s_.port = e.port();
    s_.where = where_;
    s_.client_id = e.param("client_id");
    std::string inflight = e.param("max_inflight", "1000");
    try {
      s_.max_inflight = std::stoi(inflight);
    } catch (...) {
      s_.max_inflight = 0;
    }
    if (s_.max_inflight < 1 || s_.max_inflight > 65535)
      throw UsageError(where_ + ": max_inflight must be 1 to 65535, not '" + inflight + "'");
    mq::apply_access(s_, opts.mqtt, e.user(), e.has_password() ? &e.password() : nullptr);
    s_.connect_timeout = opts.connect_timeout;
    s_.ack_timeout = opts.timeout;
    // A broker that cannot be reached at the start is an error at once (exit 1), after
    // --connect-timeout; later losses are transient and retried by the runner.
    auto deadline = Clock::now() + std::chrono::duration<double>(opts.connect_timeout);
    while (true) {
      try {
        connect();
        break;
      } catch (const connect::Transient& t) {
        if (Clock::now() + std::chrono::milliseconds(300) >= deadline) {
          char buf[32];
          snprintf(buf, sizeof buf, "%gs", opts.connect_timeout);
          throw Error(std::string(t.what()) + " (gave up after --connect-timeout " + buf + ")");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    if (!client_ || !client_->connected()) connect();
    published_.clear();
    std::string missing;
    for (size_t i = batch.confirmed; i < batch.size(); ++i) {
      std::string_view rec = batch.record(i);
      const std::string* topic = &literal_;
      if (!literal_.size()) {
        simdjson::dom::element doc;
        if (parser_.parse(rec.data(), rec.size()).get(doc) != simdjson::SUCCESS) {
          batch.refuse(i, "not valid JSON");
          continue;
        }
        buf_.clear();
        if (!topic_.render(doc, buf_, missing)) {
          batch.refuse(i, "topic template '" + topic_.text() + "': no field '" + missing + "'");
          continue;
        }
        if (buf_.empty() || buf_.find_first_of("+#") != std::string::npos || buf_.find('\0') != std::string::npos) {
          batch.refuse(i, "topic '" + buf_ + "' is empty or holds a wildcard (+ or #)");
          continue;
        }
        topic = &buf_;
      }
      published_.push_back(i);
      if (!client_->publish(*topic, rec, qos_, retain_)) break;
    }
    std::string error;
    size_t acked = client_->wait_all(error);
    if (acked < published_.size()) {
      batch.confirmed = published_[acked];
      client_.reset();  // a fresh connection for the retry
      throw connect::Transient(where_ + ": " + error);
    }
    batch.confirmed = batch.size();
  }

  void close() override {
    if (client_) client_->disconnect();
    client_.reset();
  }

 private:
  void connect() {
    client_.reset();
    auto c = std::make_unique<mq::Client>(s_);
    c->connect();
    client_ = std::move(c);
  }

  std::string where_;
  int qos_ = 1;
  bool retain_ = false;
  FieldTemplate topic_;
  std::string literal_;
  mq::Settings s_;
  std::unique_ptr<mq::Client> client_;
  simdjson::dom::parser parser_;
  std::string buf_;
  std::vector<size_t> published_;
};

}  // namespace

std::unique_ptr<Sink> open_mqtt_sink(const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<MqttSink>(endpoint, opts);
}

}  // namespace sp::sink
