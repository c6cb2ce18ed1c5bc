#include "serve/hub.h"

#include <algorithm>

namespace sp::serve {

bool Subscriber::wait(std::vector<EntryPtr>& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || dropped_ || closed_; });
  out.clear();
  out.reserve(queued_);
  for (const auto& seg : queue_) out.insert(out.end(), seg->begin(), seg->end());
  queue_.clear();
  queued_ = 0;
  return !dropped_ && !closed_;
}

bool Subscriber::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void Subscriber::push(const SegmentPtr& batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dropped_ || closed_) return;
    if (queued_ + batch->size() > capacity_) {
      dropped_ = true;
      queue_.clear();
      queued_ = 0;
    } else {
      queue_.push_back(batch);
      queued_ += batch->size();
    }
  }
  cv_.notify_one();
}

void Subscriber::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_one();
}

std::shared_ptr<Subscriber> Hub::subscribe() {
  auto s = std::make_shared<Subscriber>(capacity_);
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) s->close();
  subs_.push_back(s);
  count_.store(subs_.size(), std::memory_order_relaxed);
  return s;
}

void Hub::unsubscribe(const std::shared_ptr<Subscriber>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
  count_.store(subs_.size(), std::memory_order_relaxed);
}

void Hub::publish(const SegmentPtr& batch) {
  if (batch->empty() || count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : subs_) {
    bool was = s->dropped();
    s->push(batch);
    if (!was && s->dropped()) dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Hub::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (auto& s : subs_) s->close();
}

}  // namespace sp::serve
