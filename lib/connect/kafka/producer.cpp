#include "connect/kafka/producer.h"

#include <cerrno>

#include "connect/kafka/client.h"
#include "io/error.h"

namespace sp::connect::kafka {

struct Producer::State {
  rd_kafka_t* rk = nullptr;
  std::string where;
  DeliveryFn on_delivery;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics;
  std::unordered_map<std::string, int> partition_counts;

  rd_kafka_topic_t* topic(const std::string& name) {
    auto it = topics.find(name);
    if (it != topics.end()) return it->second;
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    if (!t) throw Error(where + ": topic '" + name + "': " + rd_kafka_err2str(rd_kafka_last_error()));
    topics.emplace(name, t);
    return t;
  }
};

namespace {

void delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* s = static_cast<Producer::State*>(opaque);
  uint64_t id = reinterpret_cast<uintptr_t>(m->_private);
  if (m->err) s->on_delivery(id, rd_kafka_err2str(m->err));
  else s->on_delivery(id, std::string());
}

}  // namespace

Producer::Producer(const ClientSettings& settings, double connect_timeout, DeliveryFn on_delivery)
    : s_(std::make_unique<State>()) {
  s_->where = settings.where;
  s_->on_delivery = std::move(on_delivery);
  // Throughput with safety: every replica acknowledges, no duplicates on retry, zstd, and
  // batches big enough to amortize a request (linger bounds the wait for a partial one).
  static const Properties kDefaults = {
      {"acks", "all"},
      // Java clients' partitioner: the same key lands on the same partition from either.
      {"partitioner", "murmur2_random"},
      {"enable.idempotence", "true"},
      {"compression.type", "zstd"},
      {"linger.ms", "20"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "100000"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
  };
  rd_kafka_conf_t* conf = make_conf(settings, kDefaults);
  rd_kafka_conf_set_opaque(conf, s_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, delivered);
  s_->rk = make_handle(RD_KAFKA_PRODUCER, conf, s_->where);
  try {
    wait_for_broker(s_->rk, connect_timeout, s_->where);
  } catch (...) {
    rd_kafka_destroy(s_->rk);
    s_->rk = nullptr;
    throw;
  }
}

Producer::~Producer() {
  if (!s_->rk) return;
  for (auto& [name, t] : s_->topics) rd_kafka_topic_destroy(t);
  // The sink flushes before it lets go; whatever is left now is abandoned quickly.
  rd_kafka_purge(s_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(s_->rk, 0);
  rd_kafka_destroy(s_->rk);
}

std::string Producer::produce(const std::string& topic, std::string_view key, bool has_key, int32_t partition,
                              std::string_view value, int64_t timestamp_ms, uint64_t id) {
  rd_kafka_topic_t* t = s_->topic(topic);
  while (true) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        s_->rk, RD_KAFKA_V_RKT(t), RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, has_key ? key.size() : 0),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms > 0 ? timestamp_ms : 0),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(id))), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(s_->rk, 10);
      continue;
    }
    return rd_kafka_err2str(e);
  }
  return {};
}

void Producer::poll(int ms) { rd_kafka_poll(s_->rk, ms); }

void Producer::flush(int ms) { rd_kafka_flush(s_->rk, ms); }

int Producer::in_flight() const { return rd_kafka_outq_len(s_->rk); }

int32_t Producer::partition_for(const std::string& topic, std::string_view key) {
  auto it = s_->partition_counts.find(topic);
  if (it == s_->partition_counts.end()) {
    rd_kafka_topic_t* t = s_->topic(topic);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(s_->rk, 0, t, &md, 10000);
    if (e) throw Error(s_->where + ": topic '" + topic + "': " + rd_kafka_err2str(e));
    int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : 0;
    rd_kafka_resp_err_t te = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    rd_kafka_metadata_destroy(md);
    if (n <= 0) throw Error(s_->where + ": topic '" + topic + "': " + rd_kafka_err2str(te));
    it = s_->partition_counts.emplace(topic, n).first;
  }
  return rd_kafka_msg_partitioner_murmur2(s_->topic(topic), key.data(), key.size(), it->second, nullptr, nullptr);
}

std::string Producer::fatal_error() const {
  char buf[512];
  if (rd_kafka_fatal_error(s_->rk, buf, sizeof buf) == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return buf;
}

}  // namespace sp::connect::kafka
