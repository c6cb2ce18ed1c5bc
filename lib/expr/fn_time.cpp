// Time functions. A "time" argument may be a time value, RFC 3339 text, or epoch
// seconds/milliseconds (see time.h); results are time values (written as RFC 3339 UTC text).
#include "expr/functions.h"
#include "expr/ops.h"
#include "expr/time.h"
#include "io/error.h"

namespace sp::expr {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

template <bool ForParsing>
std::unique_ptr<Prepared> check_format(const Node& call, const std::string& source) {
  if (call.kids.size() < 2) return nullptr;
  const Node& fmt = *call.kids[1];
  if (fmt.op != Op::Literal || fmt.value.type != Type::String) return nullptr;
  std::string err = check_time_format(fmt.value.text, ForParsing);
  if (!err.empty()) throw UsageError(err, source, fmt.pos);
  return nullptr;
}

Value f_now(Context& cx, const Value*, size_t) { return Value::of_time(cx.now()); }

Value f_parse_time(Context& cx, const Value* a, size_t n) {
  if (n == 1) {
    if (a[0].type != Type::String && a[0].type != Type::Number && a[0].type != Type::Time)
      return cx.type_fail(0, a[0], "RFC 3339 text or an epoch number");
    int64_t t;
    if (!arg_time(cx, a, 0, t)) return {};
    return Value::of_time(t);
  }
  std::string_view text, fmt;
  if (!arg_string(cx, a, 0, text) || !arg_string(cx, a, 1, fmt)) return {};
  auto t = parse_time_format(text, fmt);
  if (!t) return cx.fail("'" + std::string(text.substr(0, 40)) + "' does not match the format '" + std::string(fmt) + "'");
  return Value::of_time(*t);
}

Value f_format_time(Context& cx, const Value* a, size_t n) {
  int64_t t;
  if (!arg_time(cx, a, 0, t)) return {};
  std::string_view fmt = "%Y-%m-%dT%H:%M:%S.%LZ";
  if (n > 1 && !arg_string(cx, a, 1, fmt)) return {};
  std::string& b = cx.buffer();
  format_time(b, t, fmt);
  return cx.string_result(b);
}

Value f_time_floor(Context& cx, const Value* a, size_t) {
  int64_t t, d;
  if (!arg_time(cx, a, 0, t) || !arg_duration(cx, a, 1, d)) return {};
  if (d <= 0) return cx.fail("the duration must be positive");
  return Value::of_time(floor_div(t, d) * d);
}

Value f_epoch_ms(Context& cx, const Value* a, size_t) {
  int64_t t;
  if (!arg_time(cx, a, 0, t)) return {};
  return Value::of_number(static_cast<double>(floor_div(t, 1'000'000)));
}

const FunctionDef kFunctions[] = {
    {.name = "now", .signature = "now()", .min_args = 0, .max_args = 0, .impl = f_now, .pure = false, .returns = Type::Time},
    {.name = "parse_time", .signature = "parse_time(text[, format])", .min_args = 1, .max_args = 2, .impl = f_parse_time, .returns = Type::Time, .prepare = check_format<true>},
    {.name = "to_time", .signature = "to_time(x)", .min_args = 1, .max_args = 1, .impl = f_parse_time, .returns = Type::Time},
    {.name = "format_time", .signature = "format_time(t[, format])", .min_args = 1, .max_args = 2, .impl = f_format_time, .returns = Type::String, .prepare = check_format<false>},
    {.name = "time_floor", .signature = "time_floor(t, duration)", .min_args = 2, .max_args = 2, .impl = f_time_floor, .returns = Type::Time},
    {.name = "epoch_ms", .signature = "epoch_ms(t)", .min_args = 1, .max_args = 1, .impl = f_epoch_ms, .returns = Type::Number},
};

}  // namespace

std::span<const FunctionDef> time_functions() { return kFunctions; }

}  // namespace sp::expr
