// Expression language: time and duration text.
#include <catch2/catch.hpp>

#include "expr/time.h"

using namespace sp::expr;

namespace {
std::string rfc(int64_t ns) {
  std::string s;
  format_rfc3339_ms(s, ns);
  return s;
}
std::string dur(int64_t ns) {
  std::string s;
  format_duration(s, ns);
  return s;
}
}  // namespace

TEST_CASE("RFC 3339 parsing", "[expr]") {
  const int64_t base = 1795515462LL * kNanosPerSecond;  // 2026-11-24T10:17:42Z
  CHECK(parse_rfc3339("2026-11-24T10:17:42Z") == base);
  CHECK(parse_rfc3339("2026-11-24t10:17:42z") == base);
  CHECK(parse_rfc3339("2026-11-24 10:17:42") == base);  // no offset: UTC
  CHECK(parse_rfc3339("2026-11-24T12:17:42+02:00") == base);
  CHECK(parse_rfc3339("2026-11-24T05:17:42-0500") == base);
  CHECK(parse_rfc3339("2026-11-24T10:17:42.5Z") == base + 500'000'000);
  CHECK(parse_rfc3339("2026-11-24T10:17:42.123456789Z") == base + 123'456'789);
  CHECK(parse_rfc3339("2026-11-24T10:17:42.1234567891Z") == base + 123'456'789);
  CHECK(parse_rfc3339("2026-11-24") == 1795478400LL * kNanosPerSecond);
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("1969-12-31T23:59:59Z") == -kNanosPerSecond);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK(!parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK(!parse_rfc3339("2026-13-01T00:00:00Z"));
  CHECK(!parse_rfc3339("2026-11-24T24:00:00Z"));
  CHECK(!parse_rfc3339("2026-11-24T10:17Z"));
  CHECK(!parse_rfc3339("2026-11-24T10:17:42.Z"));
  CHECK(!parse_rfc3339("2026-11-24T10:17:42+25:00"));
  CHECK(!parse_rfc3339("2026-11-24T10:17:42Zjunk"));
  CHECK(!parse_rfc3339("26-11-24"));
  CHECK(!parse_rfc3339(""));
  CHECK(!parse_rfc3339("3000-01-01T00:00:00Z"));  // outside the int64 nanosecond range
}

TEST_CASE("epoch numbers", "[expr]") {
  CHECK(time_from_epoch_number(0) == 0);
  CHECK(time_from_epoch_number(1795515462) == 1795515462LL * kNanosPerSecond);
  CHECK(time_from_epoch_number(1795515462.25) == 1795515462LL * kNanosPerSecond + 250'000'000);
  CHECK(time_from_epoch_number(1795515462123.0) == 1795515462123LL * 1'000'000);
  CHECK(time_from_epoch_number(9000000000.0) == 9000000000LL * kNanosPerSecond);  // below 1e11: seconds
  CHECK(!time_from_epoch_number(99999999999.0));  // seconds, but past the year 2262
  CHECK(time_from_epoch_number(100000000000.0) == 100000000000LL * 1'000'000);       // from 1e11: ms
  CHECK(time_from_epoch_number(-1) == -kNanosPerSecond);
  CHECK(!time_from_epoch_number(1e300));
  CHECK(!time_from_epoch_number(std::nan("")));
}

TEST_CASE("time formatting", "[expr]") {
  CHECK(rfc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(rfc(1795515462123LL * 1'000'000 + 999) == "2026-11-24T10:17:42.123Z");
  CHECK(rfc(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(rfc(951782400LL * kNanosPerSecond) == "2000-02-29T00:00:00.000Z");
  std::string s;
  format_time(s, 0, "%Y-%j %a %p %I %e|%q");  // unknown directives are copied
  CHECK(s == "1970-001 Thu AM 12  1|%q");
  for (int64_t days = -800000; days <= 800000; days += 997) {
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    REQUIRE(days_from_civil(y, m, d) == days);
  }
}

TEST_CASE("strptime-like parsing", "[expr]") {
  CHECK(parse_time_format("24/Nov/2026:10:17:42 +0000", "%d/%b/%Y:%H:%M:%S %z") == 1795515462LL * kNanosPerSecond);
  CHECK(parse_time_format("November 24 2026", "%B %d %Y") == 1795478400LL * kNanosPerSecond);
  CHECK(parse_time_format("nov 24 2026", "%b %e %Y") == 1795478400LL * kNanosPerSecond);
  CHECK(parse_time_format("12:00:00 AM", "%I:%M:%S %p") == 0);
  CHECK(parse_time_format("12:00:00 PM", "%I:%M:%S %p") == 12 * 3600 * kNanosPerSecond);
  CHECK(parse_time_format("2026-11-24T10:17:42.5Z", "%Y-%m-%dT%H:%M:%S.%f%z").has_value());
  CHECK(parse_time_format("100%", "100%%") == 0);
  CHECK(!parse_time_format("2026-11-24", "%Y-%m"));
  CHECK(!parse_time_format("13:00 PM", "%I:%M %p"));
  CHECK(check_time_format("%Y-%m-%d", true).empty());
  CHECK(check_time_format("%L", true) == "unknown directive '%L' in time format");
  CHECK(check_time_format("%L", false).empty());
  CHECK(check_time_format("abc%", false) == "time format ends with a lone '%'");
}

TEST_CASE("durations", "[expr]") {
  CHECK(parse_duration("5m") == 300 * kNanosPerSecond);
  CHECK(parse_duration("1h30m") == 5400 * kNanosPerSecond);
  CHECK(parse_duration("250ms") == 250'000'000);
  CHECK(parse_duration("1.5s") == 1'500'000'000);
  CHECK(parse_duration("1d") == 86400 * kNanosPerSecond);
  CHECK(parse_duration("10us") == 10'000);
  CHECK(parse_duration("10\xC2\xB5s") == 10'000);
  CHECK(parse_duration("7ns") == 7);
  CHECK(parse_duration("0.1ns") == 0);
  size_t bad = 99;
  CHECK(!parse_duration("5x", &bad));
  CHECK(bad == 1);
  CHECK(!parse_duration("5", &bad));
  CHECK(!parse_duration("m", &bad));
  CHECK(!parse_duration("999999999999d", &bad));
  CHECK(dur(0) == "0s");
  CHECK(dur(5400 * kNanosPerSecond) == "1h30m");
  CHECK(dur(3600 * kNanosPerSecond + 500'000'000) == "1h0.5s");
  CHECK(dur(90061 * kNanosPerSecond) == "1d1h1m1s");
  CHECK(dur(250'000'000) == "250ms");
  CHECK(dur(1'500'000) == "1.5ms");
  CHECK(dur(1'500) == "1.5us");
  CHECK(dur(7) == "7ns");
  CHECK(dur(-300 * kNanosPerSecond) == "-5m");
  CHECK(dur(INT64_MIN).starts_with("-106751d"));
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1'234'567}, int64_t{61'000'000'001}, int64_t{86'400'000'000'000}}) {
    INFO(ns);
    CHECK(parse_duration(dur(ns)) == ns);
  }
}
