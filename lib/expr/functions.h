// Scalar functions: the registry and the interface a function implementation sees.
// Families live in fn_string.cpp, fn_number.cpp, fn_time.cpp, fn_hash.cpp, fn_net.cpp and
// fn_type.cpp; a function is a plain function pointer over already-evaluated arguments.
// (Lazy forms - if(), coalesce(), case - and aggregates are not functions: see program.cpp.)
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"
#include "expr/value.h"

namespace sp::expr {

class Evaluator;
class Context;

using FunctionImpl = Value (*)(Context& cx, const Value* args, size_t n);
// Runs once at compile time; arguments that are constants are Op::Literal nodes by then.
// Returns data the implementation reads through Context::prepared<T>() (or nullptr), and may
// throw sp::UsageError pointing at a bad literal argument.
using PrepareFn = std::unique_ptr<Prepared> (*)(const Node& call, const std::string& source);

constexpr uint8_t kVariadic = 255;

struct FunctionDef {
  const char* name;
  const char* signature;  // for messages: "substr(s, start[, len])"
  uint8_t min_args;
  uint8_t max_args;  // kVariadic: no limit
  FunctionImpl impl;
  bool pure = true;          // same arguments, same result: folded when all are constants
  bool takes_nulls = false;  // false: any null argument gives null without calling impl
  std::optional<Type> returns = std::nullopt;
  PrepareFn prepare = nullptr;
};

const FunctionDef* find_function(std::string_view name);
std::vector<std::string_view> function_names();

std::span<const FunctionDef> string_functions();
std::span<const FunctionDef> number_functions();
std::span<const FunctionDef> time_functions();
std::span<const FunctionDef> hash_functions();
std::span<const FunctionDef> net_functions();
std::span<const FunctionDef> type_functions();

// What a function implementation may use while it runs.
class Context {
 public:
  Context(Evaluator& ev, const Node& call) : ev_(ev), call_(call) {}
  const Node& call() const { return call_; }
  const char* name() const;

  // Counts an evaluation error (reported by --stats) and returns null.
  Value fail(std::string_view message);
  // "lower(): argument 1 must be a string, got number" - counted, returns null.
  Value type_fail(size_t arg, const Value& got, std::string_view expected);

  // A cleared buffer to build text in, then string_result() to keep it for this record.
  std::string& buffer();
  Value string_result(std::string_view text);
  std::string_view keep(std::string_view text);

  int64_t now();  // nanoseconds, fixed for the current record

  template <class T>
  const T* prepared() const {
    return static_cast<const T*>(call_.prepared.get());
  }

  // Arrays and objects are JSON text; this parses one (the element lives until the next call).
  bool parse_json(std::string_view json, simdjson::dom::element& out);
  // A DOM element as a Value (strings are copied to scratch, arrays/objects to JSON text).
  Value from_dom(simdjson::dom::element e);

 private:
  Evaluator& ev_;
  const Node& call_;
};

// The sampling decision of sample(key, rate), also used by sp-filter --sample: true for a
// fraction `rate` of keys, always the same ones (XXH64, seed 0, of the bytes; top 53 bits as a
// fraction in [0, 1)). A value's bytes are its text (to_string).
bool sample_bytes(std::string_view bytes, double rate);

// Argument helpers for implementations: on a wrong type they count the error and return false.
bool arg_string(Context& cx, const Value* a, size_t i, std::string_view& out);
bool arg_number(Context& cx, const Value* a, size_t i, double& out);
bool arg_int(Context& cx, const Value* a, size_t i, int64_t& out);  // truncates toward zero
bool arg_duration(Context& cx, const Value* a, size_t i, int64_t& out);
// A time: a time value, RFC 3339 text, or epoch seconds/milliseconds.
bool arg_time(Context& cx, const Value* a, size_t i, int64_t& out);

}  // namespace sp::expr
