#include "agg/sketch.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace sp::agg {

// ---- state helpers

void put_u64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b, 8);
}
void put_f64(std::string& out, double v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  put_u64(out, u);
}
void put_bytes(std::string& out, std::string_view b) {
  put_u64(out, b.size());
  out.append(b.data(), b.size());
}
bool get_u64(std::string_view in, size_t& pos, uint64_t& v) {
  if (in.size() - pos < 8 || pos > in.size()) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  pos += 8;
  return true;
}
bool get_f64(std::string_view in, size_t& pos, double& v) {
  uint64_t u;
  if (!get_u64(in, pos, u)) return false;
  std::memcpy(&v, &u, 8);
  return true;
}
bool get_bytes(std::string_view in, size_t& pos, std::string& b) {
  uint64_t n;
  if (!get_u64(in, pos, n) || n > in.size() - pos) return false;
  b.assign(in.data() + pos, n);
  pos += n;
  return true;
}

// ---- HyperLogLog

void HyperLogLog::add(std::string_view bytes) { add_hash(XXH3_64bits(bytes.data(), bytes.size())); }

void HyperLogLog::add_hash(uint64_t h) {
  if (registers_.empty()) {
    auto it = std::lower_bound(hashes_.begin(), hashes_.end(), h);
    if (it != hashes_.end() && *it == h) return;
    hashes_.insert(it, h);
    if (hashes_.size() > kExactLimit) to_registers();
    return;
  }
  size_t idx = h >> (64 - kPrecision);
  uint64_t rest = h << kPrecision;
  // Leading zeros of the remaining 64-p bits, plus one, capped at 64-p+1.
  uint8_t rank = rest == 0 ? uint8_t(64 - kPrecision + 1) : uint8_t(__builtin_clzll(rest) + 1);
  if (rank > 64 - kPrecision + 1) rank = 64 - kPrecision + 1;
  if (rank > registers_[idx]) registers_[idx] = rank;
}

void HyperLogLog::to_registers() {
  registers_.assign(kRegisters, 0);
  std::vector<uint64_t> hs;
  hs.swap(hashes_);
  for (uint64_t h : hs) add_hash(h);
}

void HyperLogLog::merge(const HyperLogLog& o) {
  if (o.registers_.empty()) {
    for (uint64_t h : o.hashes_) add_hash(h);
    return;
  }
  if (registers_.empty()) to_registers();
  for (size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], o.registers_[i]);
}

namespace {
// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017): an estimator
// without bias tables that is accurate over the whole range.
double ertl_sigma(double x) {
  if (x == 1) return std::numeric_limits<double>::infinity();
  double y = 1, z = x;
  while (true) {
    x *= x;
    double z0 = z;
    z += x * y;
    y += y;
    if (z == z0) return z;
  }
}
double ertl_tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1, z = 1 - x;
  while (true) {
    x = std::sqrt(x);
    double z0 = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z == z0) return z / 3;
  }
}
}  // namespace

double HyperLogLog::estimate() const {
  if (registers_.empty()) return static_cast<double>(hashes_.size());
  constexpr int q = 64 - kPrecision;
  double m = kRegisters;
  std::vector<double> c(q + 2, 0);
  for (uint8_t r : registers_) c[r] += 1;
  double z = m * ertl_tau(1 - c[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + c[k]);
  z += m * ertl_sigma(c[0] / m);
  return std::round(m * m / (2 * std::log(2.0)) / z);
}

void HyperLogLog::save(std::string& out) const {
  if (registers_.empty()) {
    put_u64(out, 0);
    put_u64(out, hashes_.size());
    for (uint64_t h : hashes_) put_u64(out, h);
  } else {
    put_u64(out, 1);
    out.append(reinterpret_cast<const char*>(registers_.data()), registers_.size());
  }
}

bool HyperLogLog::load(std::string_view in, size_t& pos) {
  uint64_t mode, n;
  if (!get_u64(in, pos, mode)) return false;
  hashes_.clear();
  registers_.clear();
  if (mode == 0) {
    if (!get_u64(in, pos, n) || n > kExactLimit) return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t h;
      if (!get_u64(in, pos, h)) return false;
      hashes_.push_back(h);
    }
    return true;
  }
  if (in.size() - pos < kRegisters) return false;
  registers_.assign(in.begin() + pos, in.begin() + pos + kRegisters);
  pos += kRegisters;
  return true;
}

// ---- TDigest (merging digest; size bound 4 n q (1-q) / compression)

void TDigest::add(double x, double w) {
  if (std::isnan(x)) return;
  if (total_ + buffered_weight_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  buffer_.push_back({x, w});
  buffered_weight_ += w;
  if (buffer_.size() >= static_cast<size_t>(5 * compression_)) compress();
}

void TDigest::merge(const TDigest& o) {
  if (o.count() == 0) return;
  if (count() == 0) {
    min_ = o.min_;
    max_ = o.max_;
  } else {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  for (const auto& c : o.centroids_) buffer_.push_back(c), buffered_weight_ += c.weight;
  for (const auto& c : o.buffer_) buffer_.push_back(c), buffered_weight_ += c.weight;
  compress();
}

void TDigest::compress() {
  if (buffer_.empty()) return;
  buffer_.insert(buffer_.end(), centroids_.begin(), centroids_.end());
  std::stable_sort(buffer_.begin(), buffer_.end(),
                   [](const Centroid& a, const Centroid& b) { return a.mean < b.mean; });
  double total = total_ + buffered_weight_;
  centroids_.clear();
  Centroid cur = buffer_[0];
  double before = 0;
  for (size_t i = 1; i < buffer_.size(); ++i) {
    const Centroid& c = buffer_[i];
    double q = (before + (cur.weight + c.weight) / 2) / total;
    double limit = 4 * total * q * (1 - q) / compression_;
    if (cur.weight + c.weight <= limit) {
      double w = cur.weight + c.weight;
      cur.mean += (c.mean - cur.mean) * c.weight / w;
      cur.weight = w;
    } else {
      before += cur.weight;
      centroids_.push_back(cur);
      cur = c;
    }
  }
  centroids_.push_back(cur);
  buffer_.clear();
  total_ = total;
  buffered_weight_ = 0;
}

double TDigest::quantile(double q) {
  compress();
  if (centroids_.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (centroids_.size() == 1) return centroids_[0].mean;
  q = std::clamp(q, 0.0, 1.0);
  double target = q * total_;
  const auto& c = centroids_;
  // Each centroid's mean sits at the middle of its weight; interpolate between neighbours,
  // and between the extreme centroids and the exact min/max.
  double first_center = c[0].weight / 2;
  if (target <= first_center) {
    if (c[0].weight <= 1) return c[0].mean;
    return min_ + (c[0].mean - min_) * (target / first_center);
  }
  double cum = 0;
  for (size_t i = 0; i + 1 < c.size(); ++i) {
    double center = cum + c[i].weight / 2;
    double next = cum + c[i].weight + c[i + 1].weight / 2;
    if (target < next) {
      double f = (target - center) / (next - center);
      return c[i].mean + (c[i + 1].mean - c[i].mean) * f;
    }
    cum += c[i].weight;
  }
  const Centroid& last = c.back();
  if (last.weight <= 1) return last.mean;
  double center = total_ - last.weight / 2;
  double f = (target - center) / (last.weight / 2);
  return last.mean + (max_ - last.mean) * std::min(f, 1.0);
}

void TDigest::save(std::string& out) {
  compress();
  put_f64(out, compression_);
  put_f64(out, min_);
  put_f64(out, max_);
  put_u64(out, centroids_.size());
  for (const auto& c : centroids_) put_f64(out, c.mean), put_f64(out, c.weight);
}

bool TDigest::load(std::string_view in, size_t& pos) {
  uint64_t n;
  if (!get_f64(in, pos, compression_) || !get_f64(in, pos, min_) || !get_f64(in, pos, max_) ||
      !get_u64(in, pos, n) || n > in.size())
    return false;
  centroids_.clear();
  buffer_.clear();
  total_ = buffered_weight_ = 0;
  for (uint64_t i = 0; i < n; ++i) {
    Centroid c;
    if (!get_f64(in, pos, c.mean) || !get_f64(in, pos, c.weight)) return false;
    centroids_.push_back(c);
    total_ += c.weight;
  }
  return true;
}

// ---- SpaceSaving

void SpaceSaving::add(std::string_view key, uint64_t n) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    items_[it->second].count += n;
    return;
  }
  if (items_.size() < capacity_) {
    index_.emplace(std::string(key), items_.size());
    items_.push_back({std::string(key), n, 0});
    return;
  }
  size_t min_i = 0;
  for (size_t i = 1; i < items_.size(); ++i)
    if (items_[i].count < items_[min_i].count) min_i = i;
  Item& victim = items_[min_i];
  index_.erase(victim.key);
  victim.error = victim.count;
  victim.count += n;
  victim.key.assign(key);
  index_.emplace(victim.key, min_i);
}

void SpaceSaving::merge(const SpaceSaving& o) {
  for (const auto& item : o.items_) add(item.key, item.count);
}

std::vector<SpaceSaving::Item> SpaceSaving::top(size_t k) const {
  std::vector<Item> out = items_;
  std::sort(out.begin(), out.end(), [](const Item& a, const Item& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  if (out.size() > k) out.resize(k);
  return out;
}

void SpaceSaving::save(std::string& out) const {
  put_u64(out, capacity_);
  put_u64(out, items_.size());
  for (const auto& i : items_) put_bytes(out, i.key), put_u64(out, i.count), put_u64(out, i.error);
}

bool SpaceSaving::load(std::string_view in, size_t& pos) {
  uint64_t cap, n;
  if (!get_u64(in, pos, cap) || !get_u64(in, pos, n) || n > cap) return false;
  capacity_ = cap;
  items_.clear();
  index_.clear();
  for (uint64_t i = 0; i < n; ++i) {
    Item it;
    if (!get_bytes(in, pos, it.key) || !get_u64(in, pos, it.count) || !get_u64(in, pos, it.error)) return false;
    index_.emplace(it.key, items_.size());
    items_.push_back(std::move(it));
  }
  return true;
}

}  // namespace sp::agg
