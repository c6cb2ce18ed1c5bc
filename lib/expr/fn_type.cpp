// Type inspection and conversion.
#include <charconv>
#include <cmath>

#include "expr/functions.h"

namespace sp::expr {
namespace {

Value f_type_of(Context&, const Value* a, size_t) { return Value::of_string(type_name(a[0].type)); }

// Text must be a whole number in JSON syntax (surrounding blanks allowed), e.g. "42", "-1.5e3".
Value f_to_number(Context& cx, const Value* a, size_t) {
  const Value& v = a[0];
  switch (v.type) {
    case Type::Number: return v;
    case Type::Bool: return Value::of_number(v.boolean ? 1 : 0);
    case Type::Duration: return Value::of_number(static_cast<double>(v.nanos) / 1e9);
    case Type::Time: return Value::of_number(static_cast<double>(v.nanos) / 1e9);
    case Type::String: {
      std::string_view s = v.text;
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      double d;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(d) ||
          s.front() == '.' || (s.size() > 1 && s[0] == '-' && s[1] == '.'))
        return cx.fail("'" + std::string(v.text.substr(0, 40)) + "' is not a number");
      return Value::of_number(d);
    }
    default: return cx.type_fail(0, v, "a string, number or boolean");
  }
}

Value f_to_string(Context& cx, const Value* a, size_t) {
  if (a[0].type == Type::String) return a[0];
  std::string& b = cx.buffer();
  append_text(b, a[0]);
  return cx.string_result(b);
}

template <Type T>
Value f_is(Context&, const Value* a, size_t) { return Value::of_bool(a[0].type == T); }

const FunctionDef kFunctions[] = {
    {.name = "type_of", .signature = "type_of(x)", .min_args = 1, .max_args = 1, .impl = f_type_of, .takes_nulls = true, .returns = Type::String},
    {.name = "to_number", .signature = "to_number(x)", .min_args = 1, .max_args = 1, .impl = f_to_number, .returns = Type::Number},
    {.name = "to_string", .signature = "to_string(x)", .min_args = 1, .max_args = 1, .impl = f_to_string, .returns = Type::String},
    {.name = "is_number", .signature = "is_number(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Number>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_string", .signature = "is_string(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::String>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_bool", .signature = "is_bool(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Bool>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_null", .signature = "is_null(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Null>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_array", .signature = "is_array(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Array>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_object", .signature = "is_object(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Object>, .takes_nulls = true, .returns = Type::Bool},
    {.name = "is_time", .signature = "is_time(x)", .min_args = 1, .max_args = 1, .impl = f_is<Type::Time>, .takes_nulls = true, .returns = Type::Bool},
};

}  // namespace

std::span<const FunctionDef> type_functions() { return kFunctions; }

}  // namespace sp::expr
