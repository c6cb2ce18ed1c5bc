// Evaluates a compiled Program against records.
//
//   sp::expr::Program prog = sp::expr::Program::compile("status >= 500 and path like '/api/%'");
//   sp::expr::Evaluator ev(prog);
//   for each line:  parser.iterate(line).get(doc);
//                   if (ev.load(doc)) -> malformed record;   // reads every needed field in one pass
//                   if (ev.test(0)) -> keep the line
//   ev.error_count()  -> type errors seen (for --stats); ev.first_error() -> the first one.
//
// Evaluation never throws and never allocates for numeric and boolean work; functions that
// produce text write into a scratch arena that is reused from record to record. Values returned
// by eval() stay valid until the next load()/begin_record() (or until the simdjson document they
// came from is gone). One Evaluator per thread; a Program may be shared.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "expr/program.h"
#include "expr/regex.h"
#include "expr/scratch.h"
#include "expr/value.h"
#include "json/check.h"

namespace sp::expr {

// A record given as values keyed by FieldRef::name ("status", "ua.browser", "S.amount"):
// for tests, and for engines that keep records of their own.
using MapRecord = std::map<std::string, Value, std::less<>>;

class Evaluator {
 public:
  explicit Evaluator(const Program& program);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Starts a new record: every field of the current record is null, scratch is reused.
  // (Fields qualified by an sp-match variable keep what set_field() gave them.)
  void begin_record();
  // Reads the fields of the current record from an On-Demand document in one pass over it.
  // Returns a simdjson error when the record is malformed where it was read (fields that are
  // absent or of another type are simply null).
  simdjson::error_code load(simdjson::ondemand::document& doc);
  void load(simdjson::dom::element record);
  void load(const MapRecord& record);  // every field, qualified or not, by FieldRef::name
  void set_field(size_t slot, const Value& v) { slots_[slot] = v; }
  void set_aggregate(size_t index, const Value& v) { aggregates_[index] = v; }
  const Value& field(size_t slot) const { return slots_[slot]; }

  Value eval(size_t root) { return eval_node(program_->root(root)); }
  // A WHERE: true only when the result is true (null and false both reject).
  bool test(size_t root) { return eval(root).is_true(); }

  // Evaluation errors (type errors, division by zero, bad conversions): each made a result
  // null. first_error() describes the first: "column 7: cannot apply '*' to string and number".
  uint64_t error_count() const { return errors_; }
  const std::string& first_error() const { return first_error_; }
  void reset_errors() {
    errors_ = 0;
    first_error_.clear();
  }

  const Program& program() const { return *program_; }

 private:
  friend class Context;
  friend class Compiler;  // folds constants with eval_node
  Value eval_node(const Node& n);
  Value eval_compare(const Node& n);
  Value eval_arith(const Node& n);
  Value eval_logic(const Node& n);
  Value eval_in(const Node& n);
  Value eval_between(const Node& n);
  Value eval_like(const Node& n);
  Value eval_match(const Node& n);
  Value eval_case(const Node& n);
  Value eval_call(const Node& n);
  Value eval_index(const Node& n);
  Value as_logic(const Node& n, Value v);
  void error(const Node& n, std::string_view message);
  template <class MakeMessage>
  void report(const Node& n, MakeMessage&& make);
  int64_t now();

  simdjson::error_code load_value(simdjson::ondemand::value v, const detail::PathTrieNode& node);
  simdjson::error_code load_object(simdjson::ondemand::object obj, const std::vector<detail::PathTrieNode>& kids,
                                   uint32_t kids_id);
  simdjson::error_code load_array(simdjson::ondemand::array arr, const std::vector<detail::PathTrieNode>& kids);
  simdjson::error_code read_scalar(simdjson::ondemand::value v, Value& out);
  void load_nested_from_json(std::string_view json, const detail::PathTrieNode& node);
  bool parse_json(std::string_view json, simdjson::dom::element& out);
  Value from_dom(simdjson::dom::element e, bool copy_strings);

  const Program* program_;
  std::vector<Value> slots_;
  std::vector<Value> aggregates_;
  std::vector<Value> stack_;  // arguments of function calls
  Scratch scratch_;
  std::string buffer_;
  std::string json_buffer_;
  uint64_t errors_ = 0;
  std::string first_error_;
  int64_t now_ = 0;
  bool have_now_ = false;
  MatchScratch match_;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Regex>, TextHash, std::equal_to<>> dynamic_regex_;
  // Per member list of the trie: the order to look keys up in, learnt from the records (the
  // order of their keys), so that the lookups make one forward pass over each object.
  struct KeyOrder {
    std::vector<uint16_t> order;   // indices into the list (member names only)
    std::vector<const char*> seen; // where each was found in the current record, or nullptr
  };
  std::vector<KeyOrder> key_orders_;
  void init_key_orders();
  // An object or array read whole is skipped over by On-Demand, unchecked: it is checked
  // before it becomes a value (which a stage may write out).
  json::WellFormedChecker whole_;
  std::unique_ptr<simdjson::dom::parser> dom_;
  std::string padded_;
};

}  // namespace sp::expr
