// String functions. Lengths and positions count UTF-8 characters; case mapping is ASCII only.
#include "expr/functions.h"
#include "expr/ops.h"

namespace sp::expr {
namespace {

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !continuation(c);
  return n;
}

// Byte offset of character `n` (or s.size()).
size_t char_offset(std::string_view s, size_t n) {
  size_t i = 0;
  while (i < s.size() && n > 0) {
    ++i;
    while (i < s.size() && continuation(s[i])) ++i;
    --n;
  }
  return i;
}

template <bool Upper>
Value f_case(Context& cx, const Value* a, size_t) {
  std::string_view s;
  if (!arg_string(cx, a, 0, s)) return {};
  char from = Upper ? 'a' : 'A';
  size_t first = 0;
  while (first < s.size() && !(s[first] >= from && s[first] <= from + 25)) ++first;
  if (first == s.size()) return a[0];  // nothing to change: no copy
  std::string& b = cx.buffer();
  b.assign(s);
  for (size_t i = first; i < b.size(); ++i)
    if (b[i] >= from && b[i] <= from + 25) b[i] = static_cast<char>(b[i] + ('A' - 'a') * (Upper ? 1 : -1));
  return cx.string_result(b);
}

Value f_length(Context& cx, const Value* a, size_t) {
  if (a[0].type == Type::String) return Value::of_number(static_cast<double>(count_chars(a[0].text)));
  if (a[0].type == Type::Array || a[0].type == Type::Object) {
    simdjson::dom::element e;
    if (!cx.parse_json(a[0].text, e)) return cx.fail("malformed JSON");
    size_t n = a[0].type == Type::Array ? e.get_array().value_unsafe().size() : e.get_object().value_unsafe().size();
    return Value::of_number(static_cast<double>(n));
  }
  return cx.type_fail(0, a[0], "a string or an array");
}

Value f_substr(Context& cx, const Value* a, size_t n) {
  std::string_view s;
  int64_t start, count;
  if (!arg_string(cx, a, 0, s) || !arg_int(cx, a, 1, start)) return {};
  int64_t chars = static_cast<int64_t>(count_chars(s));
  if (n > 2) {
    if (!arg_int(cx, a, 2, count)) return {};
    if (count < 0) return cx.fail("the length must not be negative");
  } else {
    count = chars;
  }
  int64_t from = start > 0 ? start - 1 : start < 0 ? std::max<int64_t>(0, chars + start) : 0;
  if (from >= chars) return Value::of_string({});
  int64_t to = count > chars - from ? chars : from + count;
  size_t b = char_offset(s, static_cast<size_t>(from));
  size_t e = b + char_offset(s.substr(b), static_cast<size_t>(to - from));
  return Value::of_string(s.substr(b, e - b));
}

template <int Sides>  // 1 left, 2 right, 3 both
Value f_trim(Context& cx, const Value* a, size_t n) {
  std::string_view s, set = " \t\n\r\f\v";
  if (!arg_string(cx, a, 0, s)) return {};
  if (n > 1 && !arg_string(cx, a, 1, set)) return {};
  if (Sides & 1) {
    size_t i = s.find_first_not_of(set);
    s.remove_prefix(i == std::string_view::npos ? s.size() : i);
  }
  if (Sides & 2) {
    size_t i = s.find_last_not_of(set);
    s = s.substr(0, i == std::string_view::npos ? 0 : i + 1);
  }
  return Value::of_string(s);
}

Value f_split(Context& cx, const Value* a, size_t) {
  std::string_view s, sep;
  if (!arg_string(cx, a, 0, s) || !arg_string(cx, a, 1, sep)) return {};
  if (sep.empty()) return cx.fail("the separator must not be empty");
  std::string& b = cx.buffer();
  b += '[';
  for (size_t pos = 0;;) {
    size_t next = s.find(sep, pos);
    if (pos > 0) b += ',';  // pos is 0 only for the first piece
    if (next == std::string_view::npos) {
      append_json_string(b, s.substr(pos));
      break;
    }
    append_json_string(b, s.substr(pos, next - pos));
    pos = next + sep.size();
  }
  b += ']';
  return Value::of_array(cx.keep(b));
}

Value f_concat(Context& cx, const Value* a, size_t n) {
  std::string& b = cx.buffer();
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_null()) continue;
    append_text(b, a[i]);
  }
  return cx.string_result(b);
}

Value f_replace(Context& cx, const Value* a, size_t) {
  std::string_view s, from, to;
  if (!arg_string(cx, a, 0, s) || !arg_string(cx, a, 1, from) || !arg_string(cx, a, 2, to)) return {};
  if (from.empty() || s.find(from) == std::string_view::npos) return a[0];
  std::string& b = cx.buffer();
  for (size_t pos = 0;;) {
    size_t next = s.find(from, pos);
    if (next == std::string_view::npos) {
      b.append(s.substr(pos));
      break;
    }
    b.append(s.substr(pos, next - pos));
    b.append(to);
    pos = next + from.size();
  }
  return cx.string_result(b);
}

Value f_starts_with(Context& cx, const Value* a, size_t) {
  std::string_view s, p;
  if (!arg_string(cx, a, 0, s) || !arg_string(cx, a, 1, p)) return {};
  return Value::of_bool(s.starts_with(p));
}

Value f_ends_with(Context& cx, const Value* a, size_t) {
  std::string_view s, p;
  if (!arg_string(cx, a, 0, s) || !arg_string(cx, a, 1, p)) return {};
  return Value::of_bool(s.ends_with(p));
}

// contains(text, part), or contains(array, value): an element equal to value.
Value f_contains(Context& cx, const Value* a, size_t) {
  if (a[0].type == Type::Array) {
    simdjson::dom::element e;
    if (!cx.parse_json(a[0].text, e)) return cx.fail("malformed JSON");
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) return cx.fail("malformed JSON");
    for (simdjson::dom::element x : arr)
      if (compare(cx.from_dom(x), a[1]) == Cmp::Equal) return Value::of_bool(true);
    return Value::of_bool(false);
  }
  std::string_view s, p;
  if (a[0].type != Type::String) return cx.type_fail(0, a[0], "a string or an array");
  if (!arg_string(cx, a, 0, s) || !arg_string(cx, a, 1, p)) return {};
  return Value::of_bool(s.find(p) != std::string_view::npos);
}

const FunctionDef kFunctions[] = {
    {.name = "lower", .signature = "lower(s)", .min_args = 1, .max_args = 1, .impl = f_case<false>, .returns = Type::String},
    {.name = "upper", .signature = "upper(s)", .min_args = 1, .max_args = 1, .impl = f_case<true>, .returns = Type::String},
    {.name = "length", .signature = "length(s)", .min_args = 1, .max_args = 1, .impl = f_length, .returns = Type::Number},
    {.name = "substr", .signature = "substr(s, start[, length])", .min_args = 2, .max_args = 3, .impl = f_substr, .returns = Type::String},
    {.name = "trim", .signature = "trim(s[, chars])", .min_args = 1, .max_args = 2, .impl = f_trim<3>, .returns = Type::String},
    {.name = "ltrim", .signature = "ltrim(s[, chars])", .min_args = 1, .max_args = 2, .impl = f_trim<1>, .returns = Type::String},
    {.name = "rtrim", .signature = "rtrim(s[, chars])", .min_args = 1, .max_args = 2, .impl = f_trim<2>, .returns = Type::String},
    {.name = "split", .signature = "split(s, separator)", .min_args = 2, .max_args = 2, .impl = f_split, .returns = Type::Array},
    {.name = "concat", .signature = "concat(a, b, ...)", .min_args = 1, .max_args = kVariadic, .impl = f_concat, .takes_nulls = true, .returns = Type::String},
    {.name = "replace", .signature = "replace(s, from, to)", .min_args = 3, .max_args = 3, .impl = f_replace, .returns = Type::String},
    {.name = "starts_with", .signature = "starts_with(s, prefix)", .min_args = 2, .max_args = 2, .impl = f_starts_with, .returns = Type::Bool},
    {.name = "ends_with", .signature = "ends_with(s, suffix)", .min_args = 2, .max_args = 2, .impl = f_ends_with, .returns = Type::Bool},
    {.name = "contains", .signature = "contains(s, part)", .min_args = 2, .max_args = 2, .impl = f_contains, .returns = Type::Bool},
};

}  // namespace

std::span<const FunctionDef> string_functions() { return kFunctions; }

}  // namespace sp::expr
