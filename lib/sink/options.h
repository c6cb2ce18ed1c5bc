// sp-sink's options: the program's flags. Connector options are the URI's query parameters.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "connect/mqtt/client.h"

namespace sp::sink {

struct Options {
  std::string destination = "-";
  size_t batch_size = 10000;         // records per batch
  size_t batch_bytes = 16u << 20;    // a batch is also cut at this many bytes
  double flush_interval = 1.0;       // seconds a record may wait in a partial batch
  int retries = 8;                   // attempts after the first, per batch
  double retry_backoff = 0.1;        // first wait; doubles up to retry_max_backoff, with jitter
  double retry_max_backoff = 5.0;
  bool keep_meta = false;            // keep the top-level "_sp" key in what is written
  std::string ack;                   // --ack PATH: report durable positions to sp-ingest there
  // files and S3 objects
  size_t rotate_size = 0;            // 0: no size limit
  double rotate_interval = 0;        // seconds; 0: no time limit
  std::string time_field;            // event time for path templates
  std::string compress = "auto";     // auto (from the name), none, zstd
  int zstd_level = 3;
  // tables (SQLite, PostgreSQL)
  std::string schema_file;
  // HTTP
  std::vector<std::string> headers;
  bool http_array = false;
  double timeout = 30;               // seconds for one network operation
  // MQTT
  double connect_timeout = 10;       // seconds; an unreachable broker at the start is an error
  connect::mqtt::Access mqtt;        // --user, --password-file, --cafile, --cert, --key
  // Kafka
  std::vector<std::pair<std::string, std::string>> kafka_properties;  // --kafka-config, then -X
  std::string partition_by;          // field whose value picks the partition
  std::string timestamp_field;       // field with the message timestamp
};

}  // namespace sp::sink
