// JSON Schema validation (draft 2020-12 and draft-07) for sp-validate.
//
//   sp::schema::CompileOptions opt;            // draft from "$schema", formats as annotations
//   auto v = sp::schema::Validator::from_file("events.schema.json", opt);   // throws sp::UsageError
//   if (!v.is_valid(record)) {                  // fast path: no heap allocation once warm
//     std::vector<sp::schema::ValidationError> errs;
//     v.validate(record, errs, 10);             // the reasons, at most 10
//   }
//
// A schema is compiled once into a graph of nodes; $ref, $dynamicRef, $id/$anchor are resolved
// then, including references to other local files: files under `schema_dirs` are registered
// by their $id, a URI that starts with a `schema_map` prefix is read from the mapped directory,
// and relative references resolve against the schema file's own path.
// Validator is cheap to copy and safe to use from several threads (scratch buffers are per thread).
// Normalization (--coerce, --defaults, --drop-additional) is in schema/normalize.h.
#pragma once
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sp::schema {

struct CompileOptions {
  int draft = 0;                // 0: from the root's "$schema" (2020-12 when absent); 7 or 2020 to force
  bool assert_formats = false;  // "format" asserts instead of annotating
  std::vector<std::string> schema_dirs;                          // directories of *.json schemas, by $id
  std::vector<std::pair<std::string, std::string>> schema_map;  // URI prefix -> directory
};

struct ValidationError {
  std::string instance_path;  // JSON Pointer into the record ("" is the record itself)
  std::string schema_path;    // JSON Pointer of the failing keyword in the schema ("/properties/status/maximum");
                              // prefixed by "URI#" when the keyword is in another schema document
  std::string keyword;        // "maximum"
  std::string message;        // "value 999 is greater than maximum 599"
};

struct CompiledSchema;
struct Node;

class Validator {
 public:
  Validator() = default;
  // Throws sp::UsageError naming the file and the JSON Pointer of the problem for a schema that
  // is not JSON, has a keyword of the wrong type, a bad regex, or a $ref that does not resolve.
  static Validator from_file(const std::string& path, const CompileOptions& options = {});
  // `name` is used in messages; relative references resolve against the current directory.
  static Validator from_text(std::string_view json, const std::string& name, const CompileOptions& options = {});

  // True when `instance` is valid; stops at the first failure.
  bool is_valid(simdjson::dom::element instance) const;
  // Appends up to `max_errors` errors to `out` (0: no limit); returns true when valid.
  bool validate(simdjson::dom::element instance, std::vector<ValidationError>& out, size_t max_errors = 10) const;

  int draft() const;  // 7 or 2020
  bool empty() const { return !schema_; }
  const CompiledSchema& compiled() const { return *schema_; }

 private:
  std::shared_ptr<const CompiledSchema> schema_;
};

// "instance path: message", the form sp-validate prints.
std::string format_error(const ValidationError& e);  // "/status: expected integer, got string \"500\""

}  // namespace sp::schema
