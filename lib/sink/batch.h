// Batch: the unit a sink writes and confirms. Records are stored back to back in one buffer
// (each followed by '\n', so a batch is also its own NDJSON text) with their origin, so that
// a record the destination refuses can go to the dead-letter output with its line number.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace sp::sink {

constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

struct BatchRecord {
  size_t begin = 0;       // in Batch::text()
  uint32_t size = 0;      // without the '\n'
  uint32_t source = 0;    // index into the runner's input names
  uint64_t line = 0;      // 1-based line number in that input
  uint64_t offset = 0;    // byte offset of the line in that input
  int64_t time_ms = kNoTime;  // event time from --time-field, when asked for
  size_t meta_begin = 0;  // the stripped top-level "_sp" value, in Batch::meta_text()
  uint32_t meta_size = 0;
};

// A record the destination refused, by index in the batch, with the reason (and for HTTP
// the response) for the dead-letter entry.
struct Refusal {
  size_t index;
  std::string reason;
};

class Batch {
 public:
  uint64_t seq = 0;  // 1, 2, 3... in the order batches are written

  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  size_t bytes() const { return text_.size(); }
  std::string_view record(size_t i) const { return {text_.data() + records_[i].begin, records_[i].size}; }
  const BatchRecord& info(size_t i) const { return records_[i]; }
  std::string_view meta(size_t i) const { return {meta_.data() + records_[i].meta_begin, records_[i].meta_size}; }
  // All records, each followed by '\n'.
  std::string_view text() const { return text_; }
  // Records [from, size()) as NDJSON text.
  std::string_view text_from(size_t from) const {
    return from >= records_.size() ? std::string_view() : std::string_view(text_).substr(records_[from].begin);
  }

  // Appends a record (without its newline); `meta` is the "_sp" value stripped from it.
  BatchRecord& add(std::string_view record, std::string_view meta = {}) {
    BatchRecord r;
    r.begin = text_.size();
    r.size = static_cast<uint32_t>(record.size());
    text_.append(record.data(), record.size());
    text_ += '\n';
    if (!meta.empty()) {
      r.meta_begin = meta_.size();
      r.meta_size = static_cast<uint32_t>(meta.size());
      meta_.append(meta.data(), meta.size());
    }
    records_.push_back(r);
    return records_.back();
  }

  // Written by the sink during write(): records [0, confirmed) are stored at the destination
  // (a retry resumes after them), `refused` ones will not be (they go to the dead letters).
  size_t confirmed = 0;
  std::vector<Refusal> refused;
  void refuse(size_t index, std::string reason) { refused.push_back({index, std::move(reason)}); }

  void clear() {
    text_.clear();
    meta_.clear();
    records_.clear();
    refused.clear();
    confirmed = 0;
    seq = 0;
  }
  void swap(Batch& other) noexcept {
    std::swap(seq, other.seq);
    text_.swap(other.text_);
    meta_.swap(other.meta_);
    records_.swap(other.records_);
    refused.swap(other.refused);
    std::swap(confirmed, other.confirmed);
  }

 private:
  std::string text_;
  std::string meta_;
  std::vector<BatchRecord> records_;
};

}  // namespace sp::sink
