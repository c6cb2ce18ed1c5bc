// A least-recently-used cache with a time to live, for lookups that ask a server (SQLite,
// Redis): the hot keys of a stream stay in memory, and an entry older than the TTL is asked
// again so that changes in the source show through. Misses are cached too (as the caller's
// "absent" value), so an unknown key does not cost a round trip per record.
#pragma once
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sp::enrich {

template <class V>
class LruCache {
 public:
  // capacity 0 caches nothing; ttl_seconds <= 0 keeps entries until they are evicted.
  LruCache(size_t capacity, double ttl_seconds) : capacity_(capacity), ttl_(ttl_seconds) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // The value cached for `key` at time `now` (seconds, any monotonic clock), or nullptr when
  // there is none or it has expired (an expired entry is dropped). A hit becomes the most
  // recently used entry. The pointer stays valid until the next put() or clear().
  V* get(std::string_view key, double now) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    auto node = it->second;
    if (ttl_ > 0 && now >= node->expires) {
      index_.erase(it);
      entries_.erase(node);
      return nullptr;
    }
    entries_.splice(entries_.begin(), entries_, node);
    return &node->value;
  }

  // Stores `value` for `key` (replacing an older entry), evicting the least recently used
  // entry when full. Returns the stored value, or nullptr when the capacity is 0.
  V* put(std::string_view key, V value, double now) {
    if (capacity_ == 0) return nullptr;
    auto it = index_.find(key);
    if (it != index_.end()) {
      auto node = it->second;
      node->value = std::move(value);
      node->expires = now + ttl_;
      entries_.splice(entries_.begin(), entries_, node);
      return &node->value;
    }
    if (entries_.size() >= capacity_) {
      index_.erase(std::string_view(entries_.back().key));
      entries_.pop_back();
      ++evictions_;
    }
    entries_.push_front(Entry{std::string(key), std::move(value), now + ttl_});
    // The index's key views the entry's own string: list nodes never move.
    index_.emplace(std::string_view(entries_.front().key), entries_.begin());
    return &entries_.front().value;
  }

  void clear() {
    index_.clear();
    entries_.clear();
  }
  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    std::string key;
    V value;
    double expires;
  };
  size_t capacity_;
  double ttl_;
  uint64_t evictions_ = 0;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index_;
};

}  // namespace sp::enrich
