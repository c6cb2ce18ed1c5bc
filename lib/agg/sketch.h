// Sketches for sp-agg: fixed-memory summaries of a stream of values, each mergeable (session
// windows merge) and serializable (--state).
//   HyperLogLog  approx_distinct: exact up to 256 distinct values, then 2^14 registers
//                (16 KiB), standard error 1.04/sqrt(16384) = 0.81%.
//   TDigest      percentiles: merging t-digest, compression 200; rank error well under 1%
//                (exact while a group holds at most 200 values).
//   SpaceSaving  top_k: Metwally et al.; exact while at most `capacity` distinct values
//                were seen, otherwise counts are over-estimates by at most `error`.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sp::agg {

class HyperLogLog {
 public:
  static constexpr int kPrecision = 14;
  static constexpr size_t kRegisters = size_t{1} << kPrecision;
  static constexpr size_t kExactLimit = 256;

  void add_hash(uint64_t h);
  void add(std::string_view bytes);
  void merge(const HyperLogLog& o);
  double estimate() const;
  bool exact() const { return registers_.empty(); }

  void save(std::string& out) const;
  // Reads what save() wrote from `in` at `pos`; returns false on malformed data.
  bool load(std::string_view in, size_t& pos);

 private:
  void to_registers();
  std::vector<uint64_t> hashes_;    // distinct hashes while exact (sorted on demand)
  std::vector<uint8_t> registers_;  // empty while exact
};

class TDigest {
 public:
  explicit TDigest(double compression = 200) : compression_(compression) {}
  void add(double x, double w = 1);
  void merge(const TDigest& o);
  // The q-quantile (0 <= q <= 1); NaN when empty.
  double quantile(double q);
  double count() const { return total_ + buffered_weight_; }

  void save(std::string& out);
  bool load(std::string_view in, size_t& pos);

 private:
  struct Centroid {
    double mean, weight;
  };
  void compress();
  double compression_;
  std::vector<Centroid> centroids_;  // sorted by mean
  std::vector<Centroid> buffer_;
  double total_ = 0, buffered_weight_ = 0;
  double min_ = 0, max_ = 0;
};

class SpaceSaving {
 public:
  explicit SpaceSaving(size_t capacity) : capacity_(capacity) {}
  void add(std::string_view key, uint64_t n = 1);
  void merge(const SpaceSaving& o);
  struct Item {
    std::string key;
    uint64_t count;
    uint64_t error;
  };
  // The k most frequent, by count (descending), then by key.
  std::vector<Item> top(size_t k) const;

  void save(std::string& out) const;
  bool load(std::string_view in, size_t& pos);

 private:
  size_t capacity_;
  std::vector<Item> items_;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, TextHash, std::equal_to<>> index_;
};

// Little helpers for the binary state format: fixed-width little-endian values and
// length-prefixed bytes.
void put_u64(std::string& out, uint64_t v);
void put_f64(std::string& out, double v);
void put_bytes(std::string& out, std::string_view b);
bool get_u64(std::string_view in, size_t& pos, uint64_t& v);
bool get_f64(std::string_view in, size_t& pos, double& v);
bool get_bytes(std::string_view in, size_t& pos, std::string& b);

}  // namespace sp::agg
