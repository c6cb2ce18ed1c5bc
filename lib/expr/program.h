// A compiled program: one or more expressions that share one table of the fields they read,
// so that a record is read once for all of them (sp-filter's WHERE and --select, sp-enrich's
// several --set). Compilation parses, resolves functions, assigns each distinct field path a
// slot, folds constant sub-expressions, and prepares literal regexes, LIKE patterns, IN lists
// and CIDR ranges. A Program is immutable after the last add() and may be shared by several
// Evaluators (one per thread).
//
// For aggregation (sp-agg) and pattern matching (sp-match):
//   - calls of aggregate functions (count(*), avg(x), p99(x), ...) compile to Aggregate nodes
//     when CompileOptions::allow_aggregates is set; aggregates() lists them with the roots of
//     their argument expressions (evaluate those per record), and the engine supplies each
//     aggregate's value with Evaluator::set_aggregate() before evaluating HAVING/SELECT;
//   - names listed in CompileOptions::variables qualify fields (`S.amount`): such fields get
//     their own slots (FieldRef::variable) that the engine fills with Evaluator::set_field().
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"
#include "json/path.h"

namespace sp::expr {

struct ParsedItem;
class Compiler;

// True for the built-in aggregate names: count, sum, avg, min and max (one argument), stddev,
// variance, first, last, distinct_count, approx_distinct, p50, p90, p95, p99, pct, top_k,
// histogram, rate.
bool is_builtin_aggregate(std::string_view name, size_t nargs);

struct CompileOptions {
  bool allow_aggregates = false;
  // sp-match pattern variables; `F.x` then means field x of an event matched to F, and a bare
  // `F` is allowed as an aggregate argument (count(F)). Use `F` in backticks for a field named F.
  std::vector<std::string> variables;
  // Which calls are aggregates (recognized even when not allowed, for a clear error).
  bool (*is_aggregate)(std::string_view name, size_t nargs) = is_builtin_aggregate;
};

// A field an expression reads. Slots are numbered 0..fields().size()-1 in this order.
struct FieldRef {
  std::string variable;  // "" for the current record; "S" for S.amount
  json::FieldPath path;  // the path after the variable
  std::string name;      // canonical text, also the key for MapRecord: "ua.browser", "tags[0]", "S.amount"
  size_t slot = 0;
};

struct AggregateCall {
  std::string name;              // lower-case function name: "count", "avg", "p99"
  std::vector<size_t> args;      // roots of the argument expressions, evaluated per record
  bool star = false;             // count(*)
  std::string variable;          // sp-match: "F" for count(F) or avg(F.amount); else ""
  std::string text;              // source text: "avg(latency_ms)"
  std::string default_name;      // output name: "count", "avg_latency_ms", "count_F"
  size_t column = 0;
  std::string source;            // the text `column` counts in: the expression or select list compiled
};

struct SelectItem {
  size_t root = 0;
  std::string name;      // the alias; else a field's leaf name, an aggregate's default name, or the text
  bool is_field = false; // a bare field path (FieldRef index in `field`)
  size_t field = 0;
};

namespace detail {
// The fields of the current record as a tree of path segments, for a single pass over a record.
struct PathTrieNode {
  std::string key;        // member name, JSON-escaped as it appears between quotes
  std::string name;       // member name
  int64_t index = -1;     // array index, or -1
  bool index_only = false;
  int32_t slot = -1;      // >= 0 when a field ends here
  uint32_t kids_id = 0;   // number of the `kids` list (the top-level list is 0)
  std::vector<PathTrieNode> kids;
};
}  // namespace detail

class Program {
 public:
  explicit Program(CompileOptions options = {});
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();

  // One expression as root 0.
  static Program compile(std::string_view text, CompileOptions options = {});

  // Adds an expression; returns its root index. Throws sp::UsageError on a syntax or name error.
  size_t add(std::string_view text);
  // Adds a comma-separated select list `a, b * 2 as c`; one root per item.
  std::vector<SelectItem> add_select(std::string_view text);

  size_t size() const { return roots_.size(); }
  const std::string& text(size_t root) const { return texts_[root]; }
  const Node& root(size_t i) const { return *roots_[i]; }
  // The type the expression always has, when the compiler can tell (comparisons: boolean).
  std::optional<Type> result_type(size_t root) const;
  // True when the root is a constant (after folding); its value is root(i).value.
  bool is_constant(size_t root) const { return roots_[root]->op == Op::Literal; }

  const std::vector<FieldRef>& fields() const { return fields_; }
  const std::vector<AggregateCall>& aggregates() const { return aggregates_; }
  const CompileOptions& options() const { return options_; }
  const std::vector<detail::PathTrieNode>& trie() const { return trie_; }
  size_t trie_lists() const { return trie_lists_; }

 private:
  friend class Compiler;
  struct Checkpoint {
    size_t roots, fields, aggregates;
  };
  Checkpoint checkpoint() const;
  void rollback(const Checkpoint& cp);
  size_t add_root(NodePtr node, std::string text);
  void compile_select(std::string_view text, std::vector<ParsedItem>& items, Compiler& c,
                      std::vector<SelectItem>& out);
  void rebuild_trie();

  CompileOptions options_;
  std::vector<NodePtr> roots_;
  std::vector<std::string> texts_;
  std::vector<FieldRef> fields_;
  std::vector<AggregateCall> aggregates_;
  std::vector<detail::PathTrieNode> trie_;
  size_t trie_lists_ = 1;
};

}  // namespace sp::expr
