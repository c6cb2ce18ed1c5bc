// The syntax tree. The parser builds it; the compiler (program.cpp) resolves names, assigns
// field slots, folds constants and attaches prepared data (regexes, LIKE patterns, IN sets) in
// place; the evaluator walks it. Nodes are heap-allocated and never move, so literal values may
// point into their own `owned` text.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "expr/value.h"
#include "json/path.h"

namespace sp::expr {

struct FunctionDef;

enum class Op : uint8_t {
  Literal,
  Field,      // a field of the record (or of an sp-match variable): reads slots[slot]
  Variable,   // a bare sp-match variable name, only as an aggregate argument: count(F)
  Aggregate,  // an aggregate call: reads aggregates[slot], supplied by the aggregation engine
  Star,       // '*' in count(*)
  Neg, Not,
  Add, Sub, Mul, Div, Mod,
  Eq, Ne, Lt, Le, Gt, Ge,
  And, Or,
  IsNull, IsNotNull,
  In, NotIn,              // kids: value, list...
  Between, NotBetween,    // kids: value, low, high
  Like, NotLike, ILike, NotILike,
  Match, NotMatch,        // =~ !~
  Case,                   // kids: [subject] (when then)* [else]
  Coalesce, If,
  Call,                   // a scalar function: fn
  Index,                  // kids: base, index   (split(s, ',')[0], tags[-1])
};

// Data computed once at compile time for a node (a compiled regex, a LIKE matcher, ...).
struct Prepared {
  virtual ~Prepared() = default;
};

struct Node {
  Op op = Op::Literal;
  uint32_t pos = 0;    // column reported in errors: the operator, function name or token
  uint32_t begin = 0;  // source span of the whole sub-expression
  uint32_t end = 0;
  uint32_t slot = 0;   // Field: slot; Aggregate: index into Program::aggregates()
  bool has_subject = false;  // Case: `case x when ...`
  bool has_else = false;     // Case
  bool starts_plain = false; // Field as parsed: first path segment not `quoted`
  Value value;               // Literal
  std::string owned;         // storage for the text of `value`
  std::string name;          // Call/Aggregate: lower-case function name; Field/Variable: source text
  json::FieldPath path;      // Field
  std::vector<std::unique_ptr<Node>> kids;
  const FunctionDef* fn = nullptr;
  std::unique_ptr<Prepared> prepared;

  // Makes this node a literal holding a copy of `v`.
  void set_literal(const Value& v) {
    op = Op::Literal;
    owned.assign(v.text.data(), v.text.size());
    value = v;
    value.text = std::string_view(owned);
    kids.clear();
    fn = nullptr;
    prepared.reset();
  }
};

using NodePtr = std::unique_ptr<Node>;

}  // namespace sp::expr
