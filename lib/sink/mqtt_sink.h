// mqtt://[user@]host:port/TEMPLATE?qos=1&retain=false (mqtts:// for TLS): one message per
// record, published to the topic that TEMPLATE makes of the record's fields
// (sensors/{device_id}/reading). A batch is published with many messages in flight and
// write() returns once the broker has acknowledged every one (QoS 1 and 2).
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_mqtt_sink(const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
