// Values of the expression language.
//
// A Value is a small tagged struct (32 bytes) that never owns memory: strings are views into
// the record being evaluated (simdjson's buffers), into the compiled program (literals), or
// into the evaluator's scratch arena (function results). They stay valid until the evaluator
// loads the next record. OwnedValue copies one out for keeping.
//
// Types:
//   null, boolean, number (IEEE double; a number read from a record also keeps its JSON text,
//   so that it is written back byte for byte), string (UTF-8), time (int64 nanoseconds since
//   the Unix epoch, UTC), duration (int64 nanoseconds), array and object (their JSON text).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::expr {

enum class Type : uint8_t { Null, Bool, Number, String, Time, Duration, Array, Object };

// "null", "boolean", "number", "string", "time", "duration", "array", "object".
std::string_view type_name(Type t);

struct Value {
  Type type = Type::Null;
  bool boolean = false;
  union {
    double number = 0;  // Number
    int64_t nanos;      // Time, Duration
  };
  // String: the text. Array/Object: the JSON text. Number: the JSON text as read from a
  // record (empty for computed numbers).
  std::string_view text;

  static Value null() { return {}; }
  static Value of_bool(bool b) {
    Value v;
    v.type = Type::Bool;
    v.boolean = b;
    return v;
  }
  static Value of_number(double d, std::string_view json = {}) {
    Value v;
    v.type = Type::Number;
    v.number = d;
    v.text = json;
    return v;
  }
  static Value of_string(std::string_view s) {
    Value v;
    v.type = Type::String;
    v.text = s;
    return v;
  }
  static Value of_time(int64_t ns) {
    Value v;
    v.type = Type::Time;
    v.nanos = ns;
    return v;
  }
  static Value of_duration(int64_t ns) {
    Value v;
    v.type = Type::Duration;
    v.nanos = ns;
    return v;
  }
  static Value of_array(std::string_view json) {
    Value v;
    v.type = Type::Array;
    v.text = json;
    return v;
  }
  static Value of_object(std::string_view json) {
    Value v;
    v.type = Type::Object;
    v.text = json;
    return v;
  }

  bool is_null() const { return type == Type::Null; }
  bool is_true() const { return type == Type::Bool && boolean; }
};

// A Value that owns its text; copy and move keep `value.text` pointing at the owned copy.
class OwnedValue {
 public:
  OwnedValue() = default;
  explicit OwnedValue(const Value& v) { assign(v); }
  OwnedValue(const OwnedValue& o) { assign(o.value_); }
  OwnedValue& operator=(const OwnedValue& o) {
    if (this != &o) assign(o.value_);
    return *this;
  }
  OwnedValue& operator=(const Value& v) {
    assign(v);
    return *this;
  }
  const Value& get() const { return value_; }
  operator const Value&() const { return value_; }

 private:
  void assign(const Value& v) {
    storage_.assign(v.text.data(), v.text.size());
    value_ = v;
    value_.text = std::string_view(storage_);
  }
  Value value_;
  std::string storage_;
};

// Appends `v` as JSON: null, true/false, numbers (the JSON text they were read with, else the
// shortest text that reads back as the same double; NaN and infinities become null), escaped
// strings, times as RFC 3339 UTC text with milliseconds, durations as text like "1h30m",
// arrays and objects as their JSON text.
void append_json(std::string& out, const Value& v);
std::string to_json(const Value& v);

// Appends `v` as text, as to_string() does: strings unquoted, numbers in their shortest form
// (whatever text they were read with), times and durations unquoted, the rest as append_json.
void append_text(std::string& out, const Value& v);

// Appends a JSON string literal for `s` (quotes and escapes).
void append_json_string(std::string& out, std::string_view s);

// Shortest text for a double: integers below 2^53 as integers ("500", and -0 as "0"), otherwise
// std::to_chars's shortest round-trip form ("0.1", "1e+300").
void append_number(std::string& out, double d);

}  // namespace sp::expr
