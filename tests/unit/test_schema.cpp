// sp::schema: keywords, error reports, invalid schemas. References across files: test_schema_refs.cpp.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io/error.h"
#include "schema/validator.h"

using sp::schema::CompileOptions;
using sp::schema::ValidationError;
using sp::schema::Validator;

namespace {

// Compiles a schema once and checks instances given as JSON text.
struct Check {
  Validator v;
  simdjson::dom::parser parser;
  explicit Check(const std::string& schema, CompileOptions opt = {}) : v(Validator::from_text(schema, "test.json", opt)) {}
  bool operator()(const std::string& instance) {
    simdjson::dom::element e = parser.parse(instance).value();
    bool fast = v.is_valid(e);
    std::vector<ValidationError> errors;
    bool full = v.validate(e, errors, 0);
    CHECK(fast == full);
    CHECK(full == errors.empty());
    return fast;
  }
  std::vector<ValidationError> errors(const std::string& instance, size_t max = 10) {
    simdjson::dom::element e = parser.parse(instance).value();
    std::vector<ValidationError> out;
    v.validate(e, out, max);
    return out;
  }
};

std::string compile_error(const std::string& schema) {
  try {
    Validator::from_text(schema, "bad.json");
  } catch (const sp::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("type, enum and const use JSON equality", "[schema]") {
  Check integer(R"({"type": "integer"})");
  CHECK(integer("1"));
  CHECK(integer("1.0"));
  CHECK_FALSE(integer("1.5"));
  CHECK_FALSE(integer("\"1\""));
  Check multi(R"({"type": ["string", "null"]})");
  CHECK(multi("null"));
  CHECK(multi("\"x\""));
  CHECK_FALSE(multi("0"));
  Check e(R"({"enum": ["a", 1, {"k": [1, 2]}, null]})");
  CHECK(e("\"a\""));
  CHECK(e("1.0"));
  CHECK(e(R"({"k": [1.0, 2]})"));
  CHECK_FALSE(e(R"({"k": [2, 1]})"));
  CHECK_FALSE(e("\"b\""));
  Check strings(R"({"enum": ["GET", "POST"]})");
  CHECK(strings("\"GET\""));
  CHECK_FALSE(strings("\"GE\""));
  CHECK_FALSE(strings("1"));
  Check c(R"({"const": {"a": 1, "b": [true]}})");
  CHECK(c(R"({"b": [true], "a": 1})"));
  CHECK_FALSE(c(R"({"a": 1})"));
}

TEST_CASE("numeric bounds and multipleOf", "[schema]") {
  Check n(R"({"minimum": 100, "maximum": 599, "exclusiveMaximum": 599.5, "multipleOf": 0.5})");
  CHECK(n("100"));
  CHECK(n("599"));
  CHECK(n("\"not a number\""));  // bounds only apply to numbers
  CHECK_FALSE(n("99"));
  CHECK_FALSE(n("600"));
  CHECK_FALSE(n("100.25"));
  Check m(R"({"multipleOf": 0.01})");
  CHECK(m("0.07"));
  CHECK(m("19.99"));
  Check big(R"({"maximum": 9007199254740993})");
  CHECK(big("9007199254740993"));
  CHECK_FALSE(big("9007199254740994"));
  CHECK_FALSE(big("18446744073709551615"));
}

TEST_CASE("string lengths count code points; patterns follow ECMA-262", "[schema]") {
  Check len(R"({"minLength": 2, "maxLength": 3})");
  CHECK(len("\"\u00e9\u00e9\""));
  CHECK(len("\"\U0001F600\U0001F600\U0001F600\""));
  CHECK_FALSE(len("\"\U0001F600\""));
  CHECK_FALSE(len("\"abcd\""));
  Check digits(R"({"pattern": "^\\d+$"})");
  CHECK(digits("\"123\""));
  CHECK_FALSE(digits("\"\u0661\""));  // ARABIC-INDIC DIGIT ONE: \d is ASCII in ECMA-262
  Check space(R"({"pattern": "^\\s$"})");
  CHECK(space("\"\u00a0\""));  // \s is Unicode-wide in ECMA-262
  Check dollar(R"({"pattern": "^abc$"})");
  CHECK_FALSE(dollar("\"abc\\n\""));  // $ matches only at the very end
  Check search(R"({"pattern": "b+"})");
  CHECK(search("\"abbbc\""));
  CHECK_FALSE(search("\"ac\""));
  Check simple(R"({"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"})");
  CHECK(simple("\"2026-11-24T00:00:00.000Z\""));
  CHECK_FALSE(simple("\"2026-11-24T00:00:00.000Zx\""));
  CHECK_FALSE(simple("\"2026-11-24 00:00:00.000Z\""));
  Check bounded(R"({"pattern": "^u[0-9]{2,3}x?$"})");
  CHECK(bounded("\"u12\""));
  CHECK(bounded("\"u123x\""));
  CHECK_FALSE(bounded("\"u1234\""));
  Check letters(R"({"pattern": "^\\p{Letter}+$"})");
  CHECK(letters("\"\u00e9t\u00e9\""));
  CHECK_FALSE(letters("\"123\""));
}

TEST_CASE("formats annotate by default and assert when asked", "[schema]") {
  Check annotate(R"({"format": "date-time"})");
  CHECK(annotate("\"yesterday\""));
  CompileOptions opt;
  opt.assert_formats = true;
  Check f(R"({"format": "date-time"})", opt);
  CHECK(f("\"2026-11-24T00:00:00.000Z\""));
  CHECK(f("\"2026-11-24T23:59:60Z\""));
  CHECK_FALSE(f("\"2026-02-30T00:00:00Z\""));
  CHECK_FALSE(f("\"yesterday\""));
  CHECK(f("42"));
  Check ip(R"({"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]})", opt);
  CHECK(ip("\"10.0.0.1\""));
  CHECK(ip("\"::1\""));
  CHECK_FALSE(ip("\"10.0.0.256\""));
  Check email(R"({"format": "email"})", opt);
  CHECK(email("\"joe.bloggs@example.com\""));
  CHECK_FALSE(email("\"joe..bloggs@example.com\""));
  Check uuid(R"({"format": "uuid"})", opt);
  CHECK(uuid("\"2eb8aa08-aa98-11ea-b4aa-73b441d16380\""));
  CHECK_FALSE(uuid("\"2eb8aa08-aa98-11ea-b4aa-73b441d1638\""));
  Check unknown(R"({"format": "no-such-format"})", opt);
  CHECK(unknown("\"anything\""));
}

TEST_CASE("array keywords", "[schema]") {
  Check a(R"({"prefixItems": [{"type": "integer"}], "items": {"type": "string"},
              "minItems": 1, "maxItems": 3, "uniqueItems": true})");
  CHECK(a("[1, \"a\", \"b\"]"));
  CHECK_FALSE(a("[]"));
  CHECK_FALSE(a("[\"a\"]"));
  CHECK_FALSE(a("[1, 2]"));
  CHECK_FALSE(a("[1, \"a\", \"a\"]"));
  CHECK_FALSE(a("[1, \"a\", \"b\", \"c\"]"));
  Check unique(R"({"uniqueItems": true})");
  CHECK_FALSE(unique("[1, 1.0]"));
  CHECK_FALSE(unique(R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])"));
  CHECK(unique("[0, false, null, \"0\", [0], {\"0\": 0}]"));
  std::string many = "[";
  for (int i = 0; i < 100; i++) many += std::to_string(i) + ",";
  CHECK(unique(many + "100]"));
  CHECK_FALSE(unique(many + "50]"));
  Check c(R"({"contains": {"type": "string"}, "minContains": 2, "maxContains": 3})");
  CHECK(c("[\"a\", 1, \"b\"]"));
  CHECK_FALSE(c("[\"a\", 1]"));
  CHECK_FALSE(c("[\"a\", \"b\", \"c\", \"d\"]"));
  Check d7(R"({"$schema": "http://json-schema.org/draft-07/schema#",
               "items": [{"type": "integer"}], "additionalItems": false})");
  CHECK(d7.v.draft() == 7);
  CHECK(d7("[1]"));
  CHECK_FALSE(d7("[1, 2]"));
}

TEST_CASE("object keywords", "[schema]") {
  Check o(R"({"properties": {"a": {"type": "integer"}}, "patternProperties": {"^x-": {"type": "string"}},
              "additionalProperties": false, "required": ["a"], "propertyNames": {"maxLength": 5},
              "dependentRequired": {"x-b": ["x-c"]}, "minProperties": 1, "maxProperties": 3})");
  CHECK(o(R"({"a": 1})"));
  CHECK(o(R"({"a": 1, "x-b": "1", "x-c": "2"})"));
  CHECK_FALSE(o(R"({"a": 1, "x-b": "1"})"));
  CHECK_FALSE(o(R"({"a": 1, "b": 2})"));
  CHECK_FALSE(o(R"({"a": 1, "x-long": "x"})"));
  CHECK_FALSE(o(R"({"x-c": "1"})"));
  CHECK_FALSE(o(R"({"a": "1"})"));
  Check ds(R"({"dependentSchemas": {"card": {"required": ["billing"]}}})");
  CHECK(ds(R"({"billing": 1})"));
  CHECK_FALSE(ds(R"({"card": 1})"));
  Check d7(R"({"$schema": "http://json-schema.org/draft-07/schema#",
               "dependencies": {"a": ["b"], "c": {"required": ["d"]}}})");
  CHECK(d7(R"({"a": 1, "b": 2})"));
  CHECK_FALSE(d7(R"({"a": 1})"));
  CHECK_FALSE(d7(R"({"c": 1})"));
}

TEST_CASE("applicators, boolean schemas and unevaluated*", "[schema]") {
  Check one(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})");
  CHECK(one("1"));
  CHECK(one("2.5"));
  CHECK_FALSE(one("3"));
  Check cond(R"({"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["a"]}, "else": {"required": ["b"]}})");
  CHECK(cond(R"({"kind": "a", "a": 1})"));
  CHECK(cond(R"({"kind": "z", "b": 1})"));
  CHECK_FALSE(cond(R"({"kind": "a", "b": 1})"));
  Check no(R"({"not": {"type": "null"}})");
  CHECK(no("1"));
  CHECK_FALSE(no("null"));
  Check f("false");
  CHECK_FALSE(f("{}"));
  Check t("true");
  CHECK(t("[1]"));
  Check u(R"({"allOf": [{"properties": {"a": true}}], "anyOf": [{"properties": {"b": true}}, {"properties": {"c": true}}],
              "unevaluatedProperties": false})");
  CHECK(u(R"({"a": 1, "b": 2})"));
  CHECK(u(R"({"a": 1, "c": 2})"));
  CHECK_FALSE(u(R"({"a": 1, "d": 2})"));
  Check ui(R"({"prefixItems": [true], "contains": {"type": "string"}, "unevaluatedItems": false})");
  CHECK(ui("[1, \"a\", \"b\"]"));
  CHECK_FALSE(ui("[1, \"a\", 2]"));
}

TEST_CASE("references inside one schema, recursion and $dynamicRef", "[schema]") {
  Check tree(R"({"$defs": {"node": {"type": "object", "properties": {"value": {"type": "integer"},
                 "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"})");
  CHECK(tree(R"({"value": 1, "children": [{"value": 2, "children": []}]})"));
  CHECK_FALSE(tree(R"({"value": 1, "children": [{"value": "2"}]})"));
  Check anchor(R"({"$defs": {"a": {"$anchor": "pos", "minimum": 0}}, "items": {"$ref": "#pos"}})");
  CHECK(anchor("[0, 1]"));
  CHECK_FALSE(anchor("[-1]"));
  Check loop(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})");
  CHECK_FALSE(loop("1"));  // a cycle that consumes no input ends instead of recursing forever
  Check same(R"({"$defs": {"x": {"minimum": 0}}, "allOf": [{"$ref": "#/$defs/x"}, {"$ref": "#/$defs/x"}, {"$ref": "#/$defs/x"}]})");
  CHECK(same("1"));  // the same subschema several times on one value is no cycle
  Check deep(R"({"items": {"$ref": "#"}, "type": "array"})");
  CHECK(deep(std::string(500, '[') + std::string(500, ']')));
  CHECK_FALSE(deep(std::string(500, '[') + "1" + std::string(500, ']')));
  Check meta(R"({"$ref": "https://json-schema.org/draft/2020-12/schema"})");
  CHECK(meta(R"({"type": "string", "minLength": 1})"));
  CHECK_FALSE(meta(R"({"minLength": -1})"));
}

TEST_CASE("errors name the instance path, schema path, keyword and a message", "[schema][errors]") {
  Check s(R"({"type": "object", "required": ["ts", "status"],
              "properties": {"status": {"type": "integer", "maximum": 599},
                             "ua": {"type": "object", "additionalProperties": false, "properties": {"os": {}}},
                             "tags": {"items": {"type": "string"}}}})");
  auto e = s.errors(R"({"status": "500"})");
  REQUIRE(e.size() == 2);
  CHECK(e[0].instance_path == "/status");
  CHECK(e[0].schema_path == "/properties/status/type");
  CHECK(e[0].keyword == "type");
  CHECK(e[0].message == "expected integer, got string \"500\"");
  CHECK(sp::schema::format_error(e[0]) == "/status: expected integer, got string \"500\"");
  CHECK(e[1].instance_path == "");
  CHECK(e[1].keyword == "required");
  CHECK(e[1].message == "missing required property \"ts\"");

  e = s.errors(R"({"ts": 1, "status": 999, "ua": {"os": "x", "cpu": 1}, "tags": ["a", 2]})");
  REQUIRE(e.size() == 3);
  CHECK(e[0].message == "value 999 is greater than maximum 599");
  CHECK(e[0].schema_path == "/properties/status/maximum");
  CHECK(e[1].instance_path == "/ua");
  CHECK(e[1].message == "property \"cpu\" is not allowed");
  CHECK(e[2].instance_path == "/tags/1");
  CHECK(e[2].message == "expected string, got integer 2");

  CHECK(s.errors(R"({"status": "x", "ua": 1, "tags": [1, 2, 3]})", 2).size() == 2);
  CHECK(s.errors(R"({"ts": 1, "status": 1})").empty());

  Check esc(R"({"properties": {"a/b": {"properties": {"~": {"type": "null"}}}}})");
  e = esc.errors(R"({"a/b": {"~": 1}})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].instance_path == "/a~1b/~0");
  CHECK(e[0].schema_path == "/properties/a~1b/properties/~0/type");
}

TEST_CASE("invalid schemas are usage errors naming the file and the location", "[schema][errors]") {
  CHECK_THAT(compile_error("{\"type\": "), Catch::Contains("bad.json") && Catch::Contains("not valid JSON"));
  CHECK_THAT(compile_error(R"({"properties": {"a": {"minLength": "x"}}})"),
             Catch::Contains("bad.json") && Catch::Contains("/properties/a/minLength") &&
                 Catch::Contains("non-negative integer"));
  CHECK_THAT(compile_error(R"({"pattern": "(unclosed"})"), Catch::Contains("/pattern") && Catch::Contains("regular expression"));
  CHECK_THAT(compile_error(R"({"items": {"$ref": "#/$defs/missing"}})"),
             Catch::Contains("/items/$ref") && Catch::Contains("cannot resolve"));
  CHECK_THAT(compile_error(R"({"type": "integr"})"), Catch::Contains("/type") && Catch::Contains("integr"));
  CHECK_THAT(compile_error(R"({"allOf": []})"), Catch::Contains("/allOf"));
  CHECK_THAT(compile_error(R"({"properties": {"a": 3}})"), Catch::Contains("/properties/a"));
  CHECK_THAT(compile_error(R"({"required": "a"})"), Catch::Contains("/required"));
  CHECK_THAT(compile_error(R"({"multipleOf": 0})"), Catch::Contains("/multipleOf"));
  CHECK(compile_error(R"({"x-unknown": {"minLength": "x"}, "minLength": 1.0})").empty());  // unknown keywords are ignored
  CHECK_THROWS_AS(Validator::from_file("/nonexistent/schema.json"), sp::UsageError);
}
