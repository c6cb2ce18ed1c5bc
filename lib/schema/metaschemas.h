// Built-in copies of the standard meta-schemas, found by URI (http and https alike).
#pragma once
#include <string_view>

namespace sp::schema {

// The document for `uri` (no fragment), or empty when it is not a known meta-schema.
std::string_view builtin_schema(std::string_view uri);

}  // namespace sp::schema
