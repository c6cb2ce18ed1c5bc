#include <catch2/catch.hpp>

#include <string>

#include "json/flatten.h"

using sp::json::flatten;

namespace {
std::string flat(std::string_view in, std::string_view sep = ".") {
  std::string out;
  return flatten(in, sep, out) ? out : "(unchanged)";
}
}  // namespace

TEST_CASE("flatten joins nested member names; values keep their text", "[json][flatten]") {
  CHECK(flat(R"({"a":{"b":1.50,"c":{"d":"x"}},"e":[{"f":1}]})") == R"({"a.b":1.50,"a.c.d":"x","e":[{"f":1}]})");
  CHECK(flat(R"({ "a" : { "b" : true } , "z" : null })", "_") == R"({"a_b":true,"z":null})");
  CHECK(flat(R"({"a\"q":{"b\u00e9":2}})") == R"({"a\"q.bé":2})");
}

TEST_CASE("flatten leaves flat records, non-objects, empty objects and _sp alone", "[json][flatten]") {
  CHECK(flat(R"({"a":1,"b":{},"c":[1]})") == "(unchanged)");
  CHECK(flat("[1,2]") == "(unchanged)");
  CHECK(flat("nope") == "(unchanged)");
  CHECK(flat(R"({"_sp":{"o":1}})") == "(unchanged)");
  CHECK(flat(R"({"_sp":{"o":1},"x":{"y":2}})") == R"({"_sp":{"o":1},"x.y":2})");
}

TEST_CASE("flatten stops at 64 levels", "[json][flatten]") {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  std::string out;
  REQUIRE(flatten(deep, ".", out));
  std::string key;
  for (int i = 0; i < 65; ++i) key += i ? ".a" : "a";
  CHECK(out.rfind("{\"" + key + "\":{\"a\":", 0) == 0);
}
