#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "json/path.h"
#include "json/splice.h"

using sp::json::FieldPath;
using sp::json::Splicer;

namespace {

FieldPath P(const char* text) { return FieldPath::parse(text); }

// Applies `s` to `record`, requires success and a result that simdjson accepts.
std::string spliced(const Splicer& s, std::string_view record) {
  std::string out;
  REQUIRE(s.apply(record, out));
  simdjson::dom::parser parser;
  INFO("result: " << out);
  REQUIRE(parser.parse(out).error() == simdjson::SUCCESS);
  return out;
}

}  // namespace

TEST_CASE("splicer sets new and existing top-level fields", "[json][splice]") {
  Splicer s;
  CHECK(s.empty());
  s.set("b", "2");
  CHECK_FALSE(s.empty());
  CHECK(spliced(s, "{\"a\":1}") == "{\"a\":1,\"b\":2}");
  CHECK(spliced(s, "{\"a\": 1, \"b\" : \"old\"}") == "{\"a\": 1, \"b\" : 2}");
  CHECK(spliced(s, "{\"b\":{\"deep\":[1,2]},\"c\":3}") == "{\"b\":2,\"c\":3}");

  s.clear();
  CHECK(s.empty());
  s.set(P("new"), "{\"x\":[true,null]}");
  s.set("str", "\"v\"");
  CHECK(spliced(s, "{\"a\":1}") == "{\"a\":1,\"new\":{\"x\":[true,null]},\"str\":\"v\"}");
}

TEST_CASE("splicer edits of an empty object", "[json][splice]") {
  Splicer s;
  s.set("a", "1");
  CHECK(spliced(s, "{}") == "{\"a\":1}");
  CHECK(spliced(s, "{ }") == "{\"a\":1 }");
  Splicer r;
  r.remove(P("a"));
  CHECK(spliced(r, "{}") == "{}");
  Splicer none;
  CHECK(spliced(none, "{ \"a\" : 1 }") == "{ \"a\" : 1 }");
}

TEST_CASE("splicer removes the first, middle, last and only member", "[json][splice]") {
  const std::string rec = "{\"a\":1, \"b\":[2], \"c\":{\"d\":3}}";
  auto removed = [&](const char* path) {
    Splicer s;
    s.remove(P(path));
    return spliced(s, rec);
  };
  CHECK(removed("a") == "{\"b\":[2], \"c\":{\"d\":3}}");
  CHECK(removed("b") == "{\"a\":1, \"c\":{\"d\":3}}");
  CHECK(removed("c") == "{\"a\":1, \"b\":[2]}");
  CHECK(removed("zz") == rec);  // nothing to remove
  CHECK(removed("c.d") == "{\"a\":1, \"b\":[2], \"c\":{}}");

  Splicer only;
  only.remove(P("only"));
  CHECK(spliced(only, "{\"only\":1}") == "{}");
  CHECK(spliced(only, "{ \"only\" : 1 }") == "{  }");

  Splicer all;
  all.remove(P("a"));
  all.remove(P("b"));
  all.remove(P("c"));
  CHECK(spliced(all, rec) == "{}");

  Splicer two;
  two.remove(P("a"));
  two.remove(P("c"));
  CHECK(spliced(two, rec) == "{\"b\":[2]}");
}

TEST_CASE("splicer renames fields and keeps their values", "[json][splice]") {
  Splicer s;
  s.rename(P("a"), "z");
  CHECK(spliced(s, "{\"a\" : [1, 2], \"b\":2}") == "{\"z\" : [1, 2], \"b\":2}");
  CHECK(spliced(s, "{\"b\":2}") == "{\"b\":2}");  // nothing to rename

  Splicer q;
  q.rename(P("a.b"), "q\"uote");
  CHECK(spliced(q, "{\"a\":{\"b\":1}}") == "{\"a\":{\"q\\\"uote\":1}}");
}

TEST_CASE("splicer edits nested fields and creates missing objects", "[json][splice]") {
  Splicer s;
  s.set(P("a.b"), "2");
  CHECK(spliced(s, "{\"a\":{\"b\":1,\"c\":0}}") == "{\"a\":{\"b\":2,\"c\":0}}");
  CHECK(spliced(s, "{\"a\":{\"c\":0}}") == "{\"a\":{\"c\":0,\"b\":2}}");
  CHECK(spliced(s, "{\"x\":1}") == "{\"x\":1,\"a\":{\"b\":2}}");
  CHECK(spliced(s, "{\"a\":5}") == "{\"a\":{\"b\":2}}");  // a scalar in the way becomes an object

  Splicer deep;
  deep.set(P("a.b.c"), "true");
  CHECK(spliced(deep, "{}") == "{\"a\":{\"b\":{\"c\":true}}}");
  CHECK(spliced(deep, "{\"a\":{\"x\":[]}}") == "{\"a\":{\"x\":[],\"b\":{\"c\":true}}}");

  // Several sets under one new name build one object, in the order given.
  Splicer group;
  group.set(P("m.x"), "1");
  group.set(P("top"), "0");
  group.set(P("m.y"), "2");
  group.set(P("/m/z/w"), "3");
  CHECK(spliced(group, "{\"k\":1}") == "{\"k\":1,\"m\":{\"x\":1,\"y\":2,\"z\":{\"w\":3}},\"top\":0}");

  Splicer rm;
  rm.remove(P("a.b"));
  rm.rename(P("a.c"), "cc");
  CHECK(spliced(rm, "{\"a\":{\"b\":1,\"c\":2,\"d\":3}}") == "{\"a\":{\"cc\":2,\"d\":3}}");
}

TEST_CASE("splicer edits array elements", "[json][splice]") {
  Splicer s;
  s.set(P("arr[1]"), "20");
  CHECK(spliced(s, "{\"arr\":[1,2,3]}") == "{\"arr\":[1,20,3]}");

  Splicer r;
  r.remove(P("arr[0]"));
  CHECK(spliced(r, "{\"arr\":[1,2,3]}") == "{\"arr\":[2,3]}");
  Splicer r2;
  r2.remove(P("arr[2]"));
  CHECK(spliced(r2, "{\"arr\":[1,2,3]}") == "{\"arr\":[1,2]}");
  CHECK(spliced(r2, "{\"arr\":[1]}") == "{\"arr\":[1]}");  // no such element

  Splicer n;
  n.set(P("arr[1].x"), "9");
  n.set(P("/arr/0/y"), "\"new\"");
  CHECK(spliced(n, "{\"arr\":[{\"x\":1},{\"x\":2}]}") == "{\"arr\":[{\"x\":1,\"y\":\"new\"},{\"x\":9}]}");

  Splicer m;
  m.set(P("grid[1][0]"), "\"b\"");
  CHECK(spliced(m, "{\"grid\":[[\"a\"],[\"x\",\"y\"]]}") == "{\"grid\":[[\"a\"],[\"b\",\"y\"]]}");
}

TEST_CASE("splicer keeps the bytes of untouched parts, arrays included", "[json][splice]") {
  const std::string rec =
      "  { \"keep\" : [ 1 , 2 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 1 , \"y\" : [ 3 ,4 ] } }  ";
  Splicer top;
  top.set("edit", "\"E\"");
  CHECK(spliced(top, rec) ==
        "  { \"keep\" : [ 1 , 2 ] ,\t\"edit\" : \"E\" , \"n\" : { \"x\" : 1 , \"y\" : [ 3 ,4 ] } }  ");
  Splicer nested;
  nested.set(P("n.x"), "2");
  CHECK(spliced(nested, rec) ==
        "  { \"keep\" : [ 1 , 2 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 2 , \"y\" : [ 3 ,4 ] } }  ");
  Splicer in_array;
  in_array.set(P("keep[1]"), "22");
  CHECK(spliced(in_array, rec) ==
        "  { \"keep\" : [ 1 , 22 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 1 , \"y\" : [ 3 ,4 ] } }  ");
  Splicer rm_first;
  rm_first.remove(P("n.y[0]"));
  CHECK(spliced(rm_first, rec) ==
        "  { \"keep\" : [ 1 , 2 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 1 , \"y\" : [ 4 ] } }  ");
  Splicer rm_last;
  rm_last.remove(P("keep[1]"));
  CHECK(spliced(rm_last, rec) ==
        "  { \"keep\" : [ 1 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 1 , \"y\" : [ 3 ,4 ] } }  ");
  Splicer added;
  added.set("z", "0");
  CHECK(spliced(added, rec) ==
        "  { \"keep\" : [ 1 , 2 ] ,\t\"edit\" : 1 , \"n\" : { \"x\" : 1 , \"y\" : [ 3 ,4 ] },\"z\":0 }  ");
}

TEST_CASE("splicer matches keys written with escapes", "[json][splice]") {
  const std::string rec = "{\"a\\\"b\":1,\"\\u0063\":2,\"x\\/y\":3,\"\\ud83d\\ude00\":4}";
  Splicer s;
  s.set("a\"b", "10");
  s.set(P("c"), "20");
  s.remove(P("`x/y`"));
  s.set("\xF0\x9F\x98\x80", "40");
  CHECK(spliced(s, rec) == "{\"a\\\"b\":10,\"\\u0063\":20,\"\\ud83d\\ude00\":40}");

  // A new key that needs escaping is written escaped.
  Splicer n;
  n.set("new\nline\"", "1");
  std::string out = spliced(n, "{}");
  CHECK(out == "{\"new\\nline\\\"\":1}");
}

TEST_CASE("splicer handles strings that look like structure", "[json][splice]") {
  Splicer s;
  s.set("t", "2");
  CHECK(spliced(s, "{\"s\":\"}{,:[]\\\"\\\\\",\"t\":1}") == "{\"s\":\"}{,:[]\\\"\\\\\",\"t\":2}");
  CHECK(spliced(s, "{\"k,\":\"v}\"}") == "{\"k,\":\"v}\",\"t\":2}");
}

TEST_CASE("splicer applies edits of one path in order: the last wins", "[json][splice]") {
  Splicer s;
  s.set("a", "1");
  s.remove(P("a"));
  CHECK(spliced(s, "{\"a\":0,\"b\":0}") == "{\"b\":0}");
  Splicer t;
  t.remove(P("a"));
  t.set("a", "1");
  CHECK(spliced(t, "{\"a\":0,\"b\":0}") == "{\"a\":1,\"b\":0}");
}

TEST_CASE("splicer returns false and writes nothing for non-objects", "[json][splice]") {
  Splicer s;
  s.set("a", "1");
  for (const char* rec : {"[1,2]", "\"str\"", "1", "null", "true", "", "   ", "[{\"a\":0}]"}) {
    INFO(rec);
    std::string out = "kept";
    CHECK_FALSE(s.apply(rec, out));
    CHECK(out == "kept");
  }
  std::string out = "prefix ";
  REQUIRE(s.apply("{}", out));
  CHECK(out == "prefix {\"a\":1}");  // apply appends
}

TEST_CASE("scan_object, scan_array and unescape_string expose the pieces", "[json][splice]") {
  std::vector<sp::json::MemberSpan> members;
  REQUIRE(sp::json::scan_object(" { \"a\" : [1, {\"x\":\"]\"}] , \"b\":\"s\\\"\",\"c\":-1.5e3 } ", members));
  REQUIRE(members.size() == 3);
  CHECK(members[0].key_raw == "\"a\"");
  CHECK(members[0].value == "[1, {\"x\":\"]\"}]");
  CHECK(members[1].key_raw == "\"b\"");
  CHECK(members[1].value == "\"s\\\"\"");
  CHECK(members[2].value == "-1.5e3");
  CHECK(sp::json::scan_object("{}", members));
  CHECK(members.empty());
  CHECK_FALSE(sp::json::scan_object("[1]", members));

  std::vector<std::string_view> elems;
  REQUIRE(sp::json::scan_array("[ 1 ,\"two\", [3], {\"f\":4} ,null]", elems));
  REQUIRE(elems.size() == 5);
  CHECK(elems[0] == "1");
  CHECK(elems[1] == "\"two\"");
  CHECK(elems[2] == "[3]");
  CHECK(elems[3] == "{\"f\":4}");
  CHECK(elems[4] == "null");
  CHECK(sp::json::scan_array("[]", elems));
  CHECK(elems.empty());
  CHECK_FALSE(sp::json::scan_array("{}", elems));

  std::string s;
  CHECK(sp::json::unescape_string("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"", s));
  CHECK(s == "a\"b\\c/d\n\t\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(sp::json::unescape_string("\"\"", s));
  CHECK(s.empty());
  CHECK_FALSE(sp::json::unescape_string("\"\\x\"", s));
  CHECK_FALSE(sp::json::unescape_string("\"\\u12\"", s));
  CHECK_FALSE(sp::json::unescape_string("no quotes", s));
}
