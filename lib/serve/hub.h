// Server-Sent Events fan-out. The ingest thread publishes every batch to every subscriber's
// queue without waiting for anyone (one shared pointer per batch, whatever its size); a
// subscriber whose queue is full (a client that reads slower than the stream arrives) is
// dropped, so no client can slow the pipe down.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "serve/store.h"

namespace sp::serve {

class Subscriber {
 public:
  // `capacity`: records (not batches) it may fall behind.
  explicit Subscriber(size_t capacity) : capacity_(capacity) {}

  // Waits up to `timeout` for records; moves them into `out`. False once the subscriber is
  // dropped or the hub closed (out may still hold the last records).
  bool wait(std::vector<EntryPtr>& out, std::chrono::milliseconds timeout);
  bool dropped() const;

 private:
  friend class Hub;
  void push(const SegmentPtr& batch);
  void close();

  size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SegmentPtr> queue_;
  size_t queued_ = 0;  // records in queue_
  bool dropped_ = false, closed_ = false;
};

class Hub {
 public:
  explicit Hub(size_t queue_capacity) : capacity_(queue_capacity) {}

  std::shared_ptr<Subscriber> subscribe();
  void unsubscribe(const std::shared_ptr<Subscriber>& s);
  void publish(const SegmentPtr& batch);
  // Ends every stream (the server stops).
  void close();

  size_t clients() const { return count_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subs_;
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> dropped_{0};
  bool closed_ = false;
};

}  // namespace sp::serve
