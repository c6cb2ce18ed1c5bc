// End-to-end acknowledgement positions (lib/ack) and what sp-agg forwards (lib/agg/positions).
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "ack/ack.h"
#include "agg/positions.h"

namespace {

std::vector<std::pair<std::string, uint64_t>> positions_in(std::string_view v) {
  std::vector<std::pair<std::string, uint64_t>> out;
  sp::ack::for_each_position(v, [&](std::string_view p, uint64_t o) { out.emplace_back(std::string(p), o); });
  return out;
}

}  // namespace

TEST_CASE("ack: a position is PARTITION@OFFSET", "[ack]") {
  std::string s;
  sp::ack::append_position(s, "k0/orders/5", 1234);
  CHECK(s == "k0/orders/5@1234");
  std::string_view p;
  uint64_t o = 0;
  REQUIRE(sp::ack::parse_position("f3@81920", p, o));
  CHECK(p == "f3");
  CHECK(o == 81920);
  for (const char* bad : {"", "f3", "@12", "f3@", "f3@12x", "f3@-1", "f3@99999999999999999999999"})
    CHECK_FALSE(sp::ack::parse_position(bad, p, o));
}

TEST_CASE("ack: a _sp value is a string or an array of strings; anything else is ignored", "[ack]") {
  using V = std::vector<std::pair<std::string, uint64_t>>;
  CHECK(positions_in("\"f1@10\"") == V{{"f1", 10}});
  CHECK(positions_in("[\"f1@10\",\"k0/t/2@7\"]") == V{{"f1", 10}, {"k0/t/2", 7}});
  CHECK(positions_in("42").empty());
  CHECK(positions_in("\"no position\"").empty());
  CHECK(positions_in("[\"f1@10\",\"unterminated").size() == 1);
}

TEST_CASE("agg positions: the oldest record held by an open window bounds what is safe", "[ack][agg]") {
  sp::agg::Positions pos;
  CHECK_FALSE(pos.active());
  pos.passed("\"f1@100\"");                 // filtered out: safe once those before it are
  pos.held("\"f1@200\"", 60);               // in windows closing at 60
  pos.held("\"f1@300\"", 120);              // closing at 120
  CHECK(pos.active());
  std::string out;
  REQUIRE(pos.safe(0, out));                // nothing closed: up to the start of the first held record
  CHECK(out == "[\"f1@100\"]");
  out.clear();
  REQUIRE(pos.safe(60, out));               // the first window emitted
  CHECK(out == "[\"f1@200\"]");
  out.clear();
  REQUIRE(pos.safe(INT64_MAX, out));        // everything
  CHECK(out == "[\"f1@300\"]");
}

TEST_CASE("agg positions: a partition whose first record is held has no safe position yet", "[ack][agg]") {
  sp::agg::Positions pos;
  pos.held("\"f1@50\"", 60);
  pos.held("\"k0/t/0@8\"", 60);
  std::string out;
  CHECK_FALSE(pos.safe(10, out));
  CHECK(out.empty());
  // A later-closing record at the front keeps the ones behind it (conservative).
  pos.held("\"f1@90\"", 200);
  pos.held("\"f1@95\"", 60);
  REQUIRE(pos.safe(60, out));
  CHECK(out == "[\"f1@50\",\"k0/t/0@8\"]");
}
