// Turns schema objects into Nodes: checks each keyword's value and fills the node.
#include "schema/compiler.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/error.h"
#include "schema/uri.h"

namespace sp::schema {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

Compiler::Compiler(const CompileOptions& options, std::string name)
    : options_(options), name_(std::move(name)), out_(std::make_shared<CompiledSchema>()) {}

std::string Compiler::location_name(int doc, const std::string& pointer) const {
  if (doc == 0) return pointer;
  return docs_[doc].uri + "#" + pointer;
}

void Compiler::fail(int doc, const std::string& pointer, const std::string& message) const {
  std::string where = doc == 0 ? (pointer.empty() ? "/" : pointer) : docs_[doc].uri + "#" + pointer;
  throw UsageError("schema " + name_ + ": at " + where + ": " + message);
}

std::shared_ptr<CompiledSchema> Compiler::compile(std::string_view text, const std::string& base_uri) {
  out_->name = name_;
  out_->assert_formats = options_.assert_formats;
  int doc = load_document(text, base_uri, options_.draft ? (options_.draft >= 2019 ? 2020 : 7) : 2020);
  out_->draft = docs_[doc].draft;
  out_->root = compile_at(Loc{doc, ""});
  resolve_pending();
  return out_;
}

const Node* Compiler::compile_at(const Loc& loc) {
  auto e = element_at(loc);
  if (!e) fail(loc.doc, loc.pointer, "no schema at this location");
  return compile_at(loc.doc, loc.pointer, *e, base_of(loc.doc, loc.pointer));
}

namespace {

bool as_count(element e, uint64_t& out) {
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = e.get_int64().value();
      if (v < 0) return false;
      out = static_cast<uint64_t>(v);
      return true;
    }
    case element_type::UINT64:
      out = e.get_uint64().value();
      return true;
    case element_type::DOUBLE: {
      double d = e.get_double().value();
      if (d < 0 || d != std::floor(d)) return false;
      out = d >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(d);
      return true;
    }
    default:
      return false;
  }
}

bool as_num(element e, Num& out) {
  out.source = e;
  switch (e.type()) {
    case element_type::INT64:
      out.i = e.get_int64().value();
      out.d = static_cast<double>(out.i);
      out.is_int = true;
      return true;
    case element_type::UINT64:
      out.d = static_cast<double>(e.get_uint64().value());
      out.is_int = false;
      return true;
    case element_type::DOUBLE:
      out.d = e.get_double().value();
      if (out.d == std::floor(out.d) && std::fabs(out.d) < 9.2e18) {
        out.i = static_cast<int64_t>(out.d);
        out.is_int = true;
      }
      return true;
    default:
      return false;
  }
}

uint8_t type_from_name(std::string_view t) {
  if (t == "null") return kNull;
  if (t == "boolean") return kBoolean;
  if (t == "integer") return kInteger;
  if (t == "number") return kNumber;
  if (t == "string") return kString;
  if (t == "array") return kArray;
  if (t == "object") return kObject;
  return 0;
}

}  // namespace

const Node* Compiler::compile_at(int doc, const std::string& pointer, element e, const std::string& base_in) {
  auto key = std::make_pair(doc, pointer);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  Node& n = out_->nodes.emplace_back();
  memo_.emplace(key, &n);
  n.location = location_name(doc, pointer);
  n.draft = docs_[doc].draft;
  auto root = resource_roots_.find(key);
  const std::string& base = root != resource_roots_.end() ? root->second : base_in;
  n.resource = resource_index(base);
  if (e.is_bool()) {
    n.is_bool = true;
    n.bool_value = e.get_bool().value();
    return &n;
  }
  object obj;
  if (e.get(obj)) fail(doc, pointer, "a schema must be an object or a boolean");
  std::string b = base;  // resource_index may grow maps that `base` refers into
  compile_keywords(n, doc, pointer, obj, b);
  return &n;
}

void Compiler::compile_keywords(Node& n, int doc, const std::string& ptr, object obj, const std::string& base) {
  const int draft = docs_[doc].draft;
  const unsigned vocab = docs_[doc].vocab;
  const bool applicator = vocab & kVocabApplicator;
  const bool validation = vocab & kVocabValidation;

  auto at = [&](std::string_view kw) -> std::string { return ptr + "/" + pointer_escape(kw); };
  auto sub = [&](std::string_view kw, element v) { return compile_at(doc, at(kw), v, base); };
  auto get = [&](std::string_view kw, element& v) { return !obj[kw].get(v); };
  auto subs_array = [&](std::string_view kw, element v) {
    array a;
    if (v.get(a) || a.size() == 0) fail(doc, at(kw), std::string(kw) + " must be a non-empty array of schemas");
    std::vector<const Node*> out;
    size_t i = 0;
    for (element s : a) {
      out.push_back(compile_at(doc, at(kw) + "/" + std::to_string(i), s, base));
      i++;
    }
    return out;
  };
  auto count = [&](std::string_view kw, std::optional<uint64_t>& out) {
    element v;
    if (!get(kw, v)) return;
    uint64_t c;
    if (!as_count(v, c)) fail(doc, at(kw), std::string(kw) + " must be a non-negative integer");
    out = c;
  };
  auto number = [&](std::string_view kw, std::optional<Num>& out) {
    element v;
    if (!get(kw, v)) return;
    Num num;
    if (!as_num(v, num)) fail(doc, at(kw), std::string(kw) + " must be a number");
    out = num;
  };
  auto add_ref = [&](std::string_view kw, bool dynamic) {
    element v;
    if (!get(kw, v)) return;
    std::string_view ref;
    if (v.get(ref)) fail(doc, at(kw), std::string(kw) + " must be a string");
    pending_.push_back(PendingRef{&n, resolve_uri(base, ref), dynamic, doc, at(kw)});
  };

  element v;
  if (draft == 7 && get("$ref", v)) {
    add_ref("$ref", false);  // draft-07: keywords beside $ref are ignored
    return;
  }
  add_ref("$ref", false);
  if (draft != 7) add_ref("$dynamicRef", true);

  if (validation) {
    if (get("type", v)) {
      std::string_view t;
      if (!v.get(t)) {
        n.types = type_from_name(t);
        if (!n.types) fail(doc, at("type"), "unknown type \"" + std::string(t) + "\"");
      } else if (v.is_array()) {
        for (element x : as_array(v)) {
          uint8_t bit = x.get(t) ? 0 : type_from_name(t);
          if (!bit) fail(doc, at("type"), "type must be a type name or an array of type names");
          n.types |= bit;
        }
        if (!n.types) n.types = 0;
      } else {
        fail(doc, at("type"), "type must be a type name or an array of type names");
      }
      if (n.types & kInteger && n.types & kNumber) n.types &= static_cast<uint8_t>(~kInteger);
    }
    if (get("const", v)) n.const_value = v;
    if (get("enum", v)) {
      if (!v.is_array()) fail(doc, at("enum"), "enum must be an array");
      for (element x : as_array(v)) n.enum_values.push_back(x);
      n.enum_source = v;
      n.has_enum = true;
    }
    number("minimum", n.minimum);
    number("maximum", n.maximum);
    number("exclusiveMinimum", n.exclusive_minimum);
    number("exclusiveMaximum", n.exclusive_maximum);
    number("multipleOf", n.multiple_of);
    if (n.multiple_of && !(n.multiple_of->d > 0)) fail(doc, at("multipleOf"), "multipleOf must be greater than 0");
    n.has_number_kw = n.minimum || n.maximum || n.exclusive_minimum || n.exclusive_maximum || n.multiple_of;

    count("minLength", n.min_length);
    count("maxLength", n.max_length);
    if (get("pattern", v)) {
      std::string_view p;
      if (v.get(p)) fail(doc, at("pattern"), "pattern must be a string");
      std::string err;
      auto re = Regex::compile(p, err);
      if (!re) fail(doc, at("pattern"), "invalid regular expression \"" + std::string(p) + "\": " + err);
      n.pattern = re.get();
      out_->regexes.push_back(std::move(re));
    }

    count("minItems", n.min_items);
    count("maxItems", n.max_items);
    if (get("uniqueItems", v)) {
      if (!v.is_bool()) fail(doc, at("uniqueItems"), "uniqueItems must be a boolean");
      n.unique_items = v.get_bool().value();
    }
    if (draft != 7) {
      std::optional<uint64_t> c;
      count("minContains", c);
      if (c) n.min_contains = *c;
      count("maxContains", n.max_contains);
    }

    count("minProperties", n.min_properties);
    count("maxProperties", n.max_properties);
    if (get("required", v)) {
      if (!v.is_array()) fail(doc, at("required"), "required must be an array of strings");
      for (element x : as_array(v)) {
        std::string_view name;
        if (x.get(name)) fail(doc, at("required"), "required must be an array of strings");
        n.required.push_back(n.add_key(name));
      }
    }
    auto dep_required = [&](std::string_view kw, std::string_view trigger, element list) {
      DependentRequired d;
      d.keyword = kw == "dependencies" ? "dependencies" : "dependentRequired";
      d.trigger = n.add_key(trigger);
      for (element x : as_array(list)) {
        std::string_view name;
        if (x.get(name)) fail(doc, at(kw) + "/" + pointer_escape(trigger), "must be an array of strings");
        d.required.push_back(n.add_key(name));
      }
      n.dependent_required.push_back(std::move(d));
    };
    if (draft != 7 && get("dependentRequired", v)) {
      if (!v.is_object()) fail(doc, at("dependentRequired"), "dependentRequired must be an object");
      for (auto [k, list] : as_object(v)) {
        if (!list.is_array()) fail(doc, at("dependentRequired") + "/" + pointer_escape(k), "must be an array of strings");
        dep_required("dependentRequired", k, list);
      }
    }
    // draft-07 `dependencies`; 2020-12 replaced it by dependentRequired/dependentSchemas and ignores it
    if (draft == 7 && get("dependencies", v)) {
      if (!v.is_object()) fail(doc, at("dependencies"), "dependencies must be an object");
      for (auto [k, dep] : as_object(v)) {
        if (dep.is_array()) {
          dep_required("dependencies", k, dep);
        } else {
          uint32_t trigger = n.add_key(k);
          n.dependent_schemas.push_back({trigger, compile_at(doc, at("dependencies") + "/" + pointer_escape(k), dep, base)});
        }
      }
    }
  }

  if ((vocab & kVocabFormat) && get("format", v)) {
    std::string_view f;
    if (v.get(f)) fail(doc, at("format"), "format must be a string");
    if (options_.assert_formats) {
      n.format = format_from_name(f);
      n.format_name = std::string(f);
    }
  }

  if (applicator) {
    if (get("properties", v)) {
      if (!v.is_object()) fail(doc, at("properties"), "properties must be an object of schemas");
      for (auto [k, s] : as_object(v)) {
        uint32_t idx = n.add_key(k);
        n.keys[idx].property = compile_at(doc, at("properties") + "/" + pointer_escape(k), s, base);
      }
    }
    if (get("patternProperties", v)) {
      if (!v.is_object()) fail(doc, at("patternProperties"), "patternProperties must be an object of schemas");
      for (auto [k, s] : as_object(v)) {
        std::string err;
        auto re = Regex::compile(k, err);
        std::string where = at("patternProperties") + "/" + pointer_escape(k);
        if (!re) fail(doc, where, "invalid regular expression \"" + std::string(k) + "\": " + err);
        n.pattern_properties.push_back({re.get(), compile_at(doc, where, s, base)});
        out_->regexes.push_back(std::move(re));
      }
    }
    if (get("additionalProperties", v)) n.additional_properties = sub("additionalProperties", v);
    if (get("propertyNames", v)) n.property_names = sub("propertyNames", v);
    if (draft != 7 && get("dependentSchemas", v)) {
      if (!v.is_object()) fail(doc, at("dependentSchemas"), "dependentSchemas must be an object of schemas");
      for (auto [k, s] : as_object(v)) {
        uint32_t trigger = n.add_key(k);
        n.dependent_schemas.push_back({trigger, compile_at(doc, at("dependentSchemas") + "/" + pointer_escape(k), s, base)});
      }
    }

    element items;
    bool has_items = get("items", items);
    if (draft == 7 || (has_items && items.is_array())) {
      if (has_items && items.is_array()) {
        size_t i = 0;
        for (element s : as_array(items)) {
          n.prefix_items.push_back(compile_at(doc, at("items") + "/" + std::to_string(i), s, base));
          i++;
        }
        if (get("additionalItems", v)) n.items = sub("additionalItems", v);
      } else if (has_items) {
        n.items = sub("items", items);
      }
    } else {
      if (get("prefixItems", v)) {
        if (!v.is_array()) fail(doc, at("prefixItems"), "prefixItems must be an array of schemas");
        n.prefix_items = subs_array("prefixItems", v);
      }
      if (has_items) n.items = sub("items", items);
    }
    if (get("contains", v)) n.contains = sub("contains", v);

    if (get("allOf", v)) n.all_of = subs_array("allOf", v);
    if (get("anyOf", v)) n.any_of = subs_array("anyOf", v);
    if (get("oneOf", v)) n.one_of = subs_array("oneOf", v);
    if (get("not", v)) n.not_ = sub("not", v);
    if (get("if", v)) {
      n.if_ = sub("if", v);
      if (get("then", v)) n.then_ = sub("then", v);
      if (get("else", v)) n.else_ = sub("else", v);
    }
  }
  if (draft != 7 && (vocab & kVocabUnevaluated)) {
    if (get("unevaluatedProperties", v)) n.unevaluated_properties = sub("unevaluatedProperties", v);
    if (get("unevaluatedItems", v)) n.unevaluated_items = sub("unevaluatedItems", v);
  }
  if (get("default", v)) n.default_value = v;

  n.has_string_kw = n.min_length || n.max_length || n.pattern || n.format != Format::none;
  n.has_array_kw = n.min_items || n.max_items || n.unique_items || !n.prefix_items.empty() || n.items || n.contains;
  n.has_object_kw = n.min_properties || n.max_properties || !n.keys.empty() || !n.pattern_properties.empty() ||
                    n.additional_properties || n.property_names;
  n.has_applicators = !n.all_of.empty() || !n.any_of.empty() || !n.one_of.empty() || n.not_ || n.if_ ||
                      !n.dependent_schemas.empty();
  n.has_unevaluated = n.unevaluated_properties || n.unevaluated_items;
  n.is_leaf = !n.ref && !n.dynamic_ref && !n.has_array_kw && !n.has_object_kw && !n.has_applicators &&
              !n.has_unevaluated;
  n.build_key_index();
  if (n.keys.size() <= 64)
    for (uint32_t r : n.required) n.required_mask |= uint64_t(1) << r;
  if (n.has_enum) {
    n.enum_strings_only = true;
    for (element x : n.enum_values) {
      std::string_view sv;
      if (x.get(sv)) n.enum_strings_only = false;
      else n.enum_strings.push_back(sv);
    }
  }
}

uint64_t hash_key(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint32_t Node::add_key(std::string_view name) {
  for (size_t i = 0; i < keys.size(); i++)
    if (keys[i].name == name) return static_cast<uint32_t>(i);
  keys.push_back(KeyEntry{std::string(name), nullptr});
  return static_cast<uint32_t>(keys.size() - 1);
}

void Node::build_key_index() {
  if (keys.empty()) return;
  size_t cap = 4;
  unsigned bits = 2;
  while (cap < keys.size() * 2) {
    cap <<= 1;
    bits++;
  }
  // Look for a seed that puts every key in its own slot, so a lookup is one compare.
  for (int attempt = 0; attempt < 3; attempt++, cap <<= 1, bits++) {
    key_shift = 64 - bits;
    for (uint64_t seed = 1; seed <= 256; seed++) {
      key_slots.assign(cap, -1);
      bool perfect = true;
      for (size_t i = 0; i < keys.size() && perfect; i++) {
        size_t h = slot_hash(keys[i].name, seed) >> key_shift;
        if (key_slots[h] >= 0) perfect = false;
        else key_slots[h] = static_cast<int32_t>(i);
      }
      if (perfect) {
        key_seed = seed;
        return;
      }
    }
  }
  key_seed = 0;
  cap >>= 1;
  bits--;
  key_shift = 64 - bits;
  key_slots.assign(cap, -1);
  for (size_t i = 0; i < keys.size(); i++) {
    size_t h = slot_hash(keys[i].name, key_seed) >> key_shift;
    while (key_slots[h] >= 0) h = (h + 1) & (cap - 1);
    key_slots[h] = static_cast<int32_t>(i);
  }
}

// ---- Validator construction

int Validator::draft() const { return schema_ ? schema_->draft : 0; }

Validator Validator::from_text(std::string_view json, const std::string& name, const CompileOptions& options) {
  Compiler c(options, name);
  std::string base = "file://" + (std::filesystem::current_path() / "").string();
  Validator v;
  v.schema_ = c.compile(json, base);
  return v;
}

Validator Validator::from_file(const std::string& path, const CompileOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("schema " + path + ": cannot open: " + errno_text(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  Compiler c(options, path);
  std::string base = "file://" + std::filesystem::absolute(path).lexically_normal().string();
  Validator v;
  v.schema_ = c.compile(ss.str(), base);
  return v;
}

}  // namespace sp::schema
