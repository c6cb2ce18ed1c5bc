#include "serve/store.h"

#include <algorithm>

namespace sp::serve {

std::shared_ptr<Entry> make_entry(std::string_view text) {
  auto e = std::make_shared<Entry>();
  e->text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  e->text.assign(text);
  return e;
}

void Store::add(const std::vector<EntryPtr>& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : batch) {
    ring_.push_back(e);
    if (e->has_time) clock_ = std::max(clock_, e->time_ns);
    if (!e->has_key) continue;
    auto it = latest_.find(std::string_view(e->key));
    if (it == latest_.end())
      latest_.emplace(e->key, e);
    else
      it->second = e;
  }
  evict();
}

void Store::evict() {
  while (ring_.size() > limits_.max_records) ring_.pop_front();
  if (limits_.retain_ns <= 0) return;
  int64_t oldest = clock_ - limits_.retain_ns;
  while (!ring_.empty() && ring_.front()->has_time && ring_.front()->time_ns < oldest) ring_.pop_front();
}

EntryPtr Store::latest(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = latest_.find(key);
  return it == latest_.end() ? nullptr : it->second;
}

std::vector<EntryPtr> Store::latest_all() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EntryPtr> out;
  out.reserve(latest_.size());
  for (const auto& [key, e] : latest_) out.push_back(e);
  return out;
}

std::vector<EntryPtr> Store::recent(int64_t since_ns, int64_t until_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EntryPtr> out;
  for (const auto& e : ring_)
    if (e->time_ns >= since_ns && e->time_ns < until_ns) out.push_back(e);
  return out;
}

int64_t Store::clock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_;
}

size_t Store::retained() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ring_.size();
}

size_t Store::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_.size();
}

}  // namespace sp::serve
