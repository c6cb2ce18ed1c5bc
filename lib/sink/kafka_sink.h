// kafka://HOST:PORT[,HOST:PORT]/TOPIC?key=FIELD&partition_by=FIELD&timestamp_field=FIELD
//
// One message per record. TOPIC may be a template filled from each record
// ("{service}-events"); key= and partition_by= take a field path (or a template with {…}).
// key= sets the message key (the partitioner hashes it); partition_by= picks the partition
// by the same hash without setting a key. A missing key field sends the record without a key;
// a missing topic or partition_by field refuses it. timestamp_field= (or --timestamp-field)
// sets the message timestamp from an RFC 3339 or epoch s/ms field.
//
// Producer defaults: acks=all, enable.idempotence=true, compression.type=zstd, linger.ms=20,
// batch.size=1000000; -X NAME=VALUE and --kafka-config FILE override any librdkafka property.
// write() produces the batch and waits for every delivery report: a record librdkafka could not
// deliver (after its retries, within message.timeout.ms) is refused with the error, and the
// program exits 1.
#pragma once
#include <memory>
#include <string>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_kafka_sink(const std::string& uri, const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
