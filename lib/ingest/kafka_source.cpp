#include "ingest/kafka_source.h"

#include <simdjson.h>

#include <charconv>
#include <vector>

#include "connect/kafka/consumer.h"
#include "connect/uri.h"
#include "ingest/formats/timestamp.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/writer.h"

namespace sp::ingest {
namespace {

using connect::kafka::Message;

// Appends the record for a message's value to `out` (see kafka_source.h).
void to_record(const Message& m, json::WellFormedChecker& checker, std::string& padded, std::string& out) {
  if (m.value.data() == nullptr) {
    out += "{\"value\":null}";
    return;
  }
  std::string_view v = m.value;
  padded.assign(v.data(), v.size());
  padded.resize(v.size() + simdjson::SIMDJSON_PADDING);
  bool valid = !v.empty() && checker.check(padded.data(), v.size());
  size_t first = v.find_first_not_of(" \t\r\n");
  if (valid) {
    size_t start = out.size();
    if (v[first] == '{') {
      out.append(v.data(), v.size());
    } else {
      out += "{\"value\":";
      out.append(v.data(), v.size());
      out += '}';
    }
    // Line breaks can only stand between tokens of valid JSON: a space keeps it one line.
    for (size_t i = start; i < out.size(); ++i)
      if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
    return;
  }
  if (json::is_valid_utf8(v)) {
    out += "{\"value\":";
    json::append_string(out, v);
    out += '}';
  } else {
    out += "{\"value\":";
    json::append_base64(out, v);
    out += ",\"encoding\":\"base64\"}";
  }
}

constexpr size_t kTooLongPrefix = 256;  // bytes of an oversized message kept in its dead letter

std::string oversize(const Message& m, size_t limit) {
  return "message " + std::string(m.topic) + "/" + std::to_string(m.partition) + " offset " +
         std::to_string(m.offset) + " is " + std::to_string(m.value.size()) +
         " bytes, longer than --max-line-bytes (" + std::to_string(limit) + ")";
}

void append_meta(const Message& m, std::string& out) {
  out += "\"topic\":";
  json::append_string(out, m.topic);
  out += ",\"partition\":";
  json::append_int(out, m.partition);
  out += ",\"offset\":";
  json::append_int(out, m.offset);
  out += ",\"key\":";
  if (m.has_key) json::append_string(out, m.key);
  else out += "null";
  out += ",\"timestamp\":";
  if (m.timestamp_ms >= 0) {
    out += '"';
    append_rfc3339_ms(out, m.timestamp_ms);
    out += '"';
  } else {
    out += "null";
  }
  out += ",\"headers\":{";
  for (size_t i = 0; i < m.headers.size(); ++i) {
    if (i) out += ',';
    json::append_string(out, m.headers[i].first);
    out += ':';
    if (m.headers[i].second.data()) json::append_string(out, m.headers[i].second);
    else out += "null";
  }
  out += '}';
}

}  // namespace

KafkaSource::KafkaSource(const std::string& uri, const KafkaOptions& opts, size_t index)
    : where_(uri), opts_(opts), ack_prefix_("k" + std::to_string(index) + "/") {
  auto parts = connect::kafka::split_uri(uri);
  connect::kafka::ConsumerOptions co;
  co.topics = connect::kafka::split_list(parts.path);
  if (co.topics.empty()) throw UsageError(uri + ": no topic (kafka://HOST:PORT/TOPIC[,TOPIC])");
  for (const auto& [k, v] : connect::parse_query(parts.query)) {
    if (k == "group") {
      co.group = v;
    } else if (k == "offset") {
      if (v == "stored") co.start = connect::kafka::StartAt::kStored;
      else if (v == "earliest" || v == "beginning") co.start = connect::kafka::StartAt::kEarliest;
      else if (v == "latest" || v == "end") co.start = connect::kafka::StartAt::kLatest;
      else throw UsageError(uri + ": offset= is stored, earliest or latest, not '" + v + "'");
    } else {
      throw UsageError(uri + ": unknown parameter '" + k + "' for a kafka source (group=, offset=; -X for librdkafka)");
    }
  }
  co.report_end = opts.exit_at_end;
  if (opts.info) co.on_assignment = [info = opts.info, uri](const std::string& msg) { info(uri + ": " + msg); };
  co.connect_timeout = opts.connect_timeout;
  connect::kafka::ClientSettings settings{parts.brokers, opts.properties, uri};
  consumer_ = std::make_unique<connect::kafka::Consumer>(settings, co);
  if (opts_.ack) consumer_->set_manual_commits();
}

// Hands the positions acknowledged for this source ("k0/TOPIC/PARTITION") to the consumer.
void KafkaSource::take_acks() {
  for (const auto& [name, next] : opts_.ack->snapshot()) {
    if (name.compare(0, ack_prefix_.size(), ack_prefix_) != 0) continue;
    size_t slash = name.rfind('/');
    if (slash <= ack_prefix_.size()) continue;
    int32_t partition = 0;
    auto r = std::from_chars(name.data() + slash + 1, name.data() + name.size(), partition);
    if (r.ec != std::errc()) continue;
    consumer_->acknowledge(std::string_view(name).substr(ack_prefix_.size(), slash - ack_prefix_.size()), partition,
                           static_cast<int64_t>(next));
  }
}

void KafkaSource::finish() {
  if (opts_.ack) take_acks();
  consumer_->close();
}

KafkaSource::~KafkaSource() = default;

void KafkaSource::run(Emitter& emitter) {
  constexpr size_t kBatch = 10000;
  std::vector<Message> batch;
  json::WellFormedChecker checker;
  std::string padded, record, meta, partition;
  RecordOrigin origin;
  origin.source = where_;
  origin.is_url = true;
  uint64_t written = 0;
  auto& stats = emitter.stats();
  while (!io::stop_requested()) {
    if (opts_.exit_at_end && consumer_->all_at_end()) break;
    size_t max = kBatch;
    if (opts_.count) {
      if (written >= opts_.count) break;
      max = std::min<uint64_t>(max, opts_.count - written);
    }
    consumer_->poll(batch, max, 100);
    if (batch.empty()) {
      if (opts_.ack) take_acks();
      consumer_->commit(true);  // retries a commit the group refused during a rebalance
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(emitter.mutex());
      emitter.refresh_clock();
      for (const Message& m : batch) {
        stats.records_in.add();
        stats.bytes_in.add(m.value.size());
        if (opts_.meta) {
          meta.clear();
          append_meta(m, meta);
          origin.meta_members = meta;
        }
        if (m.value.size() > opts_.max_message_bytes) {
          // As a line over --max-line-bytes: dead-lettered with its start, size and position,
          // and not copied. With --ack its offset is covered by the next one acknowledged.
          emitter.reject(origin, oversize(m, opts_.max_message_bytes),
                         m.value.substr(0, kTooLongPrefix), true, m.value.size());
          continue;
        }
        record.clear();
        to_record(m, checker, padded, record);
        if (opts_.ack) {
          partition.assign(ack_prefix_);
          partition.append(m.topic);
          partition += '/';
          json::append_int(partition, m.partition);
          origin.ack_partition = partition;
          origin.ack_offset = static_cast<uint64_t>(m.offset + 1);
        }
        emitter.write(record, origin);
      }
      emitter.flush();
    }
    written += batch.size();
    if (opts_.ack) take_acks();
    // Synchronous: one round trip per batch (up to 10,000 records), and the group's offsets
    // are never behind what was written when a rebalance moves a partition.
    consumer_->commit(true);
  }
  if (!opts_.ack) consumer_->close();
}

}  // namespace sp::ingest
