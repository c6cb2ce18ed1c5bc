#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "io/error.h"
#include "learn/anomaly.h"

using namespace sp::learn;

namespace {

// Feeds `n` normal values (mean `mu`) per key, then one spike; returns the spike's result.
AnomalyResult spike_after(AnomalyDetector& d, const char* key, int n, double mu, double spike, uint64_t seed = 3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> N(mu, 1.0);
  for (int i = 0; i < n; ++i) {
    double v = N(rng);
    AnomalyResult r = d.observe(key, std::span<const double>(&v, 1));
    REQUIRE(r.scored);
  }
  return d.observe(key, std::span<const double>(&spike, 1));
}

}  // namespace

TEST_CASE("ewma flags a spike after the warm-up, per key", "[learn][anomaly]") {
  AnomalyParams p;
  AnomalyDetector d(p, 1);
  CHECK(d.threshold() == 4.0);
  AnomalyResult r = spike_after(d, "a", 200, 10, 20);
  CHECK(r.anomaly);
  CHECK(r.score > 8);
  // The same value is normal for a key whose baseline is 20.
  r = spike_after(d, "b", 200, 20, 20);
  CHECK_FALSE(r.anomaly);
  CHECK(d.keys() == 2);
  // Within the warm-up nothing is flagged.
  r = spike_after(d, "c", 5, 10, 100);
  CHECK_FALSE(r.anomaly);
  CHECK(r.score > 4);
}

TEST_CASE("ewma: a burst of anomalies does not become the baseline at once", "[learn][anomaly]") {
  AnomalyParams p;
  AnomalyDetector d(p, 1);
  spike_after(d, "k", 300, 10, 10);
  int flagged = 0;
  for (int i = 0; i < 5; ++i) {
    double v = 30;
    flagged += d.observe("k", std::span<const double>(&v, 1)).anomaly;
  }
  CHECK(flagged == 5);
}

TEST_CASE("mad is robust to the outliers in its window", "[learn][anomaly]") {
  AnomalyParams p;
  p.method = AnomalyMethod::kMad;
  p.window = 100;
  AnomalyDetector d(p, 1);
  CHECK(d.threshold() == 3.5);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> N(50, 2);
  int flagged_normal = 0;
  for (int i = 0; i < 500; ++i) {
    double v = i % 10 == 0 ? 500 : N(rng);  // 10% outliers
    AnomalyResult r = d.observe("", std::span<const double>(&v, 1));
    if (i > 50 && v != 500) flagged_normal += r.anomaly;
    if (i > 50 && v == 500) CHECK(r.anomaly);
  }
  CHECK(flagged_normal < 10);
  // Constant values: the MAD is 0, the spread falls back to the mean absolute deviation.
  AnomalyDetector c(p, 1);
  for (int i = 0; i < 50; ++i) {
    double v = 7;
    c.observe("", std::span<const double>(&v, 1));
  }
  double v = 8;
  CHECK(c.observe("", std::span<const double>(&v, 1)).score >= 1e6);
}

TEST_CASE("half-space trees score a point far from a 2-d cluster above the cluster's points", "[learn][anomaly]") {
  AnomalyParams p;
  p.method = AnomalyMethod::kHst;
  p.window = 100;
  AnomalyDetector d(p, 2);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> N;
  std::vector<double> scores;
  int false_alarms = 0;
  for (int i = 0; i < 1500; ++i) {
    double x[2] = {N(rng), N(rng) * 0.5 + 3};
    AnomalyResult r = d.observe("", x);
    if (i >= 300) false_alarms += r.anomaly, scores.push_back(r.score);
  }
  CHECK(false_alarms < int(scores.size()) / 20);
  std::sort(scores.begin(), scores.end());
  double far[2] = {6, -3};
  AnomalyResult r = d.observe("", far);
  CHECK(r.score > scores[scores.size() * 95 / 100]);
  // Missing values (NaN) are neutral; all missing is not scored.
  double none[2] = {NAN, NAN};
  CHECK_FALSE(d.observe("", none).scored);
}

TEST_CASE("keys beyond --max-keys are not scored; bad parameters are usage errors", "[learn][anomaly]") {
  AnomalyParams p;
  p.max_keys = 2;
  AnomalyDetector d(p, 1);
  double v = 1;
  CHECK(d.observe("a", std::span<const double>(&v, 1)).scored);
  CHECK(d.observe("b", std::span<const double>(&v, 1)).scored);
  CHECK_FALSE(d.observe("c", std::span<const double>(&v, 1)).scored);
  CHECK(d.keys_over_limit() == 1);
  p.alpha = 0;
  CHECK_THROWS_AS(AnomalyDetector(p, 1), sp::UsageError);
  p.alpha = 0.1;
  p.window = 1;
  CHECK_THROWS_AS(AnomalyDetector(p, 1), sp::UsageError);
  CHECK_THROWS_AS(parse_anomaly_method("iforest"), sp::UsageError);
}
