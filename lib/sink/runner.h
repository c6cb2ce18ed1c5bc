// The sp-sink stage: reads NDJSON records, strips "_sp" (unless --keep-meta), batches them by
// count, bytes and time, and hands each batch to a Sink, retrying transient failures with
// exponential backoff and jitter. Reading and writing run on two threads with two batches, so
// that parsing the next batch overlaps storing the last one, and a partial batch is flushed
// after --flush-interval even while the input is quiet.
#pragma once
#include <functional>

#include "cli/program.h"
#include "sink/batch.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

// Called once per batch when it is durable at the destination, in batch order, with the
// "_sp" positions of its records (Batch-like view: seq, count, metas). The hook for
// end-to-end acknowledgements.
struct DurableBatch {
  uint64_t seq = 0;
  size_t records = 0;
  std::string metas;  // the stripped "_sp" values, one per line (empty lines for records without)
};
using DurableCallback = std::function<void(const DurableBatch&)>;

// Runs the stage over the program's inputs into `sink`; returns the exit status.
int run(cli::Program& prog, const Options& opts, Sink& sink, DurableCallback on_durable = {});

}  // namespace sp::sink
