#include "learn/anomaly.h"

#include <algorithm>

#include "io/error.h"

namespace sp::learn {
namespace {

constexpr double kMaxScore = 1e6;
constexpr double kPadding = 0.15;  // hst: splits fall in the middle 70% of a node's range

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double uniform01(uint64_t& s) { return double(splitmix64(s) >> 11) * 0x1.0p-53; }

double cap(double s) { return std::isfinite(s) ? std::min(s, kMaxScore) : kMaxScore; }

// Mean and variance: Welford's for the first `warmup` values, then exponentially weighted.
struct Moments {
  double n = 0, mean = 0, var = 0, m2 = 0;
  double sd() const { return std::sqrt(var); }
  // Deviations of x in standard deviations (0 until there are two values).
  double z(double x) const {
    if (n < 2) return 0;
    double s = sd();
    if (s > 0) return (x - mean) / s;
    return x == mean ? 0 : (x > mean ? kMaxScore : -kMaxScore);
  }
  void add(double x, double alpha, double warmup, double clip) {
    if (n < warmup || n < 2) {
      n += 1;
      double d = x - mean;
      mean += d / n;
      m2 += d * (x - mean);
      var = m2 / n;
      return;
    }
    n += 1;
    double s = sd();
    if (clip > 0 && s > 0) x = std::clamp(x, mean - clip * s, mean + clip * s);
    double diff = x - mean, incr = alpha * diff;
    mean += incr;
    var = (1 - alpha) * (var + diff * incr);
  }
};

struct Window {
  std::vector<double> values;
  size_t pos = 0;
  void add(double x, size_t cap) {
    if (values.size() < cap) values.push_back(x);
    else values[pos] = x;
    pos = (pos + 1) % cap;
  }
};

}  // namespace

struct AnomalyDetector::Forest {
  int trees, height;
  size_t nodes;  // per tree: 2^(height+1) - 1, children of i at 2i+1 and 2i+2
  std::vector<uint32_t> feature;
  std::vector<float> split;

  Forest(int trees_, int height_, size_t dims, uint64_t seed)
      : trees(trees_), height(height_), nodes((size_t(1) << (height_ + 1)) - 1) {
    feature.resize(nodes * trees);
    split.resize(nodes * trees);
    uint64_t s = seed;
    std::vector<double> lo(dims, 0.0), hi(dims, 1.0);
    for (int t = 0; t < trees; ++t) build(t * nodes, 0, 0, lo, hi, s);
  }
  void build(size_t base, size_t node, int depth, std::vector<double>& lo, std::vector<double>& hi, uint64_t& s) {
    if (depth == height) return;
    size_t f = static_cast<size_t>(uniform01(s) * double(lo.size())) % lo.size();
    double a = lo[f], b = hi[f];
    double at = a + (b - a) * (kPadding + (1 - 2 * kPadding) * uniform01(s));
    feature[base + node] = static_cast<uint32_t>(f);
    split[base + node] = static_cast<float>(at);
    double keep = hi[f];
    hi[f] = at;
    build(base, 2 * node + 1, depth + 1, lo, hi, s);
    hi[f] = keep;
    keep = lo[f];
    lo[f] = at;
    build(base, 2 * node + 2, depth + 1, lo, hi, s);
    lo[f] = keep;
  }
};

struct AnomalyDetector::State {
  uint64_t seen = 0;
  std::vector<Moments> moments;  // ewma: per feature; hst: per feature, for scaling to [0,1]
  std::vector<Window> windows;   // mad
  std::vector<uint16_t> reference, latest;  // hst masses per node
  size_t in_window = 0;
  bool first_window = true;
  Moments log_mass;  // hst
};

AnomalyMethod parse_anomaly_method(const std::string& s) {
  if (s == "ewma") return AnomalyMethod::kEwma;
  if (s == "mad") return AnomalyMethod::kMad;
  if (s == "hst") return AnomalyMethod::kHst;
  throw UsageError("--method: unknown method '" + s + "' (use ewma, mad or hst)");
}

const char* anomaly_method_name(AnomalyMethod m) {
  switch (m) {
    case AnomalyMethod::kEwma: return "ewma";
    case AnomalyMethod::kMad: return "mad";
    case AnomalyMethod::kHst: return "hst";
  }
  return "?";
}

double default_threshold(AnomalyMethod m) {
  switch (m) {
    case AnomalyMethod::kEwma: return 4.0;
    case AnomalyMethod::kMad: return 3.5;
    case AnomalyMethod::kHst: return 3.0;
  }
  return 3.0;
}

size_t default_max_keys(AnomalyMethod m) { return m == AnomalyMethod::kHst ? 2000 : 100000; }

AnomalyDetector::AnomalyDetector(const AnomalyParams& params, size_t features)
    : params_(params), features_(features) {
  threshold_ = std::isnan(params_.threshold) ? default_threshold(params_.method) : params_.threshold;
  if (params_.window < 3) throw UsageError("--window: must be at least 3");
  if (params_.method == AnomalyMethod::kHst && params_.window > 65535)
    throw UsageError("--window: at most 65535 for --method hst");
  if (!(params_.alpha > 0 && params_.alpha <= 1)) throw UsageError("--alpha: must be in (0, 1]");
  if (params_.max_keys == 0) params_.max_keys = default_max_keys(params_.method);
  if (params_.method == AnomalyMethod::kHst) forest_ = std::make_unique<Forest>(params_.trees, params_.height, features, params_.seed);
  scratch_.reserve(params_.window);
  unit_.resize(features);
}

AnomalyDetector::~AnomalyDetector() = default;

AnomalyDetector::State& AnomalyDetector::state(std::string_view key, bool& found) {
  auto it = states_.find(key);
  if (it != states_.end()) {
    found = true;
    return *it->second;
  }
  found = states_.size() < params_.max_keys;
  static State overflow;
  if (!found) return overflow;
  auto st = std::make_unique<State>();
  st->moments.resize(features_);
  if (params_.method == AnomalyMethod::kMad) {
    st->windows.resize(features_);
    for (auto& w : st->windows) w.values.reserve(params_.window);
  }
  if (params_.method == AnomalyMethod::kHst) {
    st->reference.assign(forest_->nodes * forest_->trees, 0);
    st->latest.assign(forest_->nodes * forest_->trees, 0);
  }
  return *states_.emplace(std::string(key), std::move(st)).first->second;
}

AnomalyResult AnomalyDetector::observe(std::string_view key, std::span<const double> x) {
  AnomalyResult r;
  bool have = false;
  for (double v : x) have |= !std::isnan(v);
  if (!have) return r;
  bool found;
  State& st = state(key, found);
  if (!found) {
    ++over_limit_;
    return r;
  }
  const double warmup = static_cast<double>(std::max<size_t>(params_.warmup, 2));
  bool warm = double(st.seen) >= warmup;
  ++st.seen;
  r.scored = true;
  switch (params_.method) {
    case AnomalyMethod::kEwma: {
      double best = 0;
      for (size_t i = 0; i < features_; ++i) {
        if (std::isnan(x[i])) continue;
        Moments& m = st.moments[i];
        best = std::max(best, std::fabs(m.z(x[i])));
        m.add(x[i], params_.alpha, warmup, threshold_);
      }
      r.score = cap(best);
      r.anomaly = warm && r.score > threshold_;
      return r;
    }
    case AnomalyMethod::kMad: {
      double best = 0;
      bool any_warm = false;
      for (size_t i = 0; i < features_; ++i) {
        if (std::isnan(x[i])) continue;
        Window& w = st.windows[i];
        size_t n = w.values.size();
        if (n >= 2) {
          scratch_.assign(w.values.begin(), w.values.end());
          auto mid = scratch_.begin() + n / 2;
          std::nth_element(scratch_.begin(), mid, scratch_.end());
          double med = *mid;
          double mean_ad = 0;
          for (double& v : scratch_) {
            v = std::fabs(v - med);
            mean_ad += v;
          }
          mean_ad /= double(n);
          std::nth_element(scratch_.begin(), mid, scratch_.end());
          double mad = *mid, dev = std::fabs(x[i] - med), s;
          if (mad > 0) s = 0.6745 * dev / mad;
          else if (mean_ad > 0) s = dev / (1.253314 * mean_ad);  // more than half the values are equal
          else s = dev == 0 ? 0 : kMaxScore;
          best = std::max(best, s);
          any_warm |= double(n) >= warmup;
        }
        w.add(x[i], params_.window);
      }
      r.score = cap(best);
      r.anomaly = any_warm && r.score > threshold_;
      return r;
    }
    case AnomalyMethod::kHst: {
      const Forest& F = *forest_;
      for (size_t i = 0; i < features_; ++i) {
        Moments& m = st.moments[i];
        if (std::isnan(x[i])) {
          unit_[i] = 0.5f;
          continue;
        }
        unit_[i] = static_cast<float>(std::clamp(0.5 + m.z(x[i]) / 8.0, 0.0, 1.0));
        m.add(x[i], params_.alpha, warmup, 4.0);  // clipped: outliers must not move the scale
      }
      const double size_limit = 0.1 * double(params_.window);
      double log_mass = 0;  // summed over the trees: a geometric mean, so one tree cannot dominate
      for (int t = 0; t < F.trees; ++t) {
        size_t base = size_t(t) * F.nodes, node = 0;
        for (int depth = 0;; ++depth) {
          double rm = st.reference[base + node];
          st.latest[base + node]++;
          // The terminal node: the first whose reference mass is below the size limit, or a
          // leaf. Its mass, scaled by 2^depth, estimates the density around the point.
          if (depth == F.height || rm < size_limit) {
            log_mass += std::log2(1 + rm * double(uint64_t(1) << depth));
            // Keep counting the point down its path for the next window.
            for (int d = depth; d < F.height; ++d) {
              node = unit_[F.feature[base + node]] < F.split[base + node] ? 2 * node + 1 : 2 * node + 2;
              st.latest[base + node]++;
            }
            break;
          }
          node = unit_[F.feature[base + node]] < F.split[base + node] ? 2 * node + 1 : 2 * node + 2;
        }
      }
      if (++st.in_window >= params_.window) {
        std::swap(st.reference, st.latest);
        std::fill(st.latest.begin(), st.latest.end(), 0);
        st.in_window = 0;
        if (st.first_window) {
          st.first_window = false;
          return r;  // the reference was empty for this point
        }
      }
      if (st.first_window) return r;
      double lm = log_mass / F.trees;
      // Less mass than usual is anomalous: the score is the deficit in standard deviations.
      double z = -st.log_mass.z(lm);
      bool mass_warm = st.log_mass.n >= warmup;
      st.log_mass.add(lm, 1.0 / double(params_.window), warmup, threshold_);
      r.score = cap(std::max(0.0, z));
      r.anomaly = mass_warm && r.score > threshold_;
      return r;
    }
  }
  return r;
}

}  // namespace sp::learn
