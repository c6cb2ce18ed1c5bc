// redis://[user:password@]host:port/DB?cmd=xadd|set|hset|publish|lpush&key=TEMPLATE: one
// command per record, a batch sent as one pipeline.
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_redis_sink(const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
