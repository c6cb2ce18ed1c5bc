// s3://bucket/key-template?endpoint=...&region=...: objects cut like file segments (size,
// time, event-time partitions, zstd), uploaded with one PUT or, past part_size, as a
// multipart upload. An object is durable once its PUT or CompleteMultipartUpload succeeds.
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_s3_sink(const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
