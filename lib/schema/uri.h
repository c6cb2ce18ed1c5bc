// URI references (RFC 3986) as JSON Schema uses them for $id and $ref: resolving a
// reference against a base, splitting off the fragment, and JSON Pointer escaping.
#pragma once
#include <string>
#include <string_view>

namespace sp::schema {

struct UriParts {
  std::string_view scheme, authority, path, query, fragment;
  bool has_scheme = false, has_authority = false, has_query = false, has_fragment = false;
};

UriParts split_uri(std::string_view uri);

// RFC 3986 section 5.2: the target URI of `ref` relative to `base`.
std::string resolve_uri(std::string_view base, std::string_view ref);

// The URI without its fragment ("a/b.json#/x" -> "a/b.json"); an empty fragment is dropped too.
std::string_view uri_without_fragment(std::string_view uri);
// The fragment after '#', still percent-encoded; empty when there is none.
std::string_view uri_fragment(std::string_view uri);

std::string percent_decode(std::string_view s);

// JSON Pointer (RFC 6901) token escaping: "~" -> "~0", "/" -> "~1".
std::string pointer_escape(std::string_view token);
std::string pointer_unescape(std::string_view token);

}  // namespace sp::schema
