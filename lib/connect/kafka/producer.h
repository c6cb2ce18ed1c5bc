// A Kafka producer (librdkafka) that reports each message's delivery by the id it was
// produced with. Defaults for a pipeline sink: acks=all, enable.idempotence=true,
// compression.type=zstd, linger.ms=20, batch.size=1M, partitioner=murmur2_random (as Java
// clients); any of them can be overridden.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connect/kafka/config.h"

namespace sp::connect::kafka {

class Producer {
 public:
  // `error` is empty when the message was delivered.
  using DeliveryFn = std::function<void(uint64_t id, const std::string& error)>;

  // Throws sp::UsageError for a bad property, sp::Error when no broker answers within
  // `connect_timeout` seconds.
  Producer(const ClientSettings& settings, double connect_timeout, DeliveryFn on_delivery);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one message; waits (serving delivery reports) while the local queue is full.
  // `partition` < 0: chosen by the partitioner from the key; `timestamp_ms` < 0: now.
  // Returns the error text when librdkafka refuses it at once (unknown topic, too large).
  std::string produce(const std::string& topic, std::string_view key, bool has_key, int32_t partition,
                      std::string_view value, int64_t timestamp_ms, uint64_t id);
  // Serves delivery reports for up to `ms` milliseconds.
  void poll(int ms);
  // Sends what is queued now, without waiting for linger.ms, and serves delivery reports
  // for up to `ms` milliseconds or until nothing is in flight.
  void flush(int ms);
  // Messages queued or in flight.
  int in_flight() const;
  // The partition that the default partitioner would pick for `key` (murmur2, like Java),
  // by the topic's partition count from the cluster. Throws sp::Error.
  int32_t partition_for(const std::string& topic, std::string_view key);
  // A fatal producer error (idempotence broken), or empty.
  std::string fatal_error() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace sp::connect::kafka
