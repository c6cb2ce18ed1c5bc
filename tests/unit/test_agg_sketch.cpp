// The sketches of sp-agg: HyperLogLog, t-digest, space-saving; and their state round trip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "agg/sketch.h"
#include "agg/window.h"

using sp::agg::HyperLogLog;
using sp::agg::SpaceSaving;
using sp::agg::TDigest;

TEST_CASE("HyperLogLog is exact for small sets and within 3% for large ones") {
  HyperLogLog h;
  for (int rep = 0; rep < 3; ++rep)
    for (int i = 0; i < 200; ++i) h.add("user" + std::to_string(i));
  CHECK(h.exact());
  CHECK(h.estimate() == 200);
  for (int n : {1000, 20000, 300000}) {
    HyperLogLog big;
    for (int i = 0; i < n; ++i) big.add("k" + std::to_string(i));
    CHECK_FALSE(big.exact());
    CHECK(std::abs(big.estimate() - n) <= 0.03 * n);
  }
}

TEST_CASE("HyperLogLog merges as the union, and survives save and load") {
  HyperLogLog a, b;
  for (int i = 0; i < 5000; ++i) a.add("x" + std::to_string(i));
  for (int i = 2500; i < 7500; ++i) b.add("x" + std::to_string(i));
  a.merge(b);
  CHECK(std::abs(a.estimate() - 7500) <= 0.03 * 7500);
  std::string state;
  a.save(state);
  HyperLogLog c;
  size_t pos = 0;
  REQUIRE(c.load(state, pos));
  CHECK(pos == state.size());
  CHECK(c.estimate() == a.estimate());
}

TEST_CASE("t-digest: exact on small inputs, rank error under 1% on large skewed ones") {
  TDigest small;
  for (double x : {5.0, 1.0, 3.0, 2.0, 4.0}) small.add(x);
  CHECK(small.quantile(0) == 1);
  CHECK(small.quantile(0.5) == 3);
  CHECK(small.quantile(1) == 5);

  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(2.0, 1.0);
  std::vector<double> xs;
  TDigest d;
  for (int i = 0; i < 200000; ++i) {
    double x = dist(rng);
    xs.push_back(x);
    d.add(x);
  }
  std::sort(xs.begin(), xs.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999}) {
    double v = d.quantile(q);
    double rank = static_cast<double>(std::lower_bound(xs.begin(), xs.end(), v) - xs.begin()) / xs.size();
    INFO("q=" << q << " value=" << v << " rank=" << rank);
    CHECK(std::abs(rank - q) <= 0.01);
  }
}

TEST_CASE("t-digest merges and round-trips its state") {
  TDigest a, b;
  for (int i = 0; i < 10000; ++i) (i % 2 ? a : b).add(i);
  a.merge(b);
  CHECK(a.count() == 10000);
  CHECK(std::abs(a.quantile(0.5) - 5000) <= 100);
  std::string state;
  a.save(state);
  TDigest c;
  size_t pos = 0;
  REQUIRE(c.load(state, pos));
  CHECK(c.quantile(0.9) == a.quantile(0.9));
}

TEST_CASE("space-saving finds the heavy hitters, exactly while it has room") {
  SpaceSaving exact(10);
  for (int i = 0; i < 5; ++i) exact.add("a");
  for (int i = 0; i < 3; ++i) exact.add("b");
  exact.add("c");
  auto top = exact.top(2);
  REQUIRE(top.size() == 2);
  CHECK(top[0].key == "a");
  CHECK(top[0].count == 5);
  CHECK(top[1].key == "b");

  SpaceSaving ss(50);
  for (int i = 0; i < 100000; ++i) {
    ss.add("hot" + std::to_string(i % 3));
    ss.add("cold" + std::to_string(i));
  }
  auto t3 = ss.top(3);
  REQUIRE(t3.size() == 3);
  for (const auto& item : t3) CHECK(item.key.rfind("hot", 0) == 0);
  std::string state;
  ss.save(state);
  SpaceSaving back(1);
  size_t pos = 0;
  REQUIRE(back.load(state, pos));
  CHECK(back.top(3)[0].count == t3[0].count);
}

TEST_CASE("window specs parse and align to the epoch") {
  using sp::agg::WindowKind;
  using sp::agg::WindowSpec;
  auto w = WindowSpec::parse("hopping:5m/1m");
  CHECK(w.kind == WindowKind::Hopping);
  CHECK(w.size == 300'000'000'000);
  CHECK(w.slide == 60'000'000'000);
  CHECK(w.last_start(61'000'000'000) == 60'000'000'000);
  CHECK(w.last_start(-1) == -60'000'000'000);
  CHECK(WindowSpec::parse("tumbling:1m").kind == WindowKind::Tumbling);
  CHECK(WindowSpec::parse("session:30s").size == 30'000'000'000);
  CHECK_THROWS(WindowSpec::parse("tumbling"));
  CHECK_THROWS(WindowSpec::parse("hopping:1m/5m"));
  CHECK_THROWS(WindowSpec::parse("weekly:1"));
}
