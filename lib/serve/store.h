// What sp-serve keeps of the stream: the latest record per key and a ring of recent records,
// bounded by time (--retain, measured on the store's clock: the newest event time with --time,
// else the arrival time) and by count (--max-records).
//
// One writer (the ingest thread) adds records in batches; HTTP threads read. Readers take the
// lock only to copy pointers: records are immutable and shared, so a slow reader (a large
// /api/recent with a filter) never holds up ingestion.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sp::serve {

struct Entry {
  uint64_t seq = 0;      // 1, 2, ... in arrival order (the SSE event id)
  int64_t time_ns = 0;   // event time (--time), else arrival time
  bool has_time = false; // false when --time is given but the record has no usable time
  bool has_key = false;
  std::string key;
  std::vector<double> gauges;  // the --gauge fields, NaN when absent or not a number
  std::string text;            // the record's bytes; capacity leaves simdjson's padding

  // The record as simdjson input (text has SIMDJSON_PADDING spare bytes).
  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(text.data(), text.size(), text.capacity());
  }
};
using EntryPtr = std::shared_ptr<const Entry>;

// Makes an entry whose text can be parsed in place.
std::shared_ptr<Entry> make_entry(std::string_view text);

struct StoreLimits {
  int64_t retain_ns = 0;    // 0: no time bound
  size_t max_records = 100000;
};

class Store {
 public:
  explicit Store(StoreLimits limits) : limits_(limits) {}

  // Adds records in arrival order (the ingest thread).
  void add(const std::vector<EntryPtr>& batch);

  // The latest record of a key; nullptr when the key was never seen.
  EntryPtr latest(std::string_view key) const;
  // The latest record of every key, ordered by key.
  std::vector<EntryPtr> latest_all() const;
  // Retained records with since <= time < until, oldest first.
  std::vector<EntryPtr> recent(int64_t since_ns, int64_t until_ns) const;

  // The newest time seen (0 before the first record): "now" for relative times.
  int64_t clock() const;
  size_t retained() const;
  size_t keys() const;

 private:
  void evict();

  StoreLimits limits_;
  mutable std::mutex mu_;
  std::deque<EntryPtr> ring_;
  std::map<std::string, EntryPtr, std::less<>> latest_;
  int64_t clock_ = 0;
};

}  // namespace sp::serve
