#include "sink/kafka_sink.h"

#include <simdjson.h>

#include "connect/kafka/producer.h"
#include "connect/uri.h"
#include "sink/event_time.h"
#include "sink/field_template.h"

namespace sp::sink {
namespace {

// A field path, or a template when it has braces.
FieldTemplate field_or_template(const std::string& text) {
  return FieldTemplate(text.find('{') == std::string::npos ? "{" + text + "}" : text);
}

class KafkaSink : public Sink {
 public:
  KafkaSink(const std::string& uri, const Endpoint& endpoint, const Options& opts) : where_(endpoint.redacted()) {
    auto parts = connect::kafka::split_uri(uri);
    if (parts.path.empty()) throw UsageError(where_ + ": no topic (kafka://HOST:PORT/TOPIC)");
    topic_ = FieldTemplate(connect::percent_decode(parts.path));
    if (!topic_.has_fields()) fixed_topic_ = topic_.text();
    if (endpoint.has_param("key")) key_ = field_or_template(endpoint.param("key"));
    std::string partition_by = endpoint.param("partition_by", opts.partition_by);
    if (!partition_by.empty()) partition_by_ = field_or_template(partition_by);
    std::string ts = endpoint.param("timestamp_field", opts.timestamp_field);
    if (!ts.empty()) timestamp_ = json::FieldPath::parse(ts);
    if (!key_.empty() && !partition_by_.empty())
      throw UsageError(where_ + ": key= and partition_by= both choose the partition; give one");
    needs_doc_ = !fixed_topic_.size() || !key_.empty() || !partition_by_.empty() || !timestamp_.empty();
    endpoint.reject_unused();  // before connecting: a typo is a usage error, not a timeout
    connect::kafka::ClientSettings settings{parts.brokers, opts.kafka_properties, where_};
    producer_ = std::make_unique<connect::kafka::Producer>(
        settings, opts.timeout, [this](uint64_t id, const std::string& error) { delivered(id, error); });
  }

  std::string describe() const override { return where_; }

  void write(Batch& batch) override {
    check_fatal();
    batch_ = &batch;
    outstanding_ = 0;
    std::string missing;
    for (size_t i = batch.confirmed; i < batch.size(); ++i) {
      std::string_view rec = batch.record(i);
      const std::string* topic = &fixed_topic_;
      bool has_key = false;
      int32_t partition = -1;
      int64_t ts = batch.info(i).time_ms == kNoTime ? -1 : batch.info(i).time_ms;
      if (needs_doc_) {
        simdjson::dom::element doc;
        if (parser_.parse(rec.data(), rec.size()).get(doc) != simdjson::SUCCESS) {
          batch.refuse(i, "not valid JSON");
          continue;
        }
        if (fixed_topic_.empty()) {
          topic_buf_.clear();
          if (!topic_.render(doc, topic_buf_, missing)) {
            batch.refuse(i, "topic template '" + topic_.text() + "': no field '" + missing + "'");
            continue;
          }
          topic = &topic_buf_;
        }
        if (!key_.empty()) {
          key_buf_.clear();
          has_key = key_.render(doc, key_buf_, missing);
        }
        if (!partition_by_.empty()) {
          key_buf_.clear();
          if (!partition_by_.render(doc, key_buf_, missing)) {
            batch.refuse(i, "partition_by: no field '" + missing + "'");
            continue;
          }
          partition = producer_->partition_for(*topic, key_buf_);
        }
        if (!timestamp_.empty()) {
          simdjson::dom::element v;
          std::string_view s;
          double d;
          int64_t ms = -1;
          if (timestamp_.find(doc).get(v) == simdjson::SUCCESS) {
            if (v.get_string().get(s) == simdjson::SUCCESS) {
              if (!parse_rfc3339_ms(s, ms)) ms = -1;
            } else if (v.get_double().get(d) == simdjson::SUCCESS) {
              ms = epoch_number_to_ms(d);
            }
          }
          if (ms > 0) ts = ms;
        }
      }
      std::string error = producer_->produce(*topic, key_buf_, has_key, partition, rec, ts, i);
      if (!error.empty()) {
        batch.refuse(i, "kafka: " + error);
        ++undelivered_;
        continue;
      }
      ++outstanding_;
    }
    // The runner's contract: the batch is at the destination (or refused) when write returns.
    // flush() sends the last partial requests at once instead of after linger.ms.
    while (outstanding_ > 0) {
      producer_->flush(100);
      check_fatal();
    }
    batch.confirmed = batch.size();
    batch_ = nullptr;
  }

  void close() override {
    while (producer_->in_flight() > 0) producer_->flush(100);
  }

  uint64_t undelivered() const override { return undelivered_; }

 private:
  void delivered(uint64_t id, const std::string& error) {
    if (outstanding_ > 0) --outstanding_;
    if (error.empty() || !batch_) return;
    batch_->refuse(id, "kafka delivery failed: " + error);
    ++undelivered_;
  }

  void check_fatal() {
    std::string fatal = producer_->fatal_error();
    if (!fatal.empty()) throw Error(where_ + ": " + fatal);
  }

  std::string where_;
  FieldTemplate topic_, key_, partition_by_;
  json::FieldPath timestamp_;
  std::string fixed_topic_;
  bool needs_doc_ = false;
  std::unique_ptr<connect::kafka::Producer> producer_;
  simdjson::dom::parser parser_;
  std::string topic_buf_, key_buf_;
  Batch* batch_ = nullptr;
  size_t outstanding_ = 0;
  uint64_t undelivered_ = 0;
};

}  // namespace

std::unique_ptr<Sink> open_kafka_sink(const std::string& uri, const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<KafkaSink>(uri, endpoint, opts);
}

}  // namespace sp::sink
