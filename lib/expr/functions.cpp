#include "expr/functions.h"

#include <cmath>

#include "expr/ops.h"

namespace sp::expr {
namespace {

std::span<const FunctionDef> (*const kFamilies[])() = {string_functions, number_functions, time_functions,
                                                         hash_functions,   net_functions,    type_functions};

}  // namespace

const FunctionDef* find_function(std::string_view name) {
  for (auto family : kFamilies)
    for (const FunctionDef& f : family())
      if (name == f.name) return &f;
  return nullptr;
}

std::vector<std::string_view> function_names() {
  std::vector<std::string_view> out;
  for (auto family : kFamilies)
    for (const FunctionDef& f : family()) out.push_back(f.name);
  return out;
}

bool arg_string(Context& cx, const Value* a, size_t i, std::string_view& out) {
  if (a[i].type == Type::String) {
    out = a[i].text;
    return true;
  }
  cx.type_fail(i, a[i], "a string");
  return false;
}

bool arg_number(Context& cx, const Value* a, size_t i, double& out) {
  if (a[i].type == Type::Number) {
    out = a[i].number;
    return true;
  }
  cx.type_fail(i, a[i], "a number");
  return false;
}

bool arg_int(Context& cx, const Value* a, size_t i, int64_t& out) {
  if (a[i].type == Type::Number && std::fabs(a[i].number) < 9.2e18) {
    out = static_cast<int64_t>(a[i].number);
    return true;
  }
  cx.type_fail(i, a[i], "a number");
  return false;
}

bool arg_duration(Context& cx, const Value* a, size_t i, int64_t& out) {
  if (a[i].type == Type::Duration) {
    out = a[i].nanos;
    return true;
  }
  cx.type_fail(i, a[i], "a duration (like 5m)");
  return false;
}

bool arg_time(Context& cx, const Value* a, size_t i, int64_t& out) {
  auto t = as_time(a[i]);
  if (t) {
    out = *t;
    return true;
  }
  if (a[i].type == Type::String)
    cx.fail("argument " + std::to_string(i + 1) + " is not an RFC 3339 time: '" +
            std::string(a[i].text.substr(0, 40)) + "'");
  else
    cx.type_fail(i, a[i], "a time (RFC 3339 text or epoch seconds/milliseconds)");
  return false;
}

}  // namespace sp::expr
