#include <catch2/catch.hpp>

#include "io/error.h"
#include "json/path.h"

using sp::json::FieldPath;

TEST_CASE("field paths parse dotted, bracket, backtick and pointer forms", "[json][path]") {
  auto p = FieldPath::parse("a.b[0].`odd name`[\"x.y\"]");
  REQUIRE(p.segments().size() == 5);
  CHECK(p.segments()[0].key == "a");
  CHECK(p.segments()[2].index == 0);
  CHECK(p.segments()[2].index_only);
  CHECK(p.segments()[3].key == "odd name");
  CHECK(p.segments()[4].key == "x.y");

  auto q = FieldPath::parse("/a~1b/c~0d/3");
  REQUIRE(q.segments().size() == 3);
  CHECK(q.segments()[0].key == "a/b");
  CHECK(q.segments()[1].key == "c~d");
  CHECK(q.segments()[2].index == 3);
  CHECK_FALSE(q.segments()[2].index_only);
}

TEST_CASE("malformed field paths are usage errors with a column", "[json][path]") {
  for (const char* bad : {"", "a.", ".a", "a..b", "a[", "a[x]", "a[1", "`a", "/a~2"}) {
    INFO(bad);
    REQUIRE_THROWS_AS(FieldPath::parse(bad), sp::UsageError);
  }
  try {
    FieldPath::parse("a..b");
  } catch (const sp::UsageError& e) {
    CHECK(e.has_position);
    CHECK(e.column == 2);
  }
}

TEST_CASE("field paths resolve in On-Demand documents and DOM elements", "[json][path]") {
  simdjson::padded_string json(std::string(R"({"a":{"b":[10,{"c":"x"}]},"k.y":1,"0":"zero"})"));
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  REQUIRE(parser.iterate(json).get(doc) == simdjson::SUCCESS);
  int64_t n = 0;
  REQUIRE(FieldPath::parse("a.b[0]").find(doc).get_int64().get(n) == simdjson::SUCCESS);
  CHECK(n == 10);
  std::string_view s;
  REQUIRE(FieldPath::parse("/a/b/1/c").find(doc).get_string().get(s) == simdjson::SUCCESS);
  CHECK(s == "x");
  REQUIRE(FieldPath::parse("`k.y`").find(doc).get_int64().get(n) == simdjson::SUCCESS);
  CHECK(n == 1);
  REQUIRE(FieldPath::parse("0").find(doc).get_string().get(s) == simdjson::SUCCESS);
  CHECK(s == "zero");
  CHECK(FieldPath::parse("a.zz").find(doc).error() == simdjson::NO_SUCH_FIELD);
  CHECK(FieldPath::parse("a.b[5]").find(doc).error() == simdjson::NO_SUCH_FIELD);

  simdjson::dom::parser dp;
  simdjson::dom::element root = dp.parse(json);
  CHECK(int64_t(FieldPath::parse("a.b[0]").find(root).value()) == 10);
  CHECK(FieldPath::parse("a.b[9]").find(root).error() == simdjson::NO_SUCH_FIELD);
  CHECK(FieldPath::parse("a.b[1].c").leaf_name() == "c");
  CHECK(FieldPath::parse("a.b[1]").leaf_name() == "b_1");
}

TEST_CASE("member names with quotes and backslashes resolve through On-Demand as through the DOM",
          "[json][path]") {
  // Found by fuzzing: On-Demand compares a key with the raw (escaped) text of the record's
  // keys, and the path's unescaped name was given, so a["k\"x"] and a["b\\s"] were missing.
  std::string text = R"({"a":{"k\"x":1,"b\\s":2,"k":3}})";
  simdjson::padded_string json(text);
  simdjson::ondemand::parser parser;
  simdjson::dom::parser dp;
  simdjson::dom::element root = dp.parse(json);
  for (auto [path, want] : {std::pair<const char*, int64_t>{R"(a["k\"x"])", 1}, {R"(a["b\\s"])", 2},
                            {"a.k", 3}, {"/a/b\\s", 2}}) {
    INFO(path);
    simdjson::ondemand::document doc;
    REQUIRE(parser.iterate(json).get(doc) == simdjson::SUCCESS);
    int64_t n = 0;
    CHECK(FieldPath::parse(path).find(doc).get_int64().get(n) == simdjson::SUCCESS);
    CHECK(n == want);
    CHECK(int64_t(FieldPath::parse(path).find(root).value()) == want);
  }
}
