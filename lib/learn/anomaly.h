// Anomaly detection without labels, per key (--by), on numeric features.
//   ewma  exponentially weighted mean and variance (Welford for the first --warmup values);
//         score = |x - mean| / stddev, the number of standard deviations from the recent mean.
//         A value beyond the threshold enters the statistics clipped to mean +- threshold*sd,
//         so that a burst of anomalies does not teach the detector that they are normal.
//   mad   the median and the median absolute deviation (MAD) of the last --window values;
//         score = 0.6745 * |x - median| / MAD (Iglewicz and Hoaglin's modified z-score);
//         robust to the outliers it looks for.
//   hst   Half-Space Trees (Tan, Ting and Liu 2011, as in River): an ensemble of random
//         binary trees over the features (each standardized online and mapped to [0,1] as
//         0.5 + z/8). Each point descends each tree to its terminal node (the first whose mass
//         in the previous window of --window points is under a tenth of the window, or a leaf);
//         log2(1 + mass * 2^depth), averaged over the trees, measures how dense its region is.
//         score = how many standard deviations that log-mass lies below its usual value (EWMA
//         statistics), so thresholds read like the other methods'. Coarser than ewma and mad:
//         a point well outside the data and one at its edge can share a sparse cell.
// With several features, ewma and mad score each and report the largest; hst scores them jointly.
// A key's first --warmup values (hst: its first window) are scored but never flagged.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sp::learn {

enum class AnomalyMethod : uint8_t { kEwma, kMad, kHst };

AnomalyMethod parse_anomaly_method(const std::string& s);  // throws sp::UsageError
const char* anomaly_method_name(AnomalyMethod m);
double default_threshold(AnomalyMethod m);

struct AnomalyParams {
  AnomalyMethod method = AnomalyMethod::kEwma;
  double threshold = NAN;  // NaN: the method's default
  double alpha = 0.05;     // ewma: weight of the newest value
  size_t window = 250;     // mad: values kept; hst: points per window
  size_t warmup = 30;      // values per key before anything is flagged
  int trees = 25;          // hst
  int height = 8;          // hst
  uint64_t seed = 42;      // hst: the trees' random structure
  size_t max_keys = 0;      // 0: the method's default (default_max_keys)
};

// Keys tracked unless --max-keys says otherwise: 100000 (ewma, mad), 2000 for hst, whose
// state is about 50 KB per key (25 trees of 511 nodes, two windows of masses).
size_t default_max_keys(AnomalyMethod m);

struct AnomalyResult {
  bool scored = false;  // false: no feature value, or the key limit was reached
  double score = 0;     // capped at 1e6
  bool anomaly = false;
};

class AnomalyDetector {
 public:
  AnomalyDetector(const AnomalyParams& params, size_t features);
  ~AnomalyDetector();
  const AnomalyParams& params() const { return params_; }
  double threshold() const { return threshold_; }
  // Scores `x` (one value per feature; NaN when missing) against the key's history, then
  // learns from it.
  AnomalyResult observe(std::string_view key, std::span<const double> x);
  size_t keys() const { return states_.size(); }
  uint64_t keys_over_limit() const { return over_limit_; }

  struct State;
  struct Forest;

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  State& state(std::string_view key, bool& found);

  AnomalyParams params_;
  size_t features_;
  double threshold_;
  std::unique_ptr<Forest> forest_;  // hst: the trees' structure, shared by every key
  std::unordered_map<std::string, std::unique_ptr<State>, KeyHash, std::equal_to<>> states_;
  std::vector<double> scratch_;
  std::vector<float> unit_;
  uint64_t over_limit_ = 0;
};

}  // namespace sp::learn
