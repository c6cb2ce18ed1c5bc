// sp::schema references across files: schema_dirs (by $id), schema_map (URI prefix -> dir),
// paths relative to the schema file.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.h"
#include "schema/validator.h"

namespace fs = std::filesystem;
using sp::schema::CompileOptions;
using sp::schema::Validator;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("sp-schema-test-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

bool valid(const Validator& v, const std::string& json) {
  simdjson::dom::parser parser;
  return v.is_valid(parser.parse(json).value());
}

}  // namespace

TEST_CASE("schemas in schema_dirs are found by $id", "[schema][refs]") {
  TempDir t;
  t.write("lib/common.json", R"({"$id": "https://example.com/common.json",
      "$defs": {"ts": {"type": "string", "pattern": "^[0-9]{4}-"}, "id": {"$ref": "ids.json#/$defs/user"}}})");
  t.write("lib/ids.json", R"({"$id": "https://example.com/ids.json", "$defs": {"user": {"pattern": "^u[0-9]+$"}}})");
  std::string root = t.write("events.json", R"({"properties": {
      "ts": {"$ref": "https://example.com/common.json#/$defs/ts"},
      "user": {"$ref": "https://example.com/common.json#/$defs/id"}}})");
  CompileOptions opt;
  opt.schema_dirs = {(t.path / "lib").string()};
  Validator v = Validator::from_file(root, opt);
  CHECK(valid(v, R"({"ts": "2026-11-24", "user": "u12"})"));
  CHECK_FALSE(valid(v, R"({"ts": "24/11/2026"})"));
  CHECK_FALSE(valid(v, R"({"user": "x12"})"));
  // without the directory the reference does not resolve: a usage error naming the place
  try {
    Validator::from_file(root);
    FAIL("expected a usage error");
  } catch (const sp::UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("events.json") && Catch::Contains("/properties/ts/$ref") &&
                             Catch::Contains("https://example.com/common.json"));
  }
}

TEST_CASE("relative references resolve against the schema file", "[schema][refs]") {
  TempDir t;
  t.write("defs/status.json", R"({"type": "integer", "minimum": 100, "maximum": 599})");
  std::string root = t.write("root.json", R"({"properties": {"status": {"$ref": "defs/status.json"}}})");
  Validator v = Validator::from_file(root);
  CHECK(valid(v, R"({"status": 200})"));
  CHECK_FALSE(valid(v, R"({"status": 999})"));
  std::vector<sp::schema::ValidationError> errors;
  simdjson::dom::parser parser;
  CHECK_FALSE(v.validate(parser.parse(std::string(R"({"status": 999})")).value(), errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].instance_path == "/status");
  CHECK_THAT(errors[0].schema_path, Catch::EndsWith("defs/status.json#/maximum"));
}

TEST_CASE("schema_map serves a URI prefix from a directory", "[schema][refs]") {
  CompileOptions opt;
  opt.schema_map = {{"http://localhost:1234/", std::string(SP_TEST_SHARED_DIR) + "/jsonschema-suite/remotes"}};
  Validator v = Validator::from_text(R"({"items": {"$ref": "http://localhost:1234/integer.json"}})", "map.json", opt);
  CHECK(valid(v, "[1, 2]"));
  CHECK_FALSE(valid(v, "[1, \"2\"]"));
  Validator tree = Validator::from_text(
      R"({"$ref": "http://localhost:1234/draft2020-12/tree.json"})", "tree.json", opt);
  CHECK(valid(tree, R"({"data": 1, "children": [{"data": "x", "children": []}]})"));
  CHECK_FALSE(valid(tree, R"({"data": 1, "children": [{"children": [1]}]})"));
}

TEST_CASE("draft is taken from $schema or forced", "[schema][refs]") {
  // draft-07 ignores keywords beside $ref; 2020-12 applies them
  std::string text = R"({"$defs": {"any": true}, "$ref": "#/$defs/any", "type": "integer"})";
  CHECK(Validator::from_text(text, "a.json").draft() == 2020);
  CHECK_FALSE(valid(Validator::from_text(text, "a.json"), "\"x\""));
  CompileOptions seven;
  seven.draft = 7;
  CHECK(valid(Validator::from_text(text, "a.json", seven), "\"x\""));
  Validator d7 = Validator::from_text(R"({"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "#/definitions/a",
      "definitions": {"a": true}, "type": "integer"})", "b.json");
  CHECK(d7.draft() == 7);
  CHECK(valid(d7, "\"x\""));
}
