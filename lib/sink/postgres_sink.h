// postgresql://user@host:port/db?table=events: rows in a PostgreSQL table, one transaction per
// batch, COPY FROM STDIN (or mode=insert: multi-row INSERT), upsert, reconnects; a batch the
// server refuses is bisected so that only the bad rows go to the dead letters.
#pragma once
#include <memory>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_postgres_sink(const Endpoint& endpoint, const Options& opts);

}  // namespace sp::sink
