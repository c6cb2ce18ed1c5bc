// Operators on values: comparison with the language's coercions, and arithmetic.
#pragma once
#include <cstdint>
#include <optional>

#include "expr/ast.h"
#include "expr/value.h"

namespace sp::expr {

enum class Cmp : int8_t { Less, Equal, Greater, Null, TypeError };

// Orders two values. Same types compare naturally (strings bytewise, false < true); a time
// against a string reads the string as RFC 3339, a time against a number reads it as epoch
// seconds/milliseconds. Null on either side gives Null; other mixes give TypeError.
Cmp compare(const Value& a, const Value& b);

enum class ArithStatus : uint8_t { Ok, Null, TypeError, DivideByZero, NotFinite };

// a op b for Op::Add, Sub, Mul, Div, Mod. Numbers with numbers; time - time = duration;
// time +- duration = time; durations add, subtract, scale by numbers and divide.
// A string next to a time or duration is read as RFC 3339 time.
ArithStatus arithmetic(Op op, const Value& a, const Value& b, Value& out);

// A time from a time value, RFC 3339 text or an epoch number.
std::optional<int64_t> as_time(const Value& v);

const char* op_symbol(Op op);

}  // namespace sp::expr
