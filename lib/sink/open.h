// Opens the sink that a destination URI names.
#pragma once
#include <memory>
#include <string>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

// Throws sp::UsageError for a bad URI or option, sp::Error when the destination cannot be
// reached at all (only sinks that connect eagerly do; the others connect on first write).
std::unique_ptr<Sink> open_sink(const std::string& uri, const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
