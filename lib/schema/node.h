// The compiled form of a schema: a graph of Nodes (one per schema object or boolean
// schema) built once by the compiler (compiler.cpp, refs.cpp) and walked by the evaluator
// (keywords.cpp). Internal to lib/schema; tools use validator.h.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/formats.h"
#include "schema/regex.h"

namespace sp::schema {

enum TypeBit : uint8_t {
  kNull = 1,
  kBoolean = 2,
  kInteger = 4,  // a number with no fractional part (1.0 counts)
  kNumber = 8,
  kString = 16,
  kArray = 32,
  kObject = 64,
};

// A numeric bound, exact for integers that fit int64 and as a double otherwise.
struct Num {
  double d = 0;
  int64_t i = 0;
  bool is_int = false;
  simdjson::dom::element source;
};

struct Node;

struct KeyEntry {
  std::string name;
  const Node* property = nullptr;  // from `properties`
};

struct DependentRequired {
  uint32_t trigger;                // KeyEntry index
  std::vector<uint32_t> required;  // KeyEntry indexes
};

struct DependentSchema {
  uint32_t trigger;
  const Node* schema;
};

struct PatternProperty {
  const Regex* regex;
  const Node* schema;
};

struct Node {
  std::string location;  // JSON Pointer of this schema (prefixed by its document URI outside the root file)
  int draft = 2020;
  int resource = 0;
  bool is_bool = false;
  bool bool_value = true;

  // Which groups of keywords are present, so the evaluator skips whole groups at once.
  bool has_number_kw = false, has_string_kw = false, has_array_kw = false, has_object_kw = false;
  bool has_applicators = false;
  bool has_unevaluated = false;

  const Node* ref = nullptr;
  const Node* dynamic_ref = nullptr;
  std::string dynamic_anchor;  // non-empty when dynamic_ref is resolved through the dynamic scope

  uint8_t types = 0;  // 0: no `type`
  std::optional<simdjson::dom::element> const_value;
  std::vector<simdjson::dom::element> enum_values;
  simdjson::dom::element enum_source;
  bool has_enum = false;

  std::optional<Num> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;

  std::optional<uint64_t> min_length, max_length;
  const Regex* pattern = nullptr;
  Format format = Format::none;
  std::string format_name;

  std::optional<uint64_t> min_items, max_items;
  bool unique_items = false;
  std::vector<const Node*> prefix_items;  // 2020-12 prefixItems, draft-7 items as an array
  const Node* items = nullptr;            // items after the prefix (draft-7 additionalItems / items object)
  const Node* contains = nullptr;
  uint64_t min_contains = 1;
  std::optional<uint64_t> max_contains;

  std::optional<uint64_t> min_properties, max_properties;
  std::vector<KeyEntry> keys;   // every property name the schema mentions
  std::vector<int32_t> key_slots;  // open-addressing index into keys
  std::vector<uint32_t> required;
  std::vector<DependentRequired> dependent_required;
  std::vector<DependentSchema> dependent_schemas;
  std::vector<PatternProperty> pattern_properties;
  const Node* additional_properties = nullptr;
  const Node* property_names = nullptr;

  std::vector<const Node*> all_of, any_of, one_of;
  const Node* not_ = nullptr;
  const Node* if_ = nullptr;
  const Node* then_ = nullptr;
  const Node* else_ = nullptr;

  const Node* unevaluated_properties = nullptr;
  const Node* unevaluated_items = nullptr;

  std::optional<simdjson::dom::element> default_value;

  int find_key(std::string_view name) const;
  uint32_t add_key(std::string_view name);
  void build_key_index();
};

struct Resource {
  std::string uri;
  std::vector<std::pair<std::string, const Node*>> dynamic_anchors;
};

// Everything a compiled schema owns: its source documents, nodes, regexes.
struct CompiledSchema {
  std::string name;  // the schema file (for messages)
  int draft = 2020;
  bool assert_formats = false;
  bool uses_dynamic_scope = false;
  const Node* root = nullptr;
  std::vector<std::unique_ptr<simdjson::dom::parser>> documents;
  std::deque<Node> nodes;
  std::vector<Resource> resources;
  std::vector<std::unique_ptr<Regex>> regexes;
};

// By-value accessors: a range-for over `e.get_array().value()` would keep a reference into
// a destroyed temporary.
inline simdjson::dom::array as_array(simdjson::dom::element e) {
  simdjson::dom::array a;
  if (e.get(a)) return {};
  return a;
}
inline simdjson::dom::object as_object(simdjson::dom::element e) {
  simdjson::dom::object o;
  if (e.get(o)) return {};
  return o;
}

uint64_t hash_key(std::string_view s);
bool json_equal(simdjson::dom::element a, simdjson::dom::element b);
uint64_t json_hash(simdjson::dom::element e);

}  // namespace sp::schema
