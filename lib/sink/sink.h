// Sink: one destination (files, SQLite, PostgreSQL, Redis, HTTP, S3). The runner hands it
// batches; a sink writes a batch and returns once the destination holds it, throwing
// sink::Transient when it may work on a retry (connection lost, 503, 429). Durability is
// reported separately through durable(seq), because for files it comes later (at fsync).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "connect/error.h"
#include "io/error.h"
#include "sink/batch.h"

namespace sp::sink {

// A failure that a retry may cure (connection lost, 503, 429), from connect/.
using Transient = connect::Transient;

class Sink {
 public:
  using DurableFn = std::function<void(uint64_t through_seq)>;
  virtual ~Sink() = default;

  // The destination for messages, without a password.
  virtual std::string describe() const = 0;
  // Stores the records of `batch` from batch.confirmed on. Sets batch.confirmed as records are
  // acknowledged (a retry after a Transient resumes there) and batch.refuse(i, why) for records
  // the destination will never take. Throws Transient or sp::Error.
  virtual void write(Batch& batch) = 0;
  // Called about once a second and after each batch, even when no records arrive: the place
  // for time-based work (closing files past --rotate-interval).
  virtual void tick(std::chrono::system_clock::time_point /*now*/) {}
  // Makes everything written durable and releases the destination. Throws like write().
  virtual void close() = 0;
  // Whether a batch is durable as soon as write() returns (SQL commit, Redis reply). Sinks that
  // answer false call durable() themselves (files, at fsync).
  virtual bool durable_on_write() const { return true; }

  // Records refused because the destination could not take them (Kafka delivery failures),
  // as opposed to records it rejected: any makes the program exit 1.
  virtual uint64_t undelivered() const { return 0; }

  void on_durable(DurableFn f) { durable_fn_ = std::move(f); }
  // Every batch written so far through `seq` is durable. Called by the runner for sinks that
  // are durable on write, by the sink itself otherwise.
  void mark_durable(uint64_t seq) {
    if (durable_fn_) durable_fn_(seq);
  }

 private:
  DurableFn durable_fn_;
};

}  // namespace sp::sink
