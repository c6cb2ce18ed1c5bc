// Flattens nested objects into one level: {"a":{"b":1,"c":{"d":2}},"e":[1]} becomes
// {"a.b":1,"a.c.d":2,"e":[1]} with separator ".". Arrays and empty objects are values and stay
// as they are; scalars keep their original text. The reserved member _sp (source positions,
// see DESIGN) is not flattened, and objects deeper than 64 levels are kept whole.
#pragma once
#include <string>
#include <string_view>

namespace sp::json {

// Appends the flattened `record` to `out`. Returns false, appending nothing, when `record` is
// not an object or has no nested non-empty object (then it is already flat: use it as it is).
bool flatten(std::string_view record, std::string_view separator, std::string& out);

}  // namespace sp::json
