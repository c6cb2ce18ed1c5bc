// The evaluator: checks an instance (simdjson DOM element) against compiled Nodes.
// Fast mode (no error list) stops at the first failure and allocates nothing once its
// per-thread scratch buffers are warm. Error mode goes on to collect up to max_errors,
// each with its instance path, schema path, keyword and message.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "schema/node.h"
#include "schema/uri.h"
#include "schema/validator.h"

namespace sp::schema {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

constexpr unsigned kMaxDepth = 1000;  // evaluation depth, a backstop for the stack

struct PathSegment {
  std::string_view key;
  size_t index = 0;
  bool is_index = false;
};

// Evaluated members/items of one instance, for unevaluatedProperties/unevaluatedItems:
// a bitmap in Ctx::pool (by offset, the pool may grow).
struct Ann {
  size_t offset = 0;
  size_t bits = 0;
};

struct Ctx {
  const CompiledSchema* schema = nullptr;
  std::vector<ValidationError>* errors = nullptr;
  size_t max_errors = 0;
  std::vector<PathSegment> path;
  std::vector<int> scope;
  std::vector<uint64_t> pool;
  size_t pool_top = 0;
  unsigned depth = 0;
  size_t hops = 0;  // evaluations on the current instance: more than there are nodes means a $ref cycle
  simdjson::dom::parser key_parser;
  std::string key_buf;
  std::vector<std::pair<uint64_t, uint32_t>> hashes;
  std::vector<element> items;

  bool collecting() const { return errors != nullptr; }
  bool full() const { return errors && max_errors && errors->size() >= max_errors; }

  size_t alloc(size_t bits) {
    size_t words = (bits + 63) / 64;
    size_t off = pool_top;
    pool_top += words;
    if (pool.size() < pool_top) pool.resize(std::max(pool_top, pool.size() * 2));
    std::fill(pool.begin() + static_cast<ptrdiff_t>(off), pool.begin() + static_cast<ptrdiff_t>(pool_top), 0);
    return off;
  }
  bool test(size_t off, size_t i) const { return pool[off + i / 64] >> (i % 64) & 1; }
  void set(size_t off, size_t i) { pool[off + i / 64] |= uint64_t(1) << (i % 64); }
};

Ctx& thread_ctx() {
  static thread_local Ctx ctx;
  return ctx;
}

// Releases pool words allocated after it was made.
struct PoolMark {
  Ctx& ctx;
  size_t top;
  explicit PoolMark(Ctx& c) : ctx(c), top(c.pool_top) {}
  ~PoolMark() { ctx.pool_top = top; }
};

// Enters a member or item of the instance: pushes its path segment (in error mode only)
// and restarts the count of in-place evaluations.
struct PathPush {
  Ctx& ctx;
  bool pushed;
  size_t hops;
  PathPush(Ctx& c, std::string_view key) : ctx(c), pushed(c.collecting()), hops(c.hops) {
    if (pushed) ctx.path.push_back({key, 0, false});
    ctx.hops = 0;
  }
  PathPush(Ctx& c, size_t index) : ctx(c), pushed(c.collecting()), hops(c.hops) {
    if (pushed) ctx.path.push_back({{}, index, true});
    ctx.hops = 0;
  }
  ~PathPush() {
    if (pushed) ctx.path.pop_back();
    ctx.hops = hops;
  }
};

// Runs sub-evaluations whose failures are not themselves errors (anyOf branches, not, if, contains).
struct Quiet {
  Ctx& ctx;
  std::vector<ValidationError>* saved;
  explicit Quiet(Ctx& c) : ctx(c), saved(c.errors) { ctx.errors = nullptr; }
  ~Quiet() { ctx.errors = saved; }
};

std::string instance_path(const Ctx& ctx) {
  std::string p;
  for (const PathSegment& s : ctx.path) {
    p += '/';
    if (s.is_index) p += std::to_string(s.index);
    else p += pointer_escape(s.key);
  }
  return p;
}

void append_quoted(std::string& out, std::string_view s, size_t limit = 64) {
  out += '"';
  size_t n = 0;
  for (unsigned char c : s) {
    if (n++ >= limit) {
      out += "...";
      break;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string quote_text(std::string_view s, size_t limit = 64) {
  std::string out;
  append_quoted(out, s, limit);
  return out;
}

std::string json_text(element e, size_t limit = 80) {
  std::string s = simdjson::minify(e);
  if (s.size() > limit) s = s.substr(0, limit) + "...";
  return s;
}

const char* type_name(element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return "null";
    case element_type::BOOL: return "boolean";
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: {
      double d = e.get_double().value();
      return d == std::floor(d) ? "integer" : "number";
    }
    case element_type::STRING: return "string";
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
  }
  return "value";
}

// `string "500"`, `integer 5`, `object`.
std::string describe(element e) {
  std::string out = type_name(e);
  switch (e.type()) {
    case element_type::STRING:
      out += ' ';
      append_quoted(out, e.get_string().value());
      break;
    case element_type::ARRAY:
    case element_type::OBJECT:
      break;
    default:
      out += ' ';
      out += json_text(e);
  }
  return out;
}

std::string types_text(uint8_t types) {
  static const char* names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};
  std::string out;
  int count = 0, total = __builtin_popcount(types);
  for (int i = 0; i < 7; i++) {
    if (!(types & (1 << i))) continue;
    if (count) out += count + 1 == total ? " or " : ", ";
    out += names[i];
    count++;
  }
  return out;
}

uint8_t type_bits(element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return kNull;
    case element_type::BOOL: return kBoolean;
    case element_type::INT64:
    case element_type::UINT64: return kInteger | kNumber;
    case element_type::DOUBLE: {
      double d = e.get_double().value();
      return d == std::floor(d) && std::isfinite(d) ? kInteger | kNumber : kNumber;
    }
    case element_type::STRING: return kString;
    case element_type::ARRAY: return kArray;
    case element_type::OBJECT: return kObject;
  }
  return 0;
}

// Sign of (instance - bound).
int compare(element e, const Num& n) {
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = e.get_int64().value();
      if (n.is_int) return v < n.i ? -1 : v > n.i;
      double d = static_cast<double>(v);
      return d < n.d ? -1 : d > n.d;
    }
    case element_type::UINT64: {
      uint64_t v = e.get_uint64().value();
      if (n.is_int) return n.i < 0 ? 1 : (v < static_cast<uint64_t>(n.i) ? -1 : v > static_cast<uint64_t>(n.i));
      double d = static_cast<double>(v);
      return d < n.d ? -1 : d > n.d;
    }
    default: {
      double d = e.get_double().value();
      return d < n.d ? -1 : d > n.d;
    }
  }
}

bool is_multiple(element e, const Num& m) {
  if (e.type() == element_type::INT64 && m.is_int) {
    int64_t v = e.get_int64().value();
    if (m.i == -1 || m.i == 1) return true;
    return v % m.i == 0;
  }
  double x = e.get_double().value();
  double q = x / m.d;
  if (!std::isfinite(q)) return std::fmod(x, m.d) == 0;  // fmod is exact where the quotient overflows
  double r = std::nearbyint(q);
  return std::fabs(q - r) <= 1e-9 * std::max(1.0, std::fabs(r));
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool fail_impl(Ctx& ctx, const Node* n, std::string_view keyword, std::string message) {
  if (ctx.full()) return false;
  ValidationError err;
  err.instance_path = instance_path(ctx);
  err.schema_path = n->location;
  if (!keyword.empty()) {
    err.schema_path += '/';
    err.schema_path += keyword;
  }
  err.keyword = keyword.empty() ? std::string("false") : std::string(keyword);
  err.message = std::move(message);
  ctx.errors->push_back(std::move(err));
  return false;
}

// Builds the message and records the error out of line, so that the evaluator's frames stay
// small (they nest once per level of the instance).
template <class MakeMessage>
[[gnu::noinline, gnu::cold]] void report(Ctx& ctx, const Node* n, std::string_view keyword, MakeMessage&& make) {
  fail_impl(ctx, n, keyword, make());
}

// Records a failure: in fast mode returns false from the evaluating function at once;
// in error mode records the error and goes on until max_errors.
#define FAIL(keyword, message)                                            \
  do {                                                                    \
    if (!ctx.collecting()) return false;                                  \
    ok = false;                                                           \
    report(ctx, n, keyword, [&]() -> std::string { return message; });   \
    if (ctx.full()) return false;                                         \
  } while (0)

#define CHECK(expr)                             \
  do {                                          \
    if (!(expr)) {                              \
      if (!ctx.collecting() || ctx.full()) return false; \
      ok = false;                               \
    }                                           \
  } while (0)

bool eval(const Node* n, element inst, Ctx& ctx, Ann* ann);

bool unique_items(array arr, Ctx& ctx) {
  size_t size = arr.size();
  if (size < 2) return true;
  if (size <= 16) {
    ctx.items.clear();
    for (element x : arr) ctx.items.push_back(x);
    for (size_t i = 0; i < ctx.items.size(); i++)
      for (size_t j = i + 1; j < ctx.items.size(); j++)
        if (json_equal(ctx.items[i], ctx.items[j])) return false;
    return true;
  }
  ctx.items.clear();
  ctx.hashes.clear();
  for (element x : arr) {
    ctx.hashes.emplace_back(json_hash(x), static_cast<uint32_t>(ctx.items.size()));
    ctx.items.push_back(x);
  }
  std::sort(ctx.hashes.begin(), ctx.hashes.end());
  for (size_t i = 0; i < ctx.hashes.size(); i++)
    for (size_t j = i + 1; j < ctx.hashes.size() && ctx.hashes[j].first == ctx.hashes[i].first; j++)
      if (json_equal(ctx.items[ctx.hashes[i].second], ctx.items[ctx.hashes[j].second])) return false;
  return true;
}

[[gnu::noinline]] bool eval_string(const Node* n, std::string_view s, Ctx& ctx) {
  bool ok = true;
  // Code points lie between bytes/4 and bytes: count them only when that range is not enough.
  if ((n->max_length && s.size() > *n->max_length) || (n->min_length && s.size() / 4 < *n->min_length)) {
    size_t len = code_points(s);
    if (n->min_length && len < *n->min_length)
      FAIL("minLength", "string is shorter than " + std::to_string(*n->min_length) + " characters (" +
                            std::to_string(len) + ")");
    if (n->max_length && len > *n->max_length)
      FAIL("maxLength", "string is longer than " + std::to_string(*n->max_length) + " characters (" +
                            std::to_string(len) + ")");
  }
  if (n->pattern && !n->pattern->search(s)) {
    FAIL("pattern", "string " + quote_text(s) + " does not match pattern " + quote_text(n->pattern->source(), 200));
  }
  if (n->format != Format::none && !check_format(n->format, s)) {
    FAIL("format", "string " + quote_text(s) + " is not a valid " + n->format_name);
  }
  return ok;
}

[[gnu::noinline]] bool eval_number(const Node* n, element inst, Ctx& ctx) {
  bool ok = true;
  if (n->minimum && compare(inst, *n->minimum) < 0)
    FAIL("minimum", "value " + json_text(inst) + " is less than minimum " + json_text(n->minimum->source));
  if (n->maximum && compare(inst, *n->maximum) > 0)
    FAIL("maximum", "value " + json_text(inst) + " is greater than maximum " + json_text(n->maximum->source));
  if (n->exclusive_minimum && compare(inst, *n->exclusive_minimum) <= 0)
    FAIL("exclusiveMinimum", "value " + json_text(inst) + " is not greater than exclusiveMinimum " +
                                 json_text(n->exclusive_minimum->source));
  if (n->exclusive_maximum && compare(inst, *n->exclusive_maximum) >= 0)
    FAIL("exclusiveMaximum", "value " + json_text(inst) + " is not less than exclusiveMaximum " +
                                 json_text(n->exclusive_maximum->source));
  if (n->multiple_of && !is_multiple(inst, *n->multiple_of))
    FAIL("multipleOf", "value " + json_text(inst) + " is not a multiple of " + json_text(n->multiple_of->source));
  return ok;
}

[[gnu::noinline]] bool eval_array(const Node* n, array arr, Ctx& ctx, Ann* ann) {
  bool ok = true;
  size_t size = arr.size();
  if (n->min_items && size < *n->min_items)
    FAIL("minItems", "array has " + std::to_string(size) + " items, fewer than " + std::to_string(*n->min_items));
  if (n->max_items && size > *n->max_items)
    FAIL("maxItems", "array has " + std::to_string(size) + " items, more than " + std::to_string(*n->max_items));
  if (n->unique_items && !unique_items(arr, ctx)) FAIL("uniqueItems", "array items are not unique");
  if (!n->prefix_items.empty() || n->items) {
    size_t i = 0;
    for (element item : arr) {
      const Node* s = i < n->prefix_items.size() ? n->prefix_items[i] : n->items;
      if (!s) break;
      PathPush push(ctx, i);
      CHECK(eval(s, item, ctx, nullptr));
      if (ann) ctx.set(ann->offset, i);
      i++;
    }
  }
  if (n->contains) {
    uint64_t matches = 0;
    size_t i = 0;
    {
      Quiet quiet(ctx);
      for (element item : arr) {
        PathPush push(ctx, i);
        if (eval(n->contains, item, ctx, nullptr)) {
          matches++;
          if (ann) ctx.set(ann->offset, i);
          else if (!n->max_contains && matches >= n->min_contains) break;
        }
        i++;
      }
    }
    if (matches < n->min_contains) {
      if (n->min_contains == 1) FAIL("contains", "no array item matches the contains schema");
      else
        FAIL(n->draft == 7 ? "contains" : "minContains",
             std::to_string(matches) + " array items match the contains schema, fewer than " +
                 std::to_string(n->min_contains));
    }
    if (n->max_contains && matches > *n->max_contains)
      FAIL("maxContains", std::to_string(matches) + " array items match the contains schema, more than " +
                              std::to_string(*n->max_contains));
  }
  return ok;
}

// Validates an object key against propertyNames: the key becomes a string instance.
[[gnu::noinline]] bool eval_property_name(const Node* schema, std::string_view key, Ctx& ctx) {
  std::string buf;
  append_quoted(buf, key, SIZE_MAX);
  element e;
  if (ctx.key_parser.parse(buf).get(e)) return false;
  return eval(schema, e, ctx, nullptr);
}

[[gnu::noinline]] bool eval_object(const Node* n, object obj, Ctx& ctx, Ann* ann) {
  bool ok = true;
  if (n->min_properties || n->max_properties) {
    size_t size = obj.size();
    if (n->min_properties && size < *n->min_properties)
      FAIL("minProperties", "object has " + std::to_string(size) + " properties, fewer than " +
                                std::to_string(*n->min_properties));
    if (n->max_properties && size > *n->max_properties)
      FAIL("maxProperties", "object has " + std::to_string(size) + " properties, more than " +
                                std::to_string(*n->max_properties));
  }
  PoolMark mark(ctx);
  size_t present = 0;
  uint64_t present_bits = 0;  // when keys.size() <= 64
  const bool small = n->keys.size() <= 64;
  bool track = !n->required.empty() || !n->dependent_required.empty() || !n->dependent_schemas.empty();
  if (track && !small) present = ctx.alloc(n->keys.size());
  auto has = [&](uint32_t k) { return small ? (present_bits >> k & 1) != 0 : ctx.test(present, k); };
  size_t i = 0;
  // A named field, not a structured binding: the FAIL lambdas capture `key`, which clang
  // before 16 refuses for bindings (the fuzz build is clang).
  for (auto field : obj) {
    auto key = field.key;
    auto value = field.value;
    bool evaluated = false;
    if (!n->keys.empty()) {
      int k = n->find_key(key);
      if (k >= 0) {
        if (small) present_bits |= uint64_t(1) << k;
        else if (track) ctx.set(present, static_cast<size_t>(k));
        if (const Node* prop = n->keys[k].property) {
          evaluated = true;
          PathPush push(ctx, key);
          CHECK(eval(prop, value, ctx, nullptr));
        }
      }
    }
    for (const PatternProperty& pp : n->pattern_properties) {
      if (!pp.regex->search(key)) continue;
      evaluated = true;
      PathPush push(ctx, key);
      CHECK(eval(pp.schema, value, ctx, nullptr));
    }
    if (!evaluated && n->additional_properties) {
      evaluated = true;
      const Node* ap = n->additional_properties;
      if (ap->is_bool && !ap->bool_value) {
        FAIL("additionalProperties", "property " + quote_text(key) + " is not allowed");
      } else {
        PathPush push(ctx, key);
        CHECK(eval(ap, value, ctx, nullptr));
      }
    }
    if (evaluated && ann) ctx.set(ann->offset, i);
    if (n->property_names) {
      PathPush push(ctx, key);
      if (!eval_property_name(n->property_names, key, ctx)) {
        FAIL("propertyNames", "property name " + quote_text(key) + " does not match propertyNames");
      }
    }
    i++;
  }
  if (track && !(small && (present_bits & n->required_mask) == n->required_mask && n->dependent_required.empty())) {
    for (uint32_t r : n->required) {
      if (!has(r)) {
        FAIL("required", "missing required property " + quote_text(n->keys[r].name));
      }
    }
    for (const DependentRequired& d : n->dependent_required) {
      if (!has(d.trigger)) continue;
      for (uint32_t r : d.required) {
        if (has(r)) continue;
        FAIL(d.keyword, "property " + quote_text(n->keys[d.trigger].name) + " requires property " + quote_text(n->keys[r].name));
      }
    }
  }
  (void)present;
  return ok;
}

bool eval_dependent_schemas(const Node* n, element inst, Ctx& ctx, Ann* ann) {
  object obj = as_object(inst);
  bool ok = true;
  for (const DependentSchema& d : n->dependent_schemas) {
    bool has = false;
    std::string_view trigger = n->keys[d.trigger].name;
    for (auto [key, value] : obj) {
      (void)value;
      if (key == trigger) {
        has = true;
        break;
      }
    }
    if (has) CHECK(eval(d.schema, inst, ctx, ann));
  }
  return ok;
}

// Runs `s` quietly with its own annotations; merges them into `ann` when it passes.
bool probe(const Node* s, element inst, Ctx& ctx, Ann* ann) {
  if (!ann) {
    Quiet quiet(ctx);
    return eval(s, inst, ctx, nullptr);
  }
  PoolMark mark(ctx);
  Ann tmp{ctx.alloc(ann->bits), ann->bits};
  bool passed;
  {
    Quiet quiet(ctx);
    passed = eval(s, inst, ctx, &tmp);
  }
  if (passed) {
    size_t words = (ann->bits + 63) / 64;
    for (size_t w = 0; w < words; w++) ctx.pool[ann->offset + w] |= ctx.pool[tmp.offset + w];
  }
  return passed;
}

[[gnu::noinline]] bool eval_applicators(const Node* n, element inst, Ctx& ctx, Ann* ann) {
  bool ok = true;
  for (const Node* s : n->all_of) CHECK(eval(s, inst, ctx, ann));
  if (!n->any_of.empty()) {
    bool any = false;
    for (const Node* s : n->any_of) {
      if (probe(s, inst, ctx, ann)) {
        any = true;
        if (!ann) break;
      }
    }
    if (!any) FAIL("anyOf", describe(inst) + " does not match any schema in anyOf");
  }
  if (!n->one_of.empty()) {
    size_t passed = 0;
    for (const Node* s : n->one_of) {
      if (probe(s, inst, ctx, passed == 0 ? ann : nullptr)) {
        if (++passed > 1) break;
      }
    }
    if (passed == 0) FAIL("oneOf", describe(inst) + " does not match any schema in oneOf");
    else if (passed > 1) FAIL("oneOf", describe(inst) + " matches more than one schema in oneOf");
  }
  if (n->not_) {
    bool passed;
    {
      Quiet quiet(ctx);
      passed = eval(n->not_, inst, ctx, nullptr);
    }
    if (passed) FAIL("not", describe(inst) + " must not match the schema in not");
  }
  if (n->if_) {
    if (probe(n->if_, inst, ctx, ann)) {
      if (n->then_) CHECK(eval(n->then_, inst, ctx, ann));
    } else if (n->else_) {
      CHECK(eval(n->else_, inst, ctx, ann));
    }
  }
  if (!n->dependent_schemas.empty() && inst.is_object()) CHECK(eval_dependent_schemas(n, inst, ctx, ann));
  return ok;
}

bool eval_node(const Node* n, element inst, Ctx& ctx, Ann* parent_ann) {
  bool ok = true;
  if (n->is_bool) {
    if (n->bool_value) return true;
    FAIL("", describe(inst) + " is not allowed here (the schema is false)");
    return ok;
  }

  // unevaluated*: collect what this schema and its in-place subschemas evaluate.
  PoolMark mark(ctx);
  Ann local;
  Ann* ann = parent_ann;
  element_type t = inst.type();
  bool uneval = n->has_unevaluated && ((n->unevaluated_properties && t == element_type::OBJECT) ||
                                       (n->unevaluated_items && t == element_type::ARRAY));
  if (uneval) {
    local.bits = t == element_type::OBJECT ? as_object(inst).size() : as_array(inst).size();
    local.offset = ctx.alloc(local.bits);
    ann = &local;
  }

  if (n->ref) CHECK(eval(n->ref, inst, ctx, ann));
  if (n->dynamic_ref) {
    const Node* target = n->dynamic_ref;
    if (!n->dynamic_anchor.empty()) {
      bool found = false;
      for (int r : ctx.scope) {
        for (const auto& [name, node] : ctx.schema->resources[r].dynamic_anchors) {
          if (name == n->dynamic_anchor) {
            target = node;
            found = true;
            break;
          }
        }
        if (found) break;
      }
    }
    CHECK(eval(target, inst, ctx, ann));
  }

  uint8_t bits = type_bits(inst);
  if (n->types && !(n->types & bits)) FAIL("type", "expected " + types_text(n->types) + ", got " + describe(inst));
  if (n->const_value && !json_equal(inst, *n->const_value))
    FAIL("const", describe(inst) + " is not the constant " + json_text(*n->const_value));
  if (n->has_enum) {
    bool found = false;
    if (n->enum_strings_only) {
      if (t == element_type::STRING) {
        std::string_view sv = inst.get_string().value();
        for (std::string_view e : n->enum_strings) {
          if (same_text(e, sv)) {
            found = true;
            break;
          }
        }
      }
    } else {
      for (element e : n->enum_values) {
        if (json_equal(inst, e)) {
          found = true;
          break;
        }
      }
    }
    if (!found) FAIL("enum", describe(inst) + " is not one of " + json_text(n->enum_source, 120));
  }

  switch (t) {
    case element_type::STRING:
      if (n->has_string_kw) CHECK(eval_string(n, inst.get_string().value(), ctx));
      break;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      if (n->has_number_kw) CHECK(eval_number(n, inst, ctx));
      break;
    case element_type::ARRAY:
      if (n->has_array_kw) CHECK(eval_array(n, as_array(inst), ctx, ann));
      break;
    case element_type::OBJECT:
      if (n->has_object_kw) CHECK(eval_object(n, as_object(inst), ctx, ann));
      break;
    default:
      break;
  }
  if (n->has_applicators) CHECK(eval_applicators(n, inst, ctx, ann));

  if (uneval) {
    if (t == element_type::OBJECT && n->unevaluated_properties) {
      size_t i = 0;
      for (auto field : as_object(inst)) {
        auto key = field.key;
        auto value = field.value;
        if (!ctx.test(local.offset, i)) {
          const Node* u = n->unevaluated_properties;
          if (u->is_bool && !u->bool_value) {
            FAIL("unevaluatedProperties", "property " + quote_text(key) + " is not allowed (unevaluatedProperties)");
          } else {
            PathPush push(ctx, key);
            CHECK(eval(u, value, ctx, nullptr));
          }
          ctx.set(local.offset, i);
        }
        i++;
      }
    } else if (t == element_type::ARRAY && n->unevaluated_items) {
      size_t i = 0;
      for (element item : as_array(inst)) {
        if (!ctx.test(local.offset, i)) {
          const Node* u = n->unevaluated_items;
          if (u->is_bool && !u->bool_value) {
            FAIL("unevaluatedItems", "array item " + std::to_string(i) + " is not allowed (unevaluatedItems)");
          } else {
            PathPush push(ctx, i);
            CHECK(eval(u, item, ctx, nullptr));
          }
          ctx.set(local.offset, i);
        }
        i++;
      }
    }
    if (ok && parent_ann) {
      size_t words = (local.bits + 63) / 64;
      for (size_t w = 0; w < words; w++) ctx.pool[parent_ann->offset + w] |= ctx.pool[local.offset + w];
    }
  }
  return ok;
}

// The fast path for the most common kind of subschema: `type`, `enum`, string and number bounds.
bool leaf_valid(const Node* n, element inst, Ctx& ctx) {
  element_type t = inst.type();
  if (n->types) {
    uint8_t bits;
    switch (t) {
      case element_type::STRING: bits = kString; break;
      case element_type::INT64:
      case element_type::UINT64: bits = kInteger | kNumber; break;
      default: bits = type_bits(inst);
    }
    if (!(n->types & bits)) return false;
  }
  if (n->has_enum || n->const_value) return eval_node(n, inst, ctx, nullptr);
  switch (t) {
    case element_type::STRING:
      return !n->has_string_kw || eval_string(n, inst.get_string().value(), ctx);
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return !n->has_number_kw || eval_number(n, inst, ctx);
    default:
      return true;
  }
}

bool eval(const Node* n, element inst, Ctx& ctx, Ann* ann) {
  if (n->is_leaf && !ctx.collecting()) return leaf_valid(n, inst, ctx);
  if (ctx.depth >= kMaxDepth || ctx.hops > ctx.schema->nodes.size()) {
    bool ok = true;
    FAIL("", "schema references recurse too deeply");
    return ok;
  }
  ctx.depth++;
  ctx.hops++;
  bool pushed = false;
  if (ctx.schema->uses_dynamic_scope && (ctx.scope.empty() || ctx.scope.back() != n->resource)) {
    ctx.scope.push_back(n->resource);
    pushed = true;
  }
  bool ok = eval_node(n, inst, ctx, ann);
  if (pushed) ctx.scope.pop_back();
  ctx.depth--;
  ctx.hops--;
  return ok;
}

void reset(Ctx& ctx, const CompiledSchema* schema) {
  ctx.schema = schema;
  ctx.errors = nullptr;
  ctx.max_errors = 0;
  ctx.path.clear();
  ctx.scope.clear();
  ctx.pool_top = 0;
  ctx.depth = 0;
  ctx.hops = 0;
}

}  // namespace

bool Validator::is_valid(element instance) const {
  Ctx& ctx = thread_ctx();
  reset(ctx, schema_.get());
  return eval(schema_->root, instance, ctx, nullptr);
}

bool Validator::validate(element instance, std::vector<ValidationError>& out, size_t max_errors) const {
  Ctx& ctx = thread_ctx();
  reset(ctx, schema_.get());
  ctx.errors = &out;
  ctx.max_errors = max_errors;
  size_t before = out.size();
  bool ok = eval(schema_->root, instance, ctx, nullptr);
  ctx.errors = nullptr;
  return ok && out.size() == before;
}

}  // namespace sp::schema
