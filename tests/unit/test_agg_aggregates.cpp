// sp-agg's aggregate cells: updates, merges (session windows) and their state round trip.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "agg/aggregates.h"
#include "expr/program.h"

using sp::agg::AggSpec;
using sp::agg::Cell;
using sp::agg::Kind;
using sp::expr::Value;

namespace {

AggSpec spec(Kind k) {
  AggSpec s;
  s.kind = k;
  return s;
}

// The result's text lives in a buffer that stays valid until the next call.
Value feed(const AggSpec& s, Cell& c, const std::vector<Value>& values, int64_t t0 = 0) {
  static std::string buf;
  std::string scratch;
  int64_t t = t0;
  for (const auto& v : values) sp::agg::update(s, c, v, t++, scratch);
  return sp::agg::result(s, c, 10, buf);
}

}  // namespace

TEST_CASE("aggregates ignore nulls and values of the wrong type") {
  Cell c;
  auto v = feed(spec(Kind::Avg), c, {Value::of_number(1), Value::null(), Value::of_string("x"), Value::of_number(2)});
  CHECK(v.number == 1.5);
  Cell n;
  CHECK(feed(spec(Kind::Count), n, {Value::null(), Value::of_string("x")}).number == 1);
  Cell s;
  CHECK(feed(spec(Kind::Sum), s, {Value::null()}).is_null());
}

TEST_CASE("min and max take numbers or times") {
  Cell c;
  auto v = feed(spec(Kind::Max), c, {Value::of_time(5), Value::of_time(1'700'000'000'123'456'789), Value::of_time(7)});
  REQUIRE(v.type == sp::expr::Type::Time);
  CHECK(v.nanos == 1'700'000'000'123'456'789);
  Cell m;
  CHECK(feed(spec(Kind::Min), m, {Value::of_number(3), Value::of_number(-2), Value::of_number(8)}).number == -2);
}

TEST_CASE("Welford variance matches the two-pass formula, also after a merge") {
  std::vector<Value> xs;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) xs.push_back(Value::of_number(x));
  Cell whole;
  CHECK(std::abs(feed(spec(Kind::Variance), whole, xs).number - 32.0 / 7) < 1e-12);
  Cell a, b;
  feed(spec(Kind::Variance), a, {xs.begin(), xs.begin() + 3});
  feed(spec(Kind::Variance), b, {xs.begin() + 3, xs.end()});
  sp::agg::merge(spec(Kind::Variance), a, b);
  std::string buf;
  CHECK(std::abs(sp::agg::result(spec(Kind::Variance), a, 10, buf).number - 32.0 / 7) < 1e-12);
  Cell one;
  CHECK(feed(spec(Kind::Stddev), one, {Value::of_number(1)}).is_null());
}

TEST_CASE("first and last go by event time, ties by arrival") {
  std::string scratch, buf;
  Cell f, l;
  auto first = spec(Kind::First), last = spec(Kind::Last);
  for (auto [t, s] : std::vector<std::pair<int64_t, const char*>>{{5, "b"}, {3, "a"}, {9, "c"}, {9, "d"}, {3, "e"}}) {
    sp::agg::update(first, f, Value::of_string(s), t, scratch);
    sp::agg::update(last, l, Value::of_string(s), t, scratch);
  }
  CHECK(sp::agg::result(first, f, 0, buf).text == "a");
  CHECK(sp::agg::result(last, l, 0, buf).text == "d");
}

TEST_CASE("top_k, histogram and rate write what the man page says") {
  AggSpec top = spec(Kind::TopK);
  top.k = 2;
  Cell c;
  auto v = feed(top, c, {Value::of_string("a"), Value::of_number(1), Value::of_string("a"), Value::of_string("b")});
  CHECK(v.text == R"([{"value":"a","count":2},{"value":"b","count":1}])");  // ties: by JSON text
  AggSpec h = spec(Kind::Histogram);
  h.width = 10;
  Cell hc;
  CHECK(feed(h, hc, {Value::of_number(1), Value::of_number(15), Value::of_number(12)}).text ==
        R"([{"lo":0,"hi":10,"count":1},{"lo":10,"hi":20,"count":2}])");
  AggSpec hb = spec(Kind::Histogram);
  hb.bounds = {10, 50};
  Cell bc;
  CHECK(feed(hb, bc, {Value::of_number(10), Value::of_number(11), Value::of_number(99)}).text ==
        R"([{"lo":null,"hi":10,"count":1},{"lo":10,"hi":50,"count":1},{"lo":50,"hi":null,"count":1}])");
  Cell r;
  CHECK(feed(spec(Kind::RateStar), r, {Value::null(), Value::null()}).number == 0.2);  // 2 per 10 s
}

TEST_CASE("every kind of cell survives save and load") {
  for (Kind k : {Kind::CountStar, Kind::Sum, Kind::Avg, Kind::Min, Kind::Stddev, Kind::First, Kind::Distinct,
                 Kind::ApproxDistinct, Kind::Quantile, Kind::TopK, Kind::Histogram}) {
    AggSpec s = spec(k);
    s.q = 0.5;
    s.width = 5;
    Cell c;
    std::vector<Value> xs;
    for (int i = 0; i < 300; ++i) xs.push_back(Value::of_number(i % 37));
    Value before = feed(s, c, xs);
    std::string before_json, after_json, state, buf;
    sp::expr::append_json(before_json, before);
    sp::agg::save(s, c, state);
    Cell back;
    size_t pos = 0;
    REQUIRE(sp::agg::load(s, back, state, pos));
    CHECK(pos == state.size());
    sp::expr::append_json(after_json, sp::agg::result(s, back, 10, buf));
    CHECK(before_json == after_json);
  }
}

TEST_CASE("make_specs checks the arguments of aggregates") {
  sp::expr::Program p(sp::expr::CompileOptions{true, {}, sp::expr::is_builtin_aggregate});
  p.add_select("pct(x, 99.9), top_k(y, 3), histogram(z, \"1,2\"), count(*)");
  auto specs = sp::agg::make_specs(p);
  REQUIRE(specs.size() == 4);
  CHECK(specs[0].q == Approx(0.999));
  CHECK(specs[1].k == 3);
  CHECK(specs[2].bounds == std::vector<double>{1, 2});
  sp::expr::Program bad(sp::expr::CompileOptions{true, {}, sp::expr::is_builtin_aggregate});
  bad.add_select("top_k(y, 0)");
  CHECK_THROWS(sp::agg::make_specs(bad));
}
