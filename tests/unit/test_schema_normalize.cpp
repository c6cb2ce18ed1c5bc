// sp::schema::normalize: the edits for --coerce, --defaults, --drop-additional, applied with
// sp::json::Splicer as sp-validate does.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "json/path.h"
#include "json/splice.h"
#include "schema/normalize.h"

using sp::schema::Edit;
using sp::schema::NormalizeOptions;
using sp::schema::Validator;

namespace {

const char* kSchema = R"({
  "$defs": {"port": {"type": "integer", "default": 80}},
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "status": {"type": "integer"},
    "latency": {"type": "number"},
    "ok": {"type": "boolean"},
    "code": {"type": "string"},
    "port": {"$ref": "#/$defs/port"},
    "level": {"type": "string", "default": "info"},
    "ua": {"type": "object", "additionalProperties": false,
           "properties": {"os": {"type": "string"}, "major": {"type": "integer"}}},
    "tags": {"type": "array", "items": {"type": "integer"}},
    "x": {"allOf": [{"type": ["integer", "null"]}]}
  }
})";

std::string normalized(const std::string& record, NormalizeOptions opt, std::vector<Edit>* edits_out = nullptr) {
  static Validator v = Validator::from_text(kSchema, "norm.json");
  simdjson::dom::parser parser;
  std::vector<Edit> edits;
  sp::schema::normalize(v, parser.parse(record).value(), opt, edits);
  if (edits_out) *edits_out = edits;
  sp::json::Splicer splicer;
  for (const Edit& e : edits) {
    if (e.remove) splicer.remove(sp::json::FieldPath::parse(e.pointer));
    else splicer.set(sp::json::FieldPath::parse(e.pointer), e.value);
  }
  std::string out;
  REQUIRE(splicer.apply(record, out));
  return out;
}

}  // namespace

TEST_CASE("coerce converts losslessly to the schema's type", "[schema][normalize]") {
  NormalizeOptions opt;
  opt.coerce = true;
  std::vector<Edit> edits;
  CHECK(normalized(R"({"status":"200","latency":"1.5","ok":"true","code":404})", opt, &edits) ==
        R"({"status":200,"latency":1.5,"ok":true,"code":"404"})");
  REQUIRE(edits.size() == 4);
  CHECK(edits[0].pointer == "/status");
  CHECK(edits[0].value == "200");
  // not lossless, or already right: untouched
  CHECK(normalized(R"({"status":"2.5","latency":"1e999","ok":"yes","code":"x"})", opt, &edits) ==
        R"({"status":"2.5","latency":"1e999","ok":"yes","code":"x"})");
  CHECK(edits.empty());
  CHECK(normalized(R"({"status":"007","x":"5"})", opt) == R"({"status":"007","x":5})");
  CHECK(normalized(R"({"ua":{"major":"11"},"tags":["1",2,"x"]})", opt) == R"({"ua":{"major":11},"tags":[1,2,"x"]})");
  CHECK(normalized(R"({"port":"8080"})", opt) == R"({"port":8080})");
}

TEST_CASE("defaults fill absent properties", "[schema][normalize]") {
  NormalizeOptions opt;
  opt.defaults = true;
  std::vector<Edit> edits;
  std::string out = normalized(R"({"status":200})", opt, &edits);
  CHECK(edits.size() == 2);
  CHECK(out.find(R"("port":80)") != std::string::npos);
  CHECK(out.find(R"("level":"info")") != std::string::npos);
  CHECK(normalized(R"({"port":1,"level":"debug"})", opt, &edits) == R"({"port":1,"level":"debug"})");
  CHECK(edits.empty());
}

TEST_CASE("drop-additional removes what additionalProperties: false rejects", "[schema][normalize]") {
  NormalizeOptions opt;
  opt.drop_additional = true;
  std::vector<Edit> edits;
  CHECK(normalized(R"({"status":200,"extra":1,"ua":{"os":"x","cpu":"arm"}})", opt, &edits) ==
        R"({"status":200,"ua":{"os":"x"}})");
  REQUIRE(edits.size() == 2);
  CHECK(edits[0].pointer == "/extra");
  CHECK(edits[0].remove);
  CHECK(edits[1].pointer == "/ua/cpu");
  CHECK(normalized(R"({"status":200})", opt, &edits) == R"({"status":200})");
  CHECK(edits.empty());
}
