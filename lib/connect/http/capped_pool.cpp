#include "connect/http/capped_pool.h"

namespace sp::connect::http {
namespace {

thread_local bool tl_refusing = false;

}  // namespace

CappedPool::CappedPool(size_t workers, size_t max_connections, std::atomic<uint64_t>* refused)
    : max_(max_connections < 1 ? 1 : max_connections), refused_(refused) {
  if (workers > max_) workers = max_;
  if (workers < 1) workers = 1;
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { serve(); });
  threads_.emplace_back([this] { refuse(); });
}

CappedPool::~CappedPool() { shutdown(); }

bool CappedPool::refusing() { return tl_refusing; }

void CappedPool::enqueue(std::function<void()> fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (held_ < max_) {
    ++held_;
    jobs_.push_back(std::move(fn));
    work_.notify_one();
    return;
  }
  // Over the limit: the refusing thread answers it; when even that one is behind, the
  // accepting thread (the caller) waits here instead of taking more connections.
  space_.wait(lock, [this] { return shutdown_ || refusals_.size() < kRefusalBacklog; });
  refusals_.push_back(std::move(fn));
  if (refused_) refused_->fetch_add(1, std::memory_order_relaxed);
  refusal_.notify_one();
}

void CappedPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
  }
  work_.notify_all();
  refusal_.notify_all();
  space_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void CappedPool::serve() {
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shut down, nothing left
      fn = std::move(jobs_.front());
      jobs_.pop_front();
    }
    fn();  // serves the connection and closes it
    std::lock_guard<std::mutex> lock(mu_);
    --held_;
  }
}

void CappedPool::refuse() {
  tl_refusing = true;
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      refusal_.wait(lock, [this] { return shutdown_ || !refusals_.empty(); });
      if (refusals_.empty()) return;
      fn = std::move(refusals_.front());
      refusals_.pop_front();
    }
    space_.notify_one();
    fn();
  }
}

}  // namespace sp::connect::http
