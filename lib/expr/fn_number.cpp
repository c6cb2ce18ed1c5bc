// Number functions. Results that are not finite numbers (log(0), pow(10, 400)) are errors.
#include <cmath>

#include "expr/functions.h"
#include "expr/ops.h"

namespace sp::expr {
namespace {

Value finite(Context& cx, double r) {
  if (!std::isfinite(r)) return cx.fail("the result is not a finite number");
  return Value::of_number(r);
}

Value f_abs(Context& cx, const Value* a, size_t) {
  if (a[0].type == Type::Duration && a[0].nanos != INT64_MIN) return Value::of_duration(a[0].nanos < 0 ? -a[0].nanos : a[0].nanos);
  double x;
  if (!arg_number(cx, a, 0, x)) return {};
  return Value::of_number(std::fabs(x));
}

// Half away from zero, like SQL; round(x, n) keeps n decimals (n may be negative).
Value f_round(Context& cx, const Value* a, size_t n) {
  double x;
  if (!arg_number(cx, a, 0, x)) return {};
  if (n < 2) return Value::of_number(std::round(x));
  int64_t digits;
  if (!arg_int(cx, a, 1, digits)) return {};
  if (digits > 300 || digits < -300) return cx.fail("too many digits");
  double p = std::pow(10.0, static_cast<double>(digits));
  double scaled = x * p;
  if (!std::isfinite(scaled)) return Value::of_number(x);
  return finite(cx, std::round(scaled) / p);
}

template <double (*F)(double)>
Value f_unary(Context& cx, const Value* a, size_t) {
  double x;
  if (!arg_number(cx, a, 0, x)) return {};
  return finite(cx, F(x));
}

double floor_(double x) { return std::floor(x); }
double ceil_(double x) { return std::ceil(x); }
double exp_(double x) { return std::exp(x); }

template <double (*F)(double)>
Value f_log(Context& cx, const Value* a, size_t) {
  double x;
  if (!arg_number(cx, a, 0, x)) return {};
  if (x <= 0) return cx.fail("the argument must be positive");
  return Value::of_number(F(x));
}
double ln_(double x) { return std::log(x); }
double log10_(double x) { return std::log10(x); }

Value f_sqrt(Context& cx, const Value* a, size_t) {
  double x;
  if (!arg_number(cx, a, 0, x)) return {};
  if (x < 0) return cx.fail("the argument must not be negative");
  return Value::of_number(std::sqrt(x));
}

Value f_pow(Context& cx, const Value* a, size_t) {
  double x, y;
  if (!arg_number(cx, a, 0, x) || !arg_number(cx, a, 1, y)) return {};
  return finite(cx, std::pow(x, y));
}

// min(a, b, ...), max(a, b, ...): nulls are skipped (null only when all are null).
template <bool Max>
Value f_extreme(Context& cx, const Value* a, size_t n) {
  const Value* best = nullptr;
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_null()) continue;
    if (!best) {
      best = &a[i];
      continue;
    }
    Cmp c = compare(a[i], *best);
    if (c == Cmp::TypeError) return cx.fail("cannot compare values of different types");
    if (c == (Max ? Cmp::Greater : Cmp::Less)) best = &a[i];
  }
  return best ? *best : Value::null();
}

const FunctionDef kFunctions[] = {
    {.name = "abs", .signature = "abs(x)", .min_args = 1, .max_args = 1, .impl = f_abs},
    {.name = "round", .signature = "round(x[, digits])", .min_args = 1, .max_args = 2, .impl = f_round, .returns = Type::Number},
    {.name = "floor", .signature = "floor(x)", .min_args = 1, .max_args = 1, .impl = f_unary<floor_>, .returns = Type::Number},
    {.name = "ceil", .signature = "ceil(x)", .min_args = 1, .max_args = 1, .impl = f_unary<ceil_>, .returns = Type::Number},
    {.name = "exp", .signature = "exp(x)", .min_args = 1, .max_args = 1, .impl = f_unary<exp_>, .returns = Type::Number},
    {.name = "log", .signature = "log(x)", .min_args = 1, .max_args = 1, .impl = f_log<ln_>, .returns = Type::Number},
    {.name = "log10", .signature = "log10(x)", .min_args = 1, .max_args = 1, .impl = f_log<log10_>, .returns = Type::Number},
    {.name = "sqrt", .signature = "sqrt(x)", .min_args = 1, .max_args = 1, .impl = f_sqrt, .returns = Type::Number},
    {.name = "pow", .signature = "pow(x, y)", .min_args = 2, .max_args = 2, .impl = f_pow, .returns = Type::Number},
    {.name = "min", .signature = "min(a, b, ...)", .min_args = 2, .max_args = kVariadic, .impl = f_extreme<false>, .takes_nulls = true},
    {.name = "max", .signature = "max(a, b, ...)", .min_args = 2, .max_args = kVariadic, .impl = f_extreme<true>, .takes_nulls = true},
};

}  // namespace

std::span<const FunctionDef> number_functions() { return kFunctions; }

}  // namespace sp::expr
