// A Kafka consumer in a consumer group (librdkafka) with cooperative rebalancing
// (cooperative-sticky: a rebalance moves only the partitions that change owner) and offsets
// committed only when the caller says its records are written: auto-commit is off.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connect/kafka/config.h"

namespace sp::connect::kafka {

enum class StartAt { kStored, kEarliest, kLatest };

struct ConsumerOptions {
  std::vector<std::string> topics;
  std::string group;            // empty: every partition assigned, no group, nothing committed
  StartAt start = StartAt::kStored;
  bool report_end = false;      // enable.partition.eof: know when every partition is at its end
  double connect_timeout = 10;  // seconds
  // Told of every change of this member's assignment ("partitions assigned ev/3; now ev/0, ev/3").
  std::function<void(const std::string&)> on_assignment;
};

// One message, valid until the next poll().
struct Message {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  bool has_key = false;
  std::string_view value;
  int64_t timestamp_ms = -1;  // < 0: none
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

class Consumer {
 public:
  // Throws sp::UsageError for a bad property, sp::Error when no broker answers in time.
  Consumer(const ClientSettings& settings, const ConsumerOptions& opts);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Fills `out` with up to `max` messages, waiting up to `timeout_ms` for the first.
  // Messages stay valid until the next poll(). Throws sp::Error on a fatal consumer error
  // (unknown topic, authorization); transient errors are retried by librdkafka.
  void poll(std::vector<Message>& out, size_t max, int timeout_ms);
  // True once partitions are assigned and every one of them has reached its end.
  bool all_at_end() const;
  // Records that the messages polled so far are written and commits their offsets,
  // synchronously with `sync` (then a rebalance, served only inside poll(), cannot hand a
  // partition over before its commit). Without a group of the user's, does nothing.
  void commit(bool sync);
  // End-to-end acknowledgements: offsets are committed only as acknowledge() reports them,
  // not as messages are polled.
  // A partition that comes back to this process resumes after what it already handed out (its
  // records are still in the pipe), or at the group's commit if another member went further.
  void set_manual_commits();
  // The records of `topic`/`partition` before offset `next` are safe: commit up to there with
  // the next commit() (ignored for a partition not assigned to this member).
  void acknowledge(std::string_view topic, int32_t partition, int64_t next);
  // Commits synchronously and leaves the group (its partitions move to the other members).
  void close();

  struct State;

 private:
  void subscribe();
  void assign_all();
  std::unique_ptr<State> s_;
};

}  // namespace sp::connect::kafka
