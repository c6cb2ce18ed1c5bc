// MQTT sources: mqtt://[user@]host:port/FILTER[,FILTER...]?qos=1&client_id=ID&clean=false
// (mqtts:// for TLS). Subscribes to the topic filters and writes one record per message:
// a JSON payload as it is (minified when it spans lines), any other payload wrapped as
// {"topic":…,"payload":"text"} or, when it is not UTF-8, {"topic":…,"payload_base64":"…"}.
// clean=false with a client_id keeps the session on the broker, so that QoS 1/2 messages
// published while sp-ingest is down are delivered when it comes back. A lost connection is
// retried with backoff (1 s doubling to 30 s) for as long as the program runs.
#pragma once
#include <cstdint>
#include <string>

#include "connect/mqtt/client.h"
#include "ingest/emitter.h"

namespace sp::ingest {

struct MqttOptions {
  double connect_timeout = 10;  // seconds; the first connection, then exit 1
  uint64_t count = 0;           // stop after this many records (0: never)
  size_t max_message_bytes = 64u << 20;  // --max-line-bytes: longer payloads are rejected
  connect::mqtt::Access access;  // --user, --password-file, --cafile, --cert, --key
};

// Throws sp::UsageError for a bad URI, sp::Error when the broker cannot be reached within
// connect_timeout or refuses us.
void read_mqtt(const std::string& uri, const MqttOptions& opts, Emitter& emitter);

}  // namespace sp::ingest
