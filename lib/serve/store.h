// What sp-serve keeps of the stream: the latest record per key and a ring of recent records,
// bounded by time (--retain, measured on the store's clock: the newest event time with --time,
// else the arrival time) and by count (--max-records).
//
// One writer (the ingest thread) adds records in batches; HTTP threads read. Records are
// immutable and shared. The ring is a queue of batches (Segment), so a reader takes the lock
// only to copy one pointer per batch, not per record: a reader never holds up ingestion for
// long, even when it is a low-priority thread that loses the CPU while holding the lock. The
// records of a batch live in one block (EntryBatch): one allocation per batch, not per record.
// A record that leaves the ring while it is still the latest of its key is copied out of its
// block, so that a key updated rarely does not keep a whole old block alive.
#pragma once
#include <simdjson.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sp::serve {

struct Entry {
  uint64_t seq = 0;      // 1, 2, ... in arrival order (the SSE event id)
  int64_t time_ns = 0;   // event time (--time), else arrival time
  bool has_time = false; // false when --time is given but the record has no usable time
  bool has_key = false;
  std::string_view key;
  std::string_view text;          // the record's bytes, followed by SIMDJSON_PADDING readable bytes
  std::span<const double> gauges; // the --gauge fields, NaN when absent or not a number

  // The record as simdjson input.
  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(text.data(), text.size(), text.size() + simdjson::SIMDJSON_PADDING);
  }

 private:
  friend class EntryBatch;
  size_t text_at_ = 0, text_size_ = 0, key_at_ = 0, key_size_ = 0;  // into the block while it is built
};
using EntryPtr = std::shared_ptr<const Entry>;

// Builds the records of one batch into one block (the ingest thread).
class EntryBatch {
 public:
  explicit EntryBatch(size_t gauges_per_entry) : gauges_(gauges_per_entry) { start(); }
  // A new record with these bytes; fill in its fields, set_key() and gauge() before the next add().
  Entry& add(std::string_view text);
  void set_key(std::string_view key);
  double& gauge(size_t i) { return block_->gauges[(block_->entries.size() - 1) * gauges_ + i]; }
  size_t size() const { return block_->entries.size(); }
  bool empty() const { return block_->entries.empty(); }
  // The records added since the last take(), as shared pointers into their block.
  void take(std::vector<EntryPtr>& out);

 private:
  struct Block {
    std::vector<Entry> entries;
    std::string bytes;  // texts and keys, padded at the end
    std::vector<double> gauges;
  };
  void start();
  size_t gauges_;
  std::shared_ptr<Block> block_;
  size_t last_bytes_ = 0, last_entries_ = 0;  // the previous block's size: the next one's reservation
};

// A record on its own block (a copy of `e`'s bytes, key and gauges, with its seq and time).
std::shared_ptr<const Entry> copy_entry(const Entry& e);
// A record with these bytes and key on its own block (for tests and one-off records).
EntryPtr make_entry(std::string_view text, std::string_view key = {}, bool has_key = false, uint64_t seq = 0,
                    int64_t time_ns = 0, bool has_time = true);

// One batch of records, in arrival order.
using Segment = std::vector<EntryPtr>;
using SegmentPtr = std::shared_ptr<const Segment>;

// The retained records at one moment: segments oldest first, of which the first `skip`
// records of the first segment have left already.
struct RecentView {
  std::vector<SegmentPtr> segments;
  size_t skip = 0;
  // Calls f(entry) for each record, newest first, while f returns true.
  template <class F>
  void newest_first(F&& f) const {
    for (size_t s = segments.size(); s-- > 0;) {
      const Segment& seg = *segments[s];
      size_t first = s == 0 ? skip : 0;
      for (size_t i = seg.size(); i-- > first;)
        if (!f(seg[i])) return;
    }
  }
};

struct StoreLimits {
  int64_t retain_ns = 0;    // 0: no time bound
  size_t max_records = 100000;
  size_t max_keys = 100000;  // beyond: the key updated longest ago is forgotten
};

class Store {
 public:
  explicit Store(StoreLimits limits) : limits_(limits) {}

  // Adds a batch of records in arrival order (the ingest thread).
  void add(SegmentPtr batch);

  // The latest record of a key; nullptr when the key was never seen.
  EntryPtr latest(std::string_view key) const;
  // The latest record of every key, ordered by key.
  std::vector<EntryPtr> latest_all() const;
  // The retained records (one pointer per batch is copied under the lock).
  RecentView recent() const;
  // Retained records with since <= time < until, oldest first.
  std::vector<EntryPtr> recent(int64_t since_ns, int64_t until_ns) const;

  // The newest time seen (0 before the first record): "now" for relative times.
  int64_t clock() const;
  size_t retained() const;
  size_t keys() const;
  // Keys forgotten to stay within max_keys.
  uint64_t keys_evicted() const;
  // Changes with every add(): a reader can tell whether what it built from the store is current.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  void evict();

  StoreLimits limits_;
  mutable std::mutex mu_;
  std::deque<SegmentPtr> ring_;
  size_t skip_ = 0;      // records of ring_.front() that have left
  size_t retained_ = 0;  // records in the ring
  // The latest record per key, and the keys in the order of their last update (an intrusive
  // list through the map's nodes, which never move: an update relinks, nothing is allocated).
  struct Latest {
    EntryPtr entry;
    const std::string* key = nullptr;  // the map node's key
    Latest* older = nullptr;
    Latest* newer = nullptr;
  };
  void touch(Latest& l);
  void unlink(Latest& l);
  std::map<std::string, Latest, std::less<>> latest_;
  Latest* oldest_key_ = nullptr;
  Latest* newest_key_ = nullptr;
  uint64_t keys_evicted_ = 0;
  int64_t clock_ = 0;
  std::atomic<uint64_t> version_{0};
};

}  // namespace sp::serve
