#include "expr/ops.h"

#include <cmath>

#include "expr/time.h"

namespace sp::expr {
namespace {

template <class T>
Cmp order(T a, T b) {
  return a < b ? Cmp::Less : b < a ? Cmp::Greater : Cmp::Equal;
}

// Reads a string operand as a time, for operators where the other side is a time or duration.
bool coerce_time(Value& v) {
  if (v.type != Type::String) return true;
  auto t = parse_rfc3339(v.text);
  if (!t) return false;
  v = Value::of_time(*t);
  return true;
}

bool duration_from_double(double d, Value& out) {
  if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return false;
  out = Value::of_duration(std::llround(d));
  return true;
}

}  // namespace

std::optional<int64_t> as_time(const Value& v) {
  switch (v.type) {
    case Type::Time: return v.nanos;
    case Type::String: return parse_rfc3339(v.text);
    case Type::Number: return time_from_epoch_number(v.number);
    default: return std::nullopt;
  }
}

Cmp compare(const Value& a, const Value& b) {
  if (a.type == Type::Null || b.type == Type::Null) return Cmp::Null;
  if (a.type == b.type) {
    switch (a.type) {
      case Type::Number: return order(a.number, b.number);
      case Type::String: {
        int c = a.text.compare(b.text);
        return c < 0 ? Cmp::Less : c > 0 ? Cmp::Greater : Cmp::Equal;
      }
      case Type::Bool: return order(a.boolean, b.boolean);
      case Type::Time:
      case Type::Duration: return order(a.nanos, b.nanos);
      default: return Cmp::TypeError;
    }
  }
  if (a.type == Type::Time || b.type == Type::Time) {
    const Value& other = a.type == Type::Time ? b : a;
    if (other.type != Type::String && other.type != Type::Number) return Cmp::TypeError;
    auto t = as_time(other);
    if (!t) return Cmp::TypeError;
    return a.type == Type::Time ? order(a.nanos, *t) : order(*t, b.nanos);
  }
  return Cmp::TypeError;
}

ArithStatus arithmetic(Op op, const Value& a_in, const Value& b_in, Value& out) {
  out = Value::null();
  if (a_in.type == Type::Null || b_in.type == Type::Null) return ArithStatus::Null;
  if (a_in.type == Type::Number && b_in.type == Type::Number) {
    double x = a_in.number, y = b_in.number, r;
    switch (op) {
      case Op::Add: r = x + y; break;
      case Op::Sub: r = x - y; break;
      case Op::Mul: r = x * y; break;
      case Op::Div:
        if (y == 0) return ArithStatus::DivideByZero;
        r = x / y;
        break;
      case Op::Mod:
        if (y == 0) return ArithStatus::DivideByZero;
        r = std::fmod(x, y);
        break;
      default: return ArithStatus::TypeError;
    }
    if (!std::isfinite(r)) return ArithStatus::NotFinite;
    out = Value::of_number(r);
    return ArithStatus::Ok;
  }
  Value a = a_in, b = b_in;
  bool temporal = a.type == Type::Time || a.type == Type::Duration || b.type == Type::Time || b.type == Type::Duration;
  if (!temporal) return ArithStatus::TypeError;
  if (!coerce_time(a) || !coerce_time(b)) return ArithStatus::TypeError;
  int64_t r;
  Type ta = a.type, tb = b.type;
  auto overflow = [&] { return ArithStatus::NotFinite; };
  if (op == Op::Sub && ta == Type::Time && tb == Type::Time) {
    if (__builtin_sub_overflow(a.nanos, b.nanos, &r)) return overflow();
    out = Value::of_duration(r);
    return ArithStatus::Ok;
  }
  if ((op == Op::Add || op == Op::Sub) && ta == Type::Time && tb == Type::Duration) {
    if (op == Op::Add ? __builtin_add_overflow(a.nanos, b.nanos, &r) : __builtin_sub_overflow(a.nanos, b.nanos, &r))
      return overflow();
    out = Value::of_time(r);
    return ArithStatus::Ok;
  }
  if (op == Op::Add && ta == Type::Duration && tb == Type::Time) {
    if (__builtin_add_overflow(a.nanos, b.nanos, &r)) return overflow();
    out = Value::of_time(r);
    return ArithStatus::Ok;
  }
  if (ta == Type::Duration && tb == Type::Duration) {
    switch (op) {
      case Op::Add:
        if (__builtin_add_overflow(a.nanos, b.nanos, &r)) return overflow();
        out = Value::of_duration(r);
        return ArithStatus::Ok;
      case Op::Sub:
        if (__builtin_sub_overflow(a.nanos, b.nanos, &r)) return overflow();
        out = Value::of_duration(r);
        return ArithStatus::Ok;
      case Op::Div:
        if (b.nanos == 0) return ArithStatus::DivideByZero;
        out = Value::of_number(static_cast<double>(a.nanos) / static_cast<double>(b.nanos));
        return ArithStatus::Ok;
      case Op::Mod:
        if (b.nanos == 0) return ArithStatus::DivideByZero;
        out = Value::of_duration(a.nanos % b.nanos);
        return ArithStatus::Ok;
      default: return ArithStatus::TypeError;
    }
  }
  if (op == Op::Mul && ta == Type::Duration && tb == Type::Number)
    return duration_from_double(static_cast<double>(a.nanos) * b.number, out) ? ArithStatus::Ok : overflow();
  if (op == Op::Mul && ta == Type::Number && tb == Type::Duration)
    return duration_from_double(a.number * static_cast<double>(b.nanos), out) ? ArithStatus::Ok : overflow();
  if (op == Op::Div && ta == Type::Duration && tb == Type::Number) {
    if (b.number == 0) return ArithStatus::DivideByZero;
    return duration_from_double(static_cast<double>(a.nanos) / b.number, out) ? ArithStatus::Ok : overflow();
  }
  return ArithStatus::TypeError;
}

const char* op_symbol(Op op) {
  switch (op) {
    case Op::Neg: return "-";
    case Op::Not: return "not";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Mod: return "%";
    case Op::Eq: return "=";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::In: return "in";
    case Op::NotIn: return "not in";
    case Op::Between: return "between";
    case Op::NotBetween: return "not between";
    case Op::Like: return "like";
    case Op::NotLike: return "not like";
    case Op::ILike: return "ilike";
    case Op::NotILike: return "not ilike";
    case Op::Match: return "=~";
    case Op::NotMatch: return "!~";
    default: return "?";
  }
}

}  // namespace sp::expr
