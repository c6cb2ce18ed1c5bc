// The compiled form of a schema: a graph of Nodes (one per schema object or boolean
// schema) built once by the compiler (compiler.cpp, refs.cpp) and walked by the evaluator
// (keywords.cpp). Internal to lib/schema; tools use validator.h.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <cstring>
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
  const char* keyword;             // "dependentRequired" or "dependencies"
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
  bool is_leaf = false;  // only type/enum/const/number/string keywords: checked without recursion

  const Node* ref = nullptr;
  const Node* dynamic_ref = nullptr;
  std::string dynamic_anchor;  // non-empty when dynamic_ref is resolved through the dynamic scope

  uint8_t types = 0;  // 0: no `type`
  std::optional<simdjson::dom::element> const_value;
  std::vector<simdjson::dom::element> enum_values;
  simdjson::dom::element enum_source;
  bool has_enum = false;
  bool enum_strings_only = false;  // then enum_strings holds the values: compared without the DOM
  std::vector<std::string_view> enum_strings;

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
  std::vector<int32_t> key_slots;  // open-addressing index into keys, collision-free when a seed allows
  uint64_t key_seed = 0;
  unsigned key_shift = 64;  // slot = slot_hash(...) >> key_shift
  uint64_t required_mask = 0;      // bits of `required` keys when keys.size() <= 64
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

// Cheap hash for member lookup: length and three bytes, mixed with a per-node seed.
inline uint64_t slot_hash(std::string_view s, uint64_t seed) {
  uint64_t h = s.size() * 0x9E3779B97F4A7C15ull ^ seed;
  if (!s.empty()) {
    h ^= static_cast<uint64_t>(static_cast<unsigned char>(s[0])) << 8;
    h ^= static_cast<uint64_t>(static_cast<unsigned char>(s[s.size() / 2])) << 16;
    h ^= static_cast<uint64_t>(static_cast<unsigned char>(s[s.size() - 1])) << 24;
  }
  return h * 0xD6E8FEB86659FD93ull;  // use the high bits
}

// Equality of short strings without a call to memcmp.
inline bool same_text(std::string_view a, std::string_view b) {
  size_t n = a.size();
  if (n != b.size()) return false;
  const char *x = a.data(), *y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    uint64_t p, q, r, s;
    std::memcpy(&p, x, 8);
    std::memcpy(&q, y, 8);
    std::memcpy(&r, x + n - 8, 8);
    std::memcpy(&s, y + n - 8, 8);
    return p == q && r == s;
  }
  if (n >= 4) {
    uint32_t p, q, r, s;
    std::memcpy(&p, x, 4);
    std::memcpy(&q, y, 4);
    std::memcpy(&r, x + n - 4, 4);
    std::memcpy(&s, y + n - 4, 4);
    return p == q && r == s;
  }
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return false;
  return true;
}

inline int Node::find_key(std::string_view name) const {
  size_t mask = key_slots.size() - 1;
  size_t h = slot_hash(name, key_seed) >> key_shift;
  while (true) {
    int32_t k = key_slots[h];
    if (k < 0) return -1;
    if (same_text(keys[k].name, name)) return k;
    h = (h + 1) & mask;
  }
}
bool json_equal(simdjson::dom::element a, simdjson::dom::element b);
uint64_t json_hash(simdjson::dom::element e);

}  // namespace sp::schema
