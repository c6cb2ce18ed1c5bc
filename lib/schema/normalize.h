// Normalization for sp-validate --coerce/--defaults/--drop-additional: given a compiled
// schema and a parsed record, the edits that bring the record towards the schema. The
// caller applies them to the record's original text (sp::json::Splicer, with
// FieldPath::parse(edit.pointer)) and then validates the result.
//
// The schema is read statically: a property's subschema is found through `properties`,
// `$ref` and `allOf` (which always apply); conditional applicators (anyOf, oneOf, if) are
// not guessed at. Edits reach nested objects and array items.
#pragma once
#include <simdjson.h>

#include <string>
#include <vector>

#include "schema/validator.h"

namespace sp::schema {

struct NormalizeOptions {
  bool coerce = false;           // "42" -> 42, "true" -> true, 5 -> "5": lossless only
  bool defaults = false;         // absent properties with a "default" get it
  bool drop_additional = false;  // remove properties that additionalProperties: false rejects
};

struct Edit {
  std::string pointer;  // JSON Pointer of the member ("/ua/os", "/tags/0")
  bool remove = false;
  std::string value;    // JSON text to set, when !remove
};

// Appends the edits for `record` to `out`; returns how many were added (0: leave it as it is).
// Allocates only when it has something to report.
size_t normalize(const Validator& validator, simdjson::dom::element record, const NormalizeOptions& options,
                 std::vector<Edit>& out);

}  // namespace sp::schema
