// Server-Sent Events fan-out. The ingest thread publishes every batch to every subscriber's
// queue without waiting for anyone; a subscriber whose queue is full (a client that reads
// slower than the stream arrives) is dropped, so no client can slow the pipe down.
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
  explicit Subscriber(size_t capacity) : capacity_(capacity) {}

  // Waits up to `timeout` for records; moves them into `out`. False once the subscriber is
  // dropped or the hub closed (out may still hold the last records).
  bool wait(std::vector<EntryPtr>& out, std::chrono::milliseconds timeout);
  bool dropped() const;

 private:
  friend class Hub;
  void push(const std::vector<EntryPtr>& batch);
  void close();

  size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<EntryPtr> queue_;
  bool dropped_ = false, closed_ = false;
};

class Hub {
 public:
  explicit Hub(size_t queue_capacity) : capacity_(queue_capacity) {}

  std::shared_ptr<Subscriber> subscribe();
  void unsubscribe(const std::shared_ptr<Subscriber>& s);
  void publish(const std::vector<EntryPtr>& batch);
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
