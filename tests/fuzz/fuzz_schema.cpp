// The JSON Schema compiler and validator. The input is a schema, a NUL byte, then instances
// one a line; without a NUL, the whole input is instances. The schema is compiled (rejection
// is sp::UsageError) and every instance that is JSON is validated by it and by the bench's
// event schema (formats annotating and asserting). Oracle: is_valid() agrees with validate(),
// which lists errors exactly when the instance is invalid, however many it may list.
#include <simdjson.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "io/error.h"
#include "schema/validator.h"

namespace {

// ../shared/bench/events.schema.json (as DESIGN.md's test data), shortened to what it tests.
constexpr std::string_view kEventsSchema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "urn:sp-bench:events:v1",
  "type": "object",
  "required": ["ts", "host", "service", "status"],
  "additionalProperties": false,
  "properties": {
    "ts": {"type": "string", "format": "date-time",
           "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"},
    "host": {"type": "string", "minLength": 1, "maxLength": 64},
    "service": {"type": "string", "enum": ["api", "web", "auth", "search"]},
    "user_id": {"type": "string", "pattern": "^u[0-9]{6}$"},
    "ip": {"type": "string", "format": "ipv4"},
    "status": {"type": "integer", "minimum": 100, "maximum": 599},
    "latency_ms": {"type": "number", "minimum": 0, "multipleOf": 0.5},
    "ua": {"type": "object", "required": ["browser"], "additionalProperties": false,
           "properties": {"browser": {"type": "string"}, "os": {"type": "string"}}},
    "tags": {"type": "array", "maxItems": 16, "uniqueItems": true,
             "items": {"type": "string", "minLength": 1, "maxLength": 32}},
    "extra": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/point"}]}
  },
  "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}},
                      "unevaluatedProperties": false, "dependentRequired": {"x": ["y"]},
                      "patternProperties": {"^y": {"const": 1}}}}
})";

void check(const sp::schema::Validator& v, simdjson::dom::element instance) {
  static std::vector<sp::schema::ValidationError> errors;
  bool valid = v.is_valid(instance);
  errors.clear();
  if (v.validate(instance, errors, 0) != valid || errors.empty() != valid) __builtin_trap();
  errors.clear();
  if (v.validate(instance, errors, 1) != valid || errors.size() > 1) __builtin_trap();
  for (const auto& e : errors) (void)sp::schema::format_error(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sp::schema::Validator events = sp::schema::Validator::from_text(kEventsSchema, "events.schema.json");
  static const sp::schema::Validator events_formats = [] {
    sp::schema::CompileOptions o;
    o.assert_formats = true;
    return sp::schema::Validator::from_text(kEventsSchema, "events.schema.json", o);
  }();
  auto [schema, instances, has_schema] = sp::fuzz::split_at_nul(data, size);
  sp::schema::Validator fuzzed;
  if (!has_schema) {
    instances = schema;
  } else {
    sp::schema::CompileOptions o;
    o.assert_formats = schema.size() % 2 == 1;
    try {
      fuzzed = sp::schema::Validator::from_text(schema, "fuzz.schema.json", o);
    } catch (const sp::UsageError&) {
      // a schema that is not JSON or not a schema: the expected rejection
    }
  }
  static simdjson::dom::parser parser;
  while (!instances.empty()) {
    std::string_view line = sp::fuzz::next_line(instances);
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc)) continue;
    check(events, doc);
    check(events_formats, doc);
    if (!fuzzed.empty()) check(fuzzed, doc);
  }
  return 0;
}
