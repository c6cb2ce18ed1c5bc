// sqlite:///path.db?table=events: rows in an SQLite table (WAL mode, one transaction per batch).
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_sqlite_sink(const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
