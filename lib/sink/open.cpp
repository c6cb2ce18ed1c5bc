#include "sink/open.h"

#include "io/error.h"
#include "sink/file_sink.h"
#include "sink/http_sink.h"
#include "sink/mqtt_sink.h"
#include "sink/kafka_sink.h"
#include "sink/postgres_sink.h"
#include "sink/redis_sink.h"
#include "sink/s3_sink.h"
#include "sink/sqlite_sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_sink(const std::string& uri, const Endpoint& endpoint, const Options& opts) {
  const std::string& scheme = endpoint.scheme();
  std::unique_ptr<Sink> sink;
  if (scheme == "file") sink = open_file_sink(endpoint, opts);
  else if (scheme == "sqlite") sink = open_sqlite_sink(endpoint, opts);
  else if (scheme == "postgresql" || scheme == "postgres") sink = open_postgres_sink(endpoint, opts);
  else if (scheme == "redis") sink = open_redis_sink(endpoint, opts);
  else if (scheme == "http" || scheme == "https") sink = open_http_sink(uri, endpoint, opts);
  else if (scheme == "s3") sink = open_s3_sink(endpoint, opts);
  else if (scheme == "mqtt" || scheme == "mqtts") sink = open_mqtt_sink(endpoint, opts);
  else if (scheme == "kafka") sink = open_kafka_sink(uri, endpoint, opts);
  else
    throw UsageError("unknown destination scheme '" + scheme + "' in '" + endpoint.redacted() +
                     "' (use -, a path, file://, sqlite://, postgresql://, redis://, http(s)://, s3://, kafka://, mqtt(s)://)");
  endpoint.reject_unused();
  return sink;
}

}  // namespace sp::sink
