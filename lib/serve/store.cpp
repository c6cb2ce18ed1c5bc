#include "serve/store.h"

#include <algorithm>
#include <limits>

namespace sp::serve {

void EntryBatch::start() {
  block_ = std::make_shared<Block>();
  block_->entries.reserve(std::max<size_t>(last_entries_, 16));
  block_->bytes.reserve(last_bytes_ + simdjson::SIMDJSON_PADDING);
  block_->gauges.reserve(std::max<size_t>(last_entries_, 16) * gauges_);
}

Entry& EntryBatch::add(std::string_view text) {
  Entry& e = block_->entries.emplace_back();
  e.text_at_ = block_->bytes.size();
  e.text_size_ = text.size();  // the views are set by take(): the block's bytes may move until then
  block_->bytes.append(text);
  block_->gauges.resize(block_->gauges.size() + gauges_, std::numeric_limits<double>::quiet_NaN());
  return e;
}

void EntryBatch::set_key(std::string_view key) {
  Entry& e = block_->entries.back();
  e.key_at_ = block_->bytes.size();
  e.key_size_ = key.size();
  block_->bytes.append(key);
}

void EntryBatch::take(std::vector<EntryPtr>& out) {
  Block& b = *block_;
  if (b.entries.empty()) return;
  b.bytes.append(simdjson::SIMDJSON_PADDING, '\0');
  const char* base = b.bytes.data();
  for (size_t i = 0; i < b.entries.size(); ++i) {
    Entry& e = b.entries[i];
    e.text = std::string_view(base + e.text_at_, e.text_size_);
    e.key = std::string_view(base + e.key_at_, e.key_size_);
    e.gauges = std::span<const double>(b.gauges.data() + i * gauges_, gauges_);
    out.emplace_back(block_, &e);  // shares the block's ownership
  }
  last_entries_ = b.entries.size();
  last_bytes_ = b.bytes.size();
  start();
}

std::shared_ptr<const Entry> copy_entry(const Entry& e) {
  EntryBatch one(e.gauges.size());
  Entry& c = one.add(e.text);
  c.seq = e.seq;
  c.time_ns = e.time_ns;
  c.has_time = e.has_time;
  c.has_key = e.has_key;
  one.set_key(e.key);
  for (size_t i = 0; i < e.gauges.size(); ++i) one.gauge(i) = e.gauges[i];
  std::vector<EntryPtr> out;
  one.take(out);
  return out[0];
}

EntryPtr make_entry(std::string_view text, std::string_view key, bool has_key, uint64_t seq, int64_t time_ns,
                    bool has_time) {
  EntryBatch one(0);
  Entry& e = one.add(text);
  e.seq = seq;
  e.time_ns = time_ns;
  e.has_time = has_time;
  e.has_key = has_key;
  one.set_key(key);
  std::vector<EntryPtr> out;
  one.take(out);
  return out[0];
}

void Store::add(SegmentPtr batch) {
  if (batch->empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : *batch) {
    if (e->has_time) clock_ = std::max(clock_, e->time_ns);
    if (!e->has_key) continue;
    auto it = latest_.find(e->key);
    if (it == latest_.end()) {
      if (latest_.size() >= limits_.max_keys && oldest_key_) {
        Latest* gone = oldest_key_;
        unlink(*gone);
        latest_.erase(latest_.find(*gone->key));
        ++keys_evicted_;
      }
      it = latest_.emplace(e->key, Latest{}).first;
      it->second.key = &it->first;
    } else {
      unlink(it->second);
    }
    it->second.entry = e;
    touch(it->second);
  }
  retained_ += batch->size();
  ring_.push_back(std::move(batch));
  evict();
  version_.fetch_add(1, std::memory_order_release);
}

// Appends `l` as the newest key.
void Store::touch(Latest& l) {
  l.older = newest_key_;
  l.newer = nullptr;
  if (newest_key_) newest_key_->newer = &l;
  newest_key_ = &l;
  if (!oldest_key_) oldest_key_ = &l;
}

void Store::unlink(Latest& l) {
  (l.older ? l.older->newer : oldest_key_) = l.newer;
  (l.newer ? l.newer->older : newest_key_) = l.older;
  l.older = l.newer = nullptr;
}

void Store::evict() {
  auto oldest = [this]() -> const EntryPtr& { return (*ring_.front())[skip_]; };
  auto pop = [&] {
    const EntryPtr& e = oldest();
    // Still the latest of its key: keep a copy of its own, and let the block go.
    if (e->has_key) {
      auto it = latest_.find(e->key);
      if (it != latest_.end() && it->second.entry == e) it->second.entry = copy_entry(*e);
    }
    --retained_;
    if (++skip_ == ring_.front()->size()) {
      ring_.pop_front();
      skip_ = 0;
    }
  };
  while (retained_ > limits_.max_records) pop();
  if (limits_.retain_ns <= 0) return;
  int64_t bound = clock_ - limits_.retain_ns;
  while (retained_ > 0 && oldest()->has_time && oldest()->time_ns < bound) pop();
}

EntryPtr Store::latest(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = latest_.find(key);
  return it == latest_.end() ? nullptr : it->second.entry;
}

std::vector<EntryPtr> Store::latest_all() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EntryPtr> out;
  out.reserve(latest_.size());
  for (const auto& [key, l] : latest_) out.push_back(l.entry);
  return out;
}

RecentView Store::recent() const {
  RecentView v;
  std::lock_guard<std::mutex> lock(mu_);
  v.segments.assign(ring_.begin(), ring_.end());
  v.skip = skip_;
  return v;
}

std::vector<EntryPtr> Store::recent(int64_t since_ns, int64_t until_ns) const {
  std::vector<EntryPtr> out;
  recent().newest_first([&](const EntryPtr& e) {
    if (e->time_ns >= since_ns && e->time_ns < until_ns) out.push_back(e);
    return true;
  });
  std::reverse(out.begin(), out.end());
  return out;
}

int64_t Store::clock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_;
}

size_t Store::retained() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retained_;
}

uint64_t Store::keys_evicted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_evicted_;
}

size_t Store::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_.size();
}

}  // namespace sp::serve
