// lib/enrich: the IP range table, the LRU cache, lookup-table parsing.
#include <catch2/catch.hpp>

#include "enrich/lru.h"
#include "enrich/ranges.h"
#include "enrich/row.h"
#include "enrich/table.h"

using namespace sp::enrich;

namespace {

IpAddress ip(const char* text) {
  IpAddress a = 0;
  REQUIRE(parse_ip(text, a));
  return a;
}

void add(RangeTable& t, const char* range, uint32_t value) {
  IpAddress first, last;
  std::string error;
  REQUIRE(parse_ip_range(range, first, last, error));
  t.add(first, last, value);
}

}  // namespace

TEST_CASE("parse_ip: IPv4 lives in the IPv4-mapped IPv6 space", "[enrich]") {
  CHECK(ip("10.0.0.1") == ip("::ffff:10.0.0.1"));
  CHECK(format_ip(ip("10.0.0.1")) == "10.0.0.1");
  CHECK(format_ip(ip("2001:db8::1")) == "2001:db8::1");
  IpAddress a;
  CHECK_FALSE(parse_ip("10.0.0", a));
  CHECK_FALSE(parse_ip("10.0.0.256", a));
  CHECK_FALSE(parse_ip("", a));
  CHECK_FALSE(parse_ip("2001:db8::1::2", a));
  CHECK_FALSE(parse_ip(std::string(100, '1'), a));
}

TEST_CASE("parse_ip_range: CIDR, single address, start-end, and errors", "[enrich]") {
  IpAddress first, last;
  std::string error;
  REQUIRE(parse_ip_range("10.0.0.0/8", first, last, error));
  CHECK(format_ip(first) == "10.0.0.0");
  CHECK(format_ip(last) == "10.255.255.255");
  REQUIRE(parse_ip_range("10.1.2.3/16", first, last, error));  // host bits are ignored
  CHECK(format_ip(first) == "10.1.0.0");
  REQUIRE(parse_ip_range("1.2.3.4/32", first, last, error));
  CHECK(first == last);
  REQUIRE(parse_ip_range("0.0.0.0/0", first, last, error));
  CHECK(format_ip(first) == "0.0.0.0");
  CHECK(format_ip(last) == "255.255.255.255");
  REQUIRE(parse_ip_range("2001:db8::/32", first, last, error));
  CHECK(format_ip(last) == "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  REQUIRE(parse_ip_range("::/0", first, last, error));
  CHECK(first == 0);
  CHECK(last == ~IpAddress(0));
  REQUIRE(parse_ip_range(" 1.0.0.0 - 1.0.0.255 ", first, last, error));
  CHECK(format_ip(last) == "1.0.0.255");
  REQUIRE(parse_ip_range("7.7.7.7", first, last, error));
  CHECK(first == last);
  CHECK_FALSE(parse_ip_range("10.0.0.0/33", first, last, error));
  CHECK_THAT(error, Catch::Contains("prefix length"));
  CHECK_FALSE(parse_ip_range("1.0.0.9-1.0.0.1", first, last, error));
  CHECK_THAT(error, Catch::Contains("ends before it starts"));
  CHECK_FALSE(parse_ip_range("nope", first, last, error));
  CHECK_FALSE(parse_ip_range("10.0.0.0/x", first, last, error));
}

TEST_CASE("RangeTable: binary search over disjoint ranges, IPv4 and IPv6", "[enrich]") {
  RangeTable t;
  add(t, "10.0.0.0/8", 1);
  add(t, "192.168.0.0/16", 2);
  add(t, "2001:db8::/32", 3);
  add(t, "1.0.0.0-1.0.0.255", 4);
  t.build();
  CHECK(t.find(ip("10.0.0.0")) == 1);
  CHECK(t.find(ip("10.255.255.255")) == 1);
  CHECK(t.find(ip("11.0.0.0")) == RangeTable::kNone);
  CHECK(t.find(ip("9.255.255.255")) == RangeTable::kNone);
  CHECK(t.find(ip("192.168.7.7")) == 2);
  CHECK(t.find(ip("2001:db8:1::5")) == 3);
  CHECK(t.find(ip("2001:db9::")) == RangeTable::kNone);
  CHECK(t.find(ip("1.0.0.128")) == 4);
  CHECK(t.find(ip("0.0.0.0")) == RangeTable::kNone);
  CHECK(t.find(ip("::")) == RangeTable::kNone);
  CHECK(t.ranges() == 4);
}

TEST_CASE("RangeTable: the narrowest of nested ranges wins, whatever the order they were added in", "[enrich]") {
  for (int order = 0; order < 2; ++order) {
    RangeTable t;
    if (order == 0) {
      add(t, "10.0.0.0/8", 1);
      add(t, "10.1.0.0/16", 2);
      add(t, "10.1.2.0/24", 3);
    } else {
      add(t, "10.1.2.0/24", 3);
      add(t, "10.1.0.0/16", 2);
      add(t, "10.0.0.0/8", 1);
    }
    t.build();
    CHECK(t.find(ip("10.0.0.1")) == 1);
    CHECK(t.find(ip("10.1.0.1")) == 2);
    CHECK(t.find(ip("10.1.2.3")) == 3);
    CHECK(t.find(ip("10.1.3.0")) == 2);
    CHECK(t.find(ip("10.2.0.0")) == 1);
    CHECK(t.find(ip("10.255.255.255")) == 1);
    CHECK(t.segments() == 5);
  }
}

TEST_CASE("RangeTable: partial overlaps go to the later start; the whole space and its ends", "[enrich]") {
  RangeTable t;
  add(t, "1.0.0.0-1.0.0.10", 1);
  add(t, "1.0.0.5-1.0.0.20", 2);
  add(t, "::/0", 9);
  add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", 7);
  t.build();
  CHECK(t.find(ip("1.0.0.4")) == 1);
  CHECK(t.find(ip("1.0.0.5")) == 2);
  CHECK(t.find(ip("1.0.0.10")) == 2);
  CHECK(t.find(ip("1.0.0.20")) == 2);
  CHECK(t.find(ip("1.0.0.21")) == 9);
  CHECK(t.find(ip("::")) == 9);
  CHECK(t.find(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffef")) == 9);
  CHECK(t.find(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) == 7);
}

TEST_CASE("RangeTable: empty, and many ranges against a linear scan", "[enrich]") {
  RangeTable empty;
  empty.build();
  CHECK(empty.find(ip("1.2.3.4")) == RangeTable::kNone);

  RangeTable t;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  uint32_t x = 12345;
  auto next = [&] { return x = x * 1103515245u + 12345u; };
  for (uint32_t i = 0; i < 300; ++i) {
    uint32_t a = next() % 100000, len = next() % 5000;
    spans.emplace_back(a, a + len);
    t.add(IpAddress(a), IpAddress(a + len), i);
  }
  t.build();
  for (uint32_t probe = 0; probe < 110000; probe += 7) {
    // Reference: among the ranges holding the address, the narrowest of those that nest... here
    // only whether some range holds it is compared, and that the answer holds it.
    bool held = false;
    for (auto& s : spans) held = held || (probe >= s.first && probe <= s.second);
    uint32_t got = t.find(IpAddress(probe));
    CHECK(held == (got != RangeTable::kNone));
    if (got != RangeTable::kNone) {
      CHECK(probe >= spans[got].first);
      CHECK(probe <= spans[got].second);
    }
  }
}

TEST_CASE("LruCache: hits, least recently used eviction, replacement", "[enrich]") {
  LruCache<int> c(2, 0);
  CHECK(c.get("a", 0) == nullptr);
  c.put("a", 1, 0);
  c.put("b", 2, 0);
  REQUIRE(c.get("a", 0) != nullptr);  // a is now the most recent
  CHECK(*c.get("a", 0) == 1);
  c.put("c", 3, 0);  // evicts b
  CHECK(c.get("b", 0) == nullptr);
  CHECK(*c.get("a", 0) == 1);
  CHECK(*c.get("c", 0) == 3);
  CHECK(c.size() == 2);
  CHECK(c.evictions() == 1);
  c.put("a", 10, 0);  // replaces, no eviction
  CHECK(*c.get("a", 0) == 10);
  CHECK(c.size() == 2);
  CHECK(c.evictions() == 1);
  c.clear();
  CHECK(c.size() == 0);
  CHECK(c.get("a", 0) == nullptr);
}

TEST_CASE("LruCache: entries expire after the TTL; capacity 0 caches nothing", "[enrich]") {
  LruCache<std::string> c(10, 5.0);
  c.put("k", "v", 100.0);
  REQUIRE(c.get("k", 104.9) != nullptr);
  CHECK(c.get("k", 105.0) == nullptr);  // expired and dropped
  CHECK(c.size() == 0);
  c.put("k", "w", 200.0);
  CHECK(*c.get("k", 201.0) == "w");
  LruCache<int> none(0, 0);
  CHECK(none.put("x", 1, 0) == nullptr);
  CHECK(none.get("x", 0) == nullptr);
}

TEST_CASE("LruCache: keys stay valid across many evictions", "[enrich]") {
  LruCache<int> c(100, 0);
  for (int i = 0; i < 10000; ++i) c.put("key-" + std::to_string(i), i, 0);
  CHECK(c.size() == 100);
  for (int i = 9900; i < 10000; ++i) {
    auto* v = c.get("key-" + std::to_string(i), 0);
    REQUIRE(v != nullptr);
    CHECK(*v == i);
  }
  CHECK(c.get("key-9899", 0) == nullptr);
}

TEST_CASE("CSV parsing: quotes, doubled quotes, line breaks in quotes, CRLF, a last line without newline", "[enrich]") {
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  parse_delimited("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\n\"two\nlines\",\nlast,", ',', true, rows, lines);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"a", "b"});
  CHECK(rows[1] == std::vector<std::string>{"x,1", "say \"hi\""});
  CHECK(rows[2] == std::vector<std::string>{"two\nlines", ""});
  CHECK(rows[3] == std::vector<std::string>{"last", ""});
  CHECK(lines == std::vector<uint64_t>{1, 2, 3, 5});
  CHECK_THROWS_WITH(parse_delimited("a\n\"open", ',', true, rows, lines), Catch::Contains("line 2"));
  parse_delimited("a\tb\n\"q\"\t2\n", '\t', false, rows, lines);
  CHECK(rows[1] == std::vector<std::string>{"\"q\"", "2"});
}

TEST_CASE("JSON numbers and the rows built from values", "[enrich]") {
  CHECK(is_json_number("0"));
  CHECK(is_json_number("-12.5e+3"));
  CHECK_FALSE(is_json_number("01234"));
  CHECK_FALSE(is_json_number("1."));
  CHECK_FALSE(is_json_number("+1"));
  CHECK_FALSE(is_json_number(""));
  CHECK_FALSE(is_json_number("0x10"));
  RowBuilder plain(RowFormat{{}, "u_", ""});
  Row r = plain.build({"plan", "n"}, {"\"free\"", "3"});
  CHECK(r.members == R"("u_plan":"free","u_n":3)");
  CHECK(r.shape->names == std::vector<std::string>{"u_plan", "u_n"});
  Row r2 = plain.build({"plan", "n"}, {"\"pro\"", "4"});
  CHECK(r2.shape == r.shape);  // shared
  RowBuilder nested(RowFormat{{}, "", "user"});
  Row o = nested.build({"plan"}, {"\"free\""});
  CHECK(o.members == R"("user":{"plan":"free"})");
}
