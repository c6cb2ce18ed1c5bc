#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "io/error.h"
#include "learn/features.h"
#include "learn/hash.h"
#include "learn/record_scan.h"

using namespace sp::learn;

namespace {

// A line with the padding simdjson needs after it.
struct Line {
  std::string buf;
  explicit Line(std::string_view s) : buf(s) { buf.append(simdjson::SIMDJSON_PADDING, ' '); }
  const char* data() const { return buf.data(); }
  size_t size() const { return buf.size() - simdjson::SIMDJSON_PADDING; }
};

bool scan(RecordScanner& s, std::string_view text) {
  Line l(text);
  static std::string keep;  // the scanner's views point into the parser, not the line
  keep = l.buf;
  return s.scan(keep.data(), l.size());
}

}  // namespace

TEST_CASE("murmur3 matches the reference values", "[learn][hash]") {
  CHECK(murmur3_32("", 0, 0) == 0u);
  CHECK(murmur3_32("", 0, 1) == 0x514E28B7u);
  CHECK(hash_text("hello", 0) == 0x248BFA47u);
  CHECK(hash_text("The quick brown fox jumps over the lazy dog", 0) == 0x2E4FF723u);
}

TEST_CASE("feature lists parse transforms, nested paths and interactions", "[learn][features]") {
  FeatureSpec spec = parse_features(" status, log( latency_ms ),cat(status), ua.browser, `odd, name`");
  REQUIRE(spec.features.size() == 5);
  CHECK(spec.features[0].name == "status");
  CHECK(spec.features[0].transform == Transform::kAuto);
  CHECK(spec.features[1].name == "log(latency_ms)");
  CHECK(spec.features[1].kind == Kind::kNumeric);
  CHECK(spec.features[2].name == "cat(status)");
  CHECK(spec.features[2].kind == Kind::kCategorical);
  CHECK(spec.features[3].path.segments().size() == 2);
  CHECK(spec.features[4].path.segments()[0].key == "odd, name");
  CHECK(spec.features[0].hash != spec.features[2].hash);

  add_interactions(spec, "cat(status):latency_ms, ua.browser:status");
  REQUIRE(spec.interactions.size() == 2);
  CHECK(spec.interaction_name(0) == "cat(status):log(latency_ms)");
  CHECK(spec.interaction_name(1) == "ua.browser:status");
  // "status" names the auto feature exactly, so it is not ambiguous with cat(status).
  CHECK(parse_features(spec.features_text()).features_text() == spec.features_text());
}

TEST_CASE("bad feature lists are usage errors pointing at the problem", "[learn][features]") {
  CHECK_THROWS_AS(parse_features(""), sp::UsageError);
  CHECK_THROWS_AS(parse_features("a,,b"), sp::UsageError);
  CHECK_THROWS_AS(parse_features("a, a"), sp::UsageError);
  CHECK_THROWS_AS(parse_features("sqrt(a)"), sp::UsageError);
  try {
    parse_features("a, b..c");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    CHECK(e.has_position);
    CHECK(e.column == 5);
  }
  FeatureSpec spec = parse_features("a, b");
  CHECK_THROWS_AS(add_interactions(spec, "a:c"), sp::UsageError);
  CHECK_THROWS_AS(add_interactions(spec, "a"), sp::UsageError);
  CHECK_THROWS_AS(add_interactions(spec, "a:b, a:b"), sp::UsageError);
}

TEST_CASE("the scanner fills slots in one pass, nested and indexed paths included", "[learn][scan]") {
  RecordScanner s;
  size_t a = s.add(sp::json::FieldPath::parse("a"));
  size_t b = s.add(sp::json::FieldPath::parse("ua.browser"));
  size_t t = s.add(sp::json::FieldPath::parse("tags"));
  size_t i = s.add(sp::json::FieldPath::parse("tags[1]"));
  size_t m = s.add(sp::json::FieldPath::parse("missing"));
  CHECK(s.add(sp::json::FieldPath::parse("a")) == a);

  REQUIRE(scan(s, R"({"a":12,"ua":{"os":"x","browser":"Fire\"fox"},"tags":["h2",3,true,null,[1]],"a":99})"));
  CHECK(s.slot(a).type == ValueType::kNumber);
  CHECK(s.slot(a).number == 12);  // the first of duplicate keys
  CHECK(s.slot(b).type == ValueType::kString);
  CHECK(s.slot(b).str == "Fire\"fox");
  CHECK(s.slot(t).type == ValueType::kArray);
  CHECK(s.slot(t).nested);
  CHECK(s.elements(s.slot(t)).size() == 4);
  CHECK(s.slot(i).type == ValueType::kNumber);
  CHECK(s.slot(m).type == ValueType::kMissing);
  char buf[32];
  CHECK(s.slot(a).text(buf) == "12");

  REQUIRE(scan(s, R"({"a":"x"})"));
  CHECK(s.slot(a).type == ValueType::kString);
  CHECK(s.slot(b).type == ValueType::kMissing);

  CHECK_FALSE(scan(s, "[1,2]"));
  CHECK(s.error() == "not a JSON object");
  CHECK_FALSE(scan(s, R"({"a":tru})"));
  CHECK_FALSE(s.error().empty());
}

TEST_CASE("the encoder standardizes numbers, hashes tokens and fixes auto kinds", "[learn][features]") {
  FeatureSpec spec = parse_features("x, c, cat(n), num(s), log(l), tags");
  add_interactions(spec, "x:c");
  RecordScanner s;
  FeatureEncoder enc(spec, s);
  std::vector<Feature> out;
  std::string err;

  // Values 1, 2, 3 of x: the third is standardized with the mean 1.5 and sd 0.5 of the first two.
  for (double v : {1.0, 2.0}) {
    REQUIRE(scan(s, "{\"x\":" + std::to_string(v) + R"(,"c":"a","n":200,"s":"2.5","l":9,"tags":["p","q"]})"));
    REQUIRE(enc.check(err));
    enc.encode(out, true);
  }
  REQUIRE(scan(s, R"({"x":3,"c":"a","n":200,"s":"2.5","l":9,"tags":["p","q"]})"));
  REQUIRE(enc.check(err));
  CHECK(enc.missing() == 0);
  CHECK(enc.numeric_value(4) == Approx(std::log1p(9.0)));
  enc.encode(out, true);
  // bias, x, c, cat(n), tags p and q, x*c (num(s) and log(l) have no spread yet: left out)
  REQUIRE(out.size() == 7);
  CHECK(out[0].hash == bias_hash());
  CHECK(out[1].value == Approx(3.0));  // (3 - 1.5) / 0.5
  CHECK(out[6].value == Approx(3.0));  // x * c(=1)
  CHECK(spec.features[0].kind == Kind::kNumeric);
  CHECK(spec.features[1].kind == Kind::kCategorical);

  // cat(200) and cat("200") are the same token.
  uint32_t tok = out[3].hash;
  REQUIRE(scan(s, R"({"x":3,"c":"a","n":"200"})"));
  REQUIRE(enc.check(err));
  CHECK(enc.missing() == 3);
  CHECK(enc.first_missing() == "num(s)");
  enc.encode(out, false);
  CHECK(out[3].hash == tok);

  // x was numeric: a string is now the wrong type; c was categorical: a number is.
  REQUIRE(scan(s, R"({"x":"3"})"));
  CHECK_FALSE(enc.check(err));
  CHECK(err.find("feature 'x' is a string") == 0);
  REQUIRE(scan(s, R"({"c":5})"));
  CHECK_FALSE(enc.check(err));
  REQUIRE(scan(s, R"({"s":"abc"})"));
  CHECK_FALSE(enc.check(err));
  CHECK(err == "feature 'num(s)' is a string that is not a number");
  REQUIRE(scan(s, R"({"tags":[[1]]})"));
  CHECK_FALSE(enc.check(err));
  REQUIRE(scan(s, R"({"c":{"k":1}})"));
  CHECK_FALSE(enc.check(err));
}

TEST_CASE("standardized values are clipped", "[learn][features]") {
  FeatureSpec spec = parse_features("x");
  RecordScanner s;
  FeatureEncoder enc(spec, s);
  std::vector<Feature> out;
  std::string err;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(scan(s, "{\"x\":" + std::to_string(i % 2) + "}"));
    REQUIRE(enc.check(err));
    enc.encode(out, true);
  }
  REQUIRE(scan(s, R"({"x":1e9})"));
  REQUIRE(enc.check(err));
  enc.encode(out, false);
  REQUIRE(out.size() == 2);
  CHECK(out[1].value == Approx(kClip));
}
