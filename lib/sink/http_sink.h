// http(s)://...: each batch POSTed as NDJSON (or a JSON array with --http-array).
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_http_sink(const std::string& url, const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
