// End-to-end acknowledgements: the side channel from sp-sink back to sp-ingest.
//
// With --ack, sp-ingest writes a position into every record, as the reserved top-level member
//   "_sp":"PARTITION@OFFSET"
// where PARTITION names one ordered input of this sp-ingest process ("f3": the third file it
// opened; "k0/orders/5": partition 5 of topic orders of its first kafka:// source) and OFFSET
// is where that input resumes once this record is safe (the byte after its newline; the next
// Kafka offset). Stages that hold records (sp-agg) write an array of such strings.
//
// sp-sink --ack PATH connects to the Unix socket PATH that sp-ingest listens on and, each time
// records are durable at the destination, sends one line "PARTITION@OFFSET\n" per partition
// with the highest offset of those records. Records travel the pipe in order, so the highest
// durable offset covers every record before it, including those a middle stage dropped.
// sp-ingest commits only acknowledged positions (checkpoint file, Kafka group offsets).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sp::ack {

// "_sp" text for one position: appends "P@O" (without quotes).
void append_position(std::string& out, std::string_view partition, uint64_t offset);
// Splits "P@O". False when it is not a position.
bool parse_position(std::string_view text, std::string_view& partition, uint64_t& offset);
// Calls fn(partition, offset) for each position in a "_sp" value: a JSON string, or an array
// of them. Other values are ignored.
void for_each_position(std::string_view sp_value, const std::function<void(std::string_view, uint64_t)>& fn);

// The listening side (sp-ingest). A thread accepts connections on the socket and records the
// highest offset acknowledged per partition.
class AckServer {
 public:
  // Creates and listens on the socket (a stale socket file left by a killed process is
  // replaced; a live one is an error). Throws sp::Error.
  explicit AckServer(std::string path);
  ~AckServer();
  AckServer(const AckServer&) = delete;
  AckServer& operator=(const AckServer&) = delete;

  const std::string& path() const { return path_; }
  // The highest acknowledged offset of a partition; false when none.
  bool acked(const std::string& partition, uint64_t& offset) const;
  std::map<std::string, uint64_t> snapshot() const;
  // Waits until every position in `needed` is acknowledged, or until a sink that had
  // connected has disconnected (it ended: nothing more will come), or `timeout` seconds.
  // Returns true when everything was acknowledged.
  bool wait_for(const std::map<std::string, uint64_t>& needed, double timeout);
  bool ever_connected() const;

 private:
  void serve();
  void take_line(std::string_view line);
  bool covered(const std::map<std::string, uint64_t>& needed) const;

  std::string path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::condition_variable_any changed_;
  std::map<std::string, uint64_t> acked_;
  int connections_ = 0;     // open now
  int ever_ = 0;            // opened since the start
  uint64_t malformed_ = 0;  // lines that were not positions
  std::thread thread_;
};

// The reporting side (sp-sink). Connects lazily (sp-ingest may not be listening yet when the
// sink starts) and reconnects after a failure; a report that cannot be sent is dropped (a later
// one covers it; at worst the records are read again after a restart).
class AckClient {
 public:
  explicit AckClient(std::string path, std::function<void(const std::string&)> warn);
  ~AckClient();
  AckClient(const AckClient&) = delete;
  AckClient& operator=(const AckClient&) = delete;
  // Reports the positions of durable records: `metas` holds "_sp" values, one per line.
  void durable(std::string_view metas);
  uint64_t sent() const { return sent_; }

 private:
  bool connect_now();
  std::string path_;
  std::function<void(const std::string&)> warn_;
  int fd_ = -1;
  bool warned_ = false;
  uint64_t sent_ = 0;  // lines
  std::map<std::string, uint64_t, std::less<>> batch_;
  std::string out_;
};

}  // namespace sp::ack
