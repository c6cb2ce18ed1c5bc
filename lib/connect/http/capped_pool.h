// A cpp-httplib task queue that holds at most `max_connections` connections at once (served by
// `workers` threads or waiting for one). A connection beyond that goes to one more thread,
// which answers it at once (refusing() is true there: the server's pre-routing hook replies
// 503 and closes); when that thread too is behind by kRefusalBacklog connections, accepting
// waits, so the kernel's listen backlog holds or refuses the rest. Whatever the clients do,
// the descriptors and threads a listener uses stay bounded. (cpp-httplib's own ThreadPool
// queues every accepted connection, without limit.)
#pragma once
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sp::connect::http {

class CappedPool final : public httplib::TaskQueue {
 public:
  static constexpr size_t kRefusalBacklog = 16;

  CappedPool(size_t workers, size_t max_connections, std::atomic<uint64_t>* refused);
  ~CappedPool() override;
  CappedPool(const CappedPool&) = delete;
  CappedPool& operator=(const CappedPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the thread that answers connections over the limit, while it serves one.
  static bool refusing();

 private:
  void serve();
  void refuse();

  size_t max_;
  std::atomic<uint64_t>* refused_;
  std::mutex mu_;
  std::condition_variable work_, refusal_, space_;
  std::deque<std::function<void()>> jobs_, refusals_;
  size_t held_ = 0;  // connections queued for or served by a worker
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sp::connect::http
