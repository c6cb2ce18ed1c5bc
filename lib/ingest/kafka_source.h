// Kafka sources: kafka://HOST:PORT[,HOST:PORT]/TOPIC[,TOPIC]?group=G&offset=stored|earliest|latest
//
// Reads as a member of consumer group G (cooperative rebalancing: several sp-ingest processes
// share the partitions, and a member that leaves hands its partitions to the others). Offsets
// are committed only after the records are written to the output. Without group= every
// partition of the topics is assigned to this process (no group, nothing committed): it reads
// from the earliest offset (or the latest with offset=latest) every time, like kcat -C.
//
// A message whose value is a JSON object is a record as it is (line breaks between tokens
// become spaces). Anything else is wrapped: {"value":V} with V the JSON value (number, string,
// array…) or the text as a string; bytes that are not UTF-8 as
// {"value":"BASE64","encoding":"base64"}; a null value (tombstone) as {"value":null}.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ack/ack.h"
#include "connect/kafka/config.h"
#include "ingest/emitter.h"

namespace sp::connect::kafka {
class Consumer;
}

namespace sp::ingest {

struct KafkaOptions {
  connect::kafka::Properties properties;  // --kafka-config, then -X
  double connect_timeout = 10;            // seconds
  bool exit_at_end = false;               // stop once every assigned partition is at its end
  uint64_t count = 0;                     // stop after this many records (0: no limit)
  bool meta = false;                      // "_src":{"topic","partition","offset","key","timestamp","headers"}
  size_t max_message_bytes = 64u << 20;   // --max-line-bytes: longer values are rejected
  ack::AckServer* ack = nullptr;          // --ack: commit only acknowledged offsets
  std::function<void(const std::string&)> info;  // -v: messages such as rebalances
};

class KafkaSource {
 public:
  // Connects and subscribes. Throws sp::UsageError (bad URI or property) or sp::Error (no
  // broker within the connect timeout).
  // `index` numbers the kafka:// sources of the process (their --ack partition names).
  KafkaSource(const std::string& uri, const KafkaOptions& opts, size_t index = 0);
  ~KafkaSource();
  // Writes records until a stop is requested, the end is reached (exit_at_end) or the count
  // is; commits the offsets of what it wrote and leaves the group. With --ack it commits what
  // was acknowledged, and leaves the group only in finish().
  void run(Emitter& emitter);
  // --ack: commits the offsets acknowledged by now and leaves the group.
  void finish();

 private:
  void take_acks();

  std::string where_;
  KafkaOptions opts_;
  std::string ack_prefix_;  // "k0/"
  std::unique_ptr<connect::kafka::Consumer> consumer_;
};

}  // namespace sp::ingest
