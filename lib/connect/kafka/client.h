// What the Kafka producer and consumer share: building a librdkafka configuration from our
// defaults and the user's properties, and checking that a broker answers. Internal to
// connect/kafka (it includes rdkafka.h).
#pragma once
#include <librdkafka/rdkafka.h>

#include <string>

#include "connect/kafka/config.h"

namespace sp::connect::kafka {

// A configuration with `defaults`, then the settings' properties. Throws sp::UsageError
// naming the property librdkafka refuses. The caller owns the result.
rd_kafka_conf_t* make_conf(const ClientSettings& settings, const Properties& defaults);
// Creates the handle (taking `conf`); throws sp::UsageError when librdkafka refuses.
rd_kafka_t* make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& where);
// Waits up to `seconds` for a broker to answer a metadata request; throws sp::Error
// ("no broker answered within 10s: …") otherwise.
void wait_for_broker(rd_kafka_t* rk, double seconds, const std::string& where);

}  // namespace sp::connect::kafka
