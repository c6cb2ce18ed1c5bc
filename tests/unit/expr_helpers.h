// Helpers for the expression tests: evaluate one expression against one JSON record.
#pragma once
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <string>

#include "expr/evaluator.h"
#include "io/error.h"

namespace sp::expr::test {

struct Result {
  std::string json;     // the value as JSON
  uint64_t errors = 0;  // evaluation errors counted
  std::string first_error;
};

// Evaluates `expr` against `record` through simdjson On-Demand.
inline Result run(const std::string& expr, const std::string& record = "{}", CompileOptions opts = {}) {
  Program prog = Program::compile(expr, std::move(opts));
  Evaluator ev(prog);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(record);
  simdjson::ondemand::document doc;
  REQUIRE(!parser.iterate(padded).get(doc));
  REQUIRE(!ev.load(doc));
  Result r;
  append_json(r.json, ev.eval(0));
  r.errors = ev.error_count();
  r.first_error = ev.first_error();
  return r;
}

// The value as JSON text.
inline std::string eval(const std::string& expr, const std::string& record = "{}") { return run(expr, record).json; }

// The column of the UsageError that compiling `expr` throws (or -1), and its message.
inline long error_column(const std::string& expr, std::string* message = nullptr) {
  try {
    Program::compile(expr);
  } catch (const UsageError& e) {
    if (message) *message = e.what();
    return e.has_position ? static_cast<long>(e.column) : -2;
  }
  return -1;
}

}  // namespace sp::expr::test
