#include "schema/normalize.h"

#include <cmath>
#include <cstdint>
#include <string_view>

#include "json/writer.h"
#include "schema/node.h"
#include "schema/uri.h"

namespace sp::schema {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

constexpr size_t kMaxInPlace = 16;  // nodes that apply to one instance through $ref/allOf
constexpr unsigned kMaxDepth = 64;

// The nodes that always apply to an instance: the node itself, its $ref target, its allOf
// members, recursively (a bounded set: reference cycles stop there).
struct InPlace {
  const Node* nodes[kMaxInPlace];
  size_t count = 0;
  void add(const Node* n) {
    if (!n || n->is_bool || count == kMaxInPlace) return;
    for (size_t i = 0; i < count; i++)
      if (nodes[i] == n) return;
    nodes[count++] = n;
    add(n->ref);
    add(n->dynamic_ref);
    for (const Node* a : n->all_of) add(a);
  }
  uint8_t types() const {
    for (size_t i = 0; i < count; i++)
      if (nodes[i]->types) return nodes[i]->types;
    return 0;
  }
};

struct Segment {
  std::string_view key;
  size_t index;
  bool is_index;
};

struct Walker {
  NormalizeOptions options;
  std::vector<Edit>& out;
  Segment path[kMaxDepth];
  unsigned depth = 0;

  std::string pointer(std::string_view last_key = {}, bool with_last = false) const {
    std::string p;
    for (unsigned i = 0; i < depth; i++) {
      p += '/';
      if (path[i].is_index) p += std::to_string(path[i].index);
      else p += pointer_escape(path[i].key);
    }
    if (with_last) {
      p += '/';
      p += pointer_escape(last_key);
    }
    return p;
  }

  void emit_set(std::string value) { out.push_back(Edit{pointer(), false, std::move(value)}); }

  // A lossless conversion of `v` to one of `types`, as JSON text; false when there is none.
  static bool coerce(element v, uint8_t types, std::string& text) {
    element_type t = v.type();
    if (t == element_type::STRING) {
      std::string_view s = v.get_string().value();
      if (types & (kInteger | kNumber)) {
        // JSON number grammar, so the text can be spliced as it is
        size_t i = 0;
        if (i < s.size() && s[i] == '-') i++;
        size_t int_start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') i++;
        size_t int_len = i - int_start;
        bool ok = int_len > 0 && !(int_len > 1 && s[int_start] == '0');
        bool integral = ok && i == s.size();
        if (ok && i < s.size() && s[i] == '.') {
          size_t f = ++i;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') i++;
          ok = i > f;
        }
        if (ok && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
          i++;
          if (i < s.size() && (s[i] == '+' || s[i] == '-')) i++;
          size_t e = i;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') i++;
          ok = i > e;
        }
        ok = ok && i == s.size();
        if (ok && (types & kNumber || integral) && (integral ? int_len <= 18 : std::isfinite(std::strtod(std::string(s).c_str(), nullptr)))) {
          text = std::string(s);
          return true;
        }
      }
      if (types & kBoolean && (s == "true" || s == "false")) {
        text = std::string(s);
        return true;
      }
      if (types & kNull && s == "null") {
        text = "null";
        return true;
      }
      return false;
    }
    if ((t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE) && types & kString) {
      text.clear();
      sp::json::append_string(text, simdjson::minify(v));
      return true;
    }
    if (t == element_type::BOOL && types & kString) {
      text = v.get_bool().value() ? "\"true\"" : "\"false\"";
      return true;
    }
    return false;
  }

  static bool type_ok(element v, uint8_t types) {
    if (!types) return true;
    switch (v.type()) {
      case element_type::NULL_VALUE: return types & kNull;
      case element_type::BOOL: return types & kBoolean;
      case element_type::INT64:
      case element_type::UINT64: return types & (kInteger | kNumber);
      case element_type::DOUBLE: {
        double d = v.get_double().value();
        return (types & kNumber) || ((types & kInteger) && d == std::floor(d));
      }
      case element_type::STRING: return types & kString;
      case element_type::ARRAY: return types & kArray;
      case element_type::OBJECT: return types & kObject;
    }
    return true;
  }

  void walk(const Node* schema, element v) {
    if (depth >= kMaxDepth) return;
    InPlace in;
    in.add(schema);
    if (!in.count) return;
    if (options.coerce && depth > 0) {
      uint8_t types = in.types();
      std::string text;
      if (!type_ok(v, types) && coerce(v, types, text)) {
        emit_set(std::move(text));
        return;
      }
    }
    element_type t = v.type();
    if (t == element_type::OBJECT) walk_object(in, v);
    else if (t == element_type::ARRAY) walk_array(in, v);
  }

  void walk_object(const InPlace& in, element v) {
    simdjson::dom::object obj = as_object(v);
    bool closed = false;
    for (size_t i = 0; i < in.count; i++) {
      const Node* ap = in.nodes[i]->additional_properties;
      if (ap && ap->is_bool && !ap->bool_value) closed = true;
    }
    for (auto [key, value] : obj) {
      const Node* prop = nullptr;
      bool known = false;
      for (size_t i = 0; i < in.count; i++) {
        const Node* n = in.nodes[i];
        if (!n->keys.empty()) {
          int k = n->find_key(key);
          if (k >= 0 && n->keys[k].property) {
            if (!prop) prop = n->keys[k].property;
            known = true;
          }
        }
        for (const PatternProperty& pp : n->pattern_properties) {
          if (pp.regex->search(key)) {
            known = true;
            if (!prop) prop = pp.schema;
          }
        }
        if (!known && n->additional_properties && !n->additional_properties->is_bool && !prop)
          prop = n->additional_properties;
      }
      if (!known && closed && options.drop_additional) {
        out.push_back(Edit{pointer(key, true), true, {}});
        continue;
      }
      if (prop) {
        path[depth++] = {key, 0, false};
        walk(prop, value);
        depth--;
      }
    }
    if (options.defaults) {
      for (size_t i = 0; i < in.count; i++) {
        for (const KeyEntry& k : in.nodes[i]->keys) {
          if (!k.property || k.property->is_bool) continue;
          InPlace p;
          p.add(k.property);
          const simdjson::dom::element* def = nullptr;
          for (size_t j = 0; j < p.count && !def; j++)
            if (p.nodes[j]->default_value) def = &*p.nodes[j]->default_value;
          if (!def) continue;
          element present;
          if (!obj.at_key(k.name).get(present)) continue;
          bool already = false;  // the same name in an earlier allOf member
          for (const Edit& e : out) already = already || e.pointer == pointer(k.name, true);
          if (!already) out.push_back(Edit{pointer(k.name, true), false, simdjson::minify(*def)});
        }
      }
    }
  }

  void walk_array(const InPlace& in, element v) {
    const Node* n = nullptr;
    for (size_t i = 0; i < in.count && !n; i++)
      if (in.nodes[i]->items || !in.nodes[i]->prefix_items.empty()) n = in.nodes[i];
    if (!n) return;
    size_t i = 0;
    for (element item : as_array(v)) {
      const Node* s = i < n->prefix_items.size() ? n->prefix_items[i] : n->items;
      if (!s) break;
      path[depth++] = {{}, i, true};
      walk(s, item);
      depth--;
      i++;
    }
  }
};

}  // namespace

size_t normalize(const Validator& validator, element record, const NormalizeOptions& options, std::vector<Edit>& out) {
  if (validator.empty()) return 0;
  size_t before = out.size();
  Walker w{options, out, {}, 0};
  w.walk(validator.compiled().root, record);
  return out.size() - before;
}

}  // namespace sp::schema
