#include "expr/evaluator.h"

#include <time.h>

#include "expr/functions.h"
#include "expr/like.h"
#include "expr/ops.h"
#include "expr/prepared.h"

namespace sp::expr {

Evaluator::Evaluator(const Program& program)
    : program_(&program), slots_(program.fields().size()), aggregates_(program.aggregates().size()) {
  stack_.reserve(64);
  init_key_orders();
}

Evaluator::~Evaluator() = default;

void Evaluator::begin_record() {
  const auto& fields = program_->fields();
  if (slots_.size() != fields.size()) {
    slots_.resize(fields.size());
    init_key_orders();
  }
  if (aggregates_.size() != program_->aggregates().size()) aggregates_.resize(program_->aggregates().size());
  for (const auto& f : fields)
    if (f.variable.empty()) slots_[f.slot] = Value::null();
  scratch_.reset();
  have_now_ = false;
}

void Evaluator::error(const Node& n, std::string_view message) {
  report(n, [&] { return std::string(message); });
}

template <class MakeMessage>
void Evaluator::report(const Node& n, MakeMessage&& make) {
  ++errors_;
  if (first_error_.empty()) first_error_ = "column " + std::to_string(n.pos + 1) + ": " + make();  // 1-based, as users count
}

int64_t Evaluator::now() {
  if (!have_now_) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now_ = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    have_now_ = true;
  }
  return now_;
}

Value Evaluator::as_logic(const Node& n, Value v) {
  if (v.type == Type::Bool || v.type == Type::Null) return v;
  report(n, [&] { return std::string("'") + op_symbol(n.op) + "' needs true or false, got " + std::string(type_name(v.type)); });
  return Value::null();
}

Value Evaluator::eval_node(const Node& n) {
  switch (n.op) {
    case Op::Literal: return n.value;
    case Op::Field: return slots_[n.slot];
    case Op::Aggregate: return aggregates_[n.slot];
    case Op::Variable:
    case Op::Star: return Value::null();
    case Op::Neg: {
      Value a = eval_node(*n.kids[0]);
      if (a.type == Type::Number) return Value::of_number(-a.number);
      if (a.type == Type::Duration && a.nanos != INT64_MIN) return Value::of_duration(-a.nanos);
      if (a.type == Type::Null) return a;
      report(n, [&] { return "cannot negate a " + std::string(type_name(a.type)); });
      return Value::null();
    }
    case Op::Not: {
      Value a = as_logic(n, eval_node(*n.kids[0]));
      return a.is_null() ? a : Value::of_bool(!a.boolean);
    }
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Mod: return eval_arith(n);
    case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: return eval_compare(n);
    case Op::And: case Op::Or: return eval_logic(n);
    case Op::IsNull: return Value::of_bool(eval_node(*n.kids[0]).is_null());
    case Op::IsNotNull: return Value::of_bool(!eval_node(*n.kids[0]).is_null());
    case Op::In: case Op::NotIn: return eval_in(n);
    case Op::Between: case Op::NotBetween: return eval_between(n);
    case Op::Like: case Op::NotLike: case Op::ILike: case Op::NotILike: return eval_like(n);
    case Op::Match: case Op::NotMatch: return eval_match(n);
    case Op::Case: return eval_case(n);
    case Op::Coalesce:
      for (const auto& k : n.kids) {
        Value v = eval_node(*k);
        if (!v.is_null()) return v;
      }
      return Value::null();
    case Op::If: {
      Value c = as_logic(n, eval_node(*n.kids[0]));
      return eval_node(*n.kids[c.is_true() ? 1 : 2]);
    }
    case Op::Call: return eval_call(n);
    case Op::Index: return eval_index(n);
  }
  return Value::null();
}

Value Evaluator::eval_arith(const Node& n) {
  Value a = eval_node(*n.kids[0]);
  Value b = eval_node(*n.kids[1]);
  Value out;
  ArithStatus st = arithmetic(n.op, a, b, out);
  if (st == ArithStatus::Ok || st == ArithStatus::Null) return out;
  if (!first_error_.empty()) {
    ++errors_;
    return out;
  }
  std::string sym = op_symbol(n.op);
  switch (st) {
    case ArithStatus::TypeError:
      error(n, "cannot apply '" + sym + "' to " + std::string(type_name(a.type)) + " and " +
                   std::string(type_name(b.type)));
      break;
    case ArithStatus::DivideByZero: error(n, "division by zero"); break;
    default: error(n, "the result of '" + sym + "' is out of range"); break;
  }
  return out;
}

Value Evaluator::eval_compare(const Node& n) {
  Value a = eval_node(*n.kids[0]);
  Value b = eval_node(*n.kids[1]);
  Cmp c = compare(a, b);
  switch (c) {
    case Cmp::Null: return Value::null();
    case Cmp::TypeError:
      report(n, [&] { return "cannot compare " + std::string(type_name(a.type)) + " with " + std::string(type_name(b.type)) +
                     " using '" + op_symbol(n.op) + "'"; });
      return Value::null();
    default: break;
  }
  switch (n.op) {
    case Op::Eq: return Value::of_bool(c == Cmp::Equal);
    case Op::Ne: return Value::of_bool(c != Cmp::Equal);
    case Op::Lt: return Value::of_bool(c == Cmp::Less);
    case Op::Le: return Value::of_bool(c != Cmp::Greater);
    case Op::Gt: return Value::of_bool(c == Cmp::Greater);
    default: return Value::of_bool(c != Cmp::Less);
  }
}

Value Evaluator::eval_logic(const Node& n) {
  // SQL three-valued logic: false (for and) or true (for or) decides regardless of null.
  bool decisive = n.op == Op::Or;
  Value a = as_logic(n, eval_node(*n.kids[0]));
  if (a.type == Type::Bool && a.boolean == decisive) return a;
  Value b = as_logic(n, eval_node(*n.kids[1]));
  if (b.type == Type::Bool && b.boolean == decisive) return b;
  if (a.is_null() || b.is_null()) return Value::null();
  return Value::of_bool(!decisive);
}

Value Evaluator::eval_in(const Node& n) {
  bool negate = n.op == Op::NotIn;
  Value x = eval_node(*n.kids[0]);
  if (x.is_null()) return x;
  if (const auto* set = static_cast<const InSet*>(n.prepared.get()); set && set->type == x.type)
    return Value::of_bool(set->contains(x) != negate);
  bool unknown = false, mismatch = false;
  for (size_t i = 1; i < n.kids.size(); ++i) {
    Cmp c = compare(x, eval_node(*n.kids[i]));
    if (c == Cmp::Equal) return Value::of_bool(!negate);
    if (c == Cmp::Null) unknown = true;
    if (c == Cmp::TypeError) mismatch = unknown = true;
  }
  if (mismatch) {
    report(n, [&] { return "'" + std::string(op_symbol(n.op)) + "' compares a " + std::string(type_name(x.type)) +
                   " with a value of another type"; });
  }
  return unknown ? Value::null() : Value::of_bool(negate);
}

Value Evaluator::eval_between(const Node& n) {
  Value x = eval_node(*n.kids[0]);
  Value lo = eval_node(*n.kids[1]);
  Value hi = eval_node(*n.kids[2]);
  Cmp c1 = compare(lo, x), c2 = compare(x, hi);
  if (c1 == Cmp::TypeError || c2 == Cmp::TypeError) {
    error(n, "'between' compares values of different types");
    return Value::null();
  }
  // (lo <= x) and (x <= hi), three-valued.
  bool f1 = c1 == Cmp::Greater, f2 = c2 == Cmp::Greater;
  Value r;
  if (f1 || f2)
    r = Value::of_bool(false);
  else if (c1 == Cmp::Null || c2 == Cmp::Null)
    return Value::null();
  else
    r = Value::of_bool(true);
  if (n.op == Op::NotBetween) r.boolean = !r.boolean;
  return r;
}

Value Evaluator::eval_like(const Node& n) {
  bool negate = n.op == Op::NotLike || n.op == Op::NotILike;
  Value s = eval_node(*n.kids[0]);
  if (s.is_null()) return s;
  bool matched;
  if (const auto* pat = static_cast<const LikePattern*>(n.prepared.get())) {
    if (s.type != Type::String) {
      report(n, [&] { return "'like' needs a string, got " + std::string(type_name(s.type)); });
      return Value::null();
    }
    matched = pat->matches(s.text);
  } else {
    Value p = eval_node(*n.kids[1]);
    if (p.is_null()) return p;
    if (s.type != Type::String || p.type != Type::String) {
      report(n, [&] { return "'like' needs strings, got " + std::string(type_name(s.type)) + " and " +
                   std::string(type_name(p.type)); });
      return Value::null();
    }
    matched = like_match(p.text, s.text, n.op == Op::ILike || n.op == Op::NotILike);
  }
  return Value::of_bool(matched != negate);
}

Value Evaluator::eval_match(const Node& n) {
  bool negate = n.op == Op::NotMatch;
  Value s = eval_node(*n.kids[0]);
  if (s.is_null()) return s;
  const Regex* re = static_cast<const Regex*>(n.prepared.get());
  if (!re) {
    Value p = eval_node(*n.kids[1]);
    if (p.is_null()) return p;
    if (p.type != Type::String) {
      report(n, [&] { return "a regular expression must be a string, got " + std::string(type_name(p.type)); });
      return Value::null();
    }
    auto it = dynamic_regex_.find(p.text);
    if (it == dynamic_regex_.end()) {
      std::string err;
      size_t off;
      auto compiled = Regex::compile(p.text, err, off);
      if (!compiled) {
        report(n, [&] { return "bad regular expression: " + err; });
        return Value::null();
      }
      if (dynamic_regex_.size() >= 256) dynamic_regex_.clear();
      it = dynamic_regex_.emplace(std::string(p.text), std::move(compiled)).first;
    }
    re = it->second.get();
  }
  if (s.type != Type::String) {
    report(n, [&] { return "'" + std::string(op_symbol(n.op)) + "' needs a string, got " + std::string(type_name(s.type)); });
    return Value::null();
  }
  int m = re->match(s.text, match_);
  if (m < 0) {
    error(n, "regular expression match failed (match limit)");
    return Value::null();
  }
  return Value::of_bool((m == 1) != negate);
}

Value Evaluator::eval_case(const Node& n) {
  size_t i = 0;
  Value subject;
  if (n.has_subject) subject = eval_node(*n.kids[i++]);
  size_t pairs_end = n.kids.size() - (n.has_else ? 1 : 0);
  for (; i < pairs_end; i += 2) {
    Value w = eval_node(*n.kids[i]);
    bool hit;
    if (n.has_subject) {
      Cmp c = compare(subject, w);
      if (c == Cmp::TypeError) error(*n.kids[i], "'case' compares values of different types");
      hit = c == Cmp::Equal;
    } else {
      hit = as_logic(n, w).is_true();
    }
    if (hit) return eval_node(*n.kids[i + 1]);
  }
  return n.has_else ? eval_node(*n.kids.back()) : Value::null();
}

Value Evaluator::eval_call(const Node& n) {
  const FunctionDef* fn = n.fn;
  size_t base = stack_.size();
  bool has_null = false;
  for (const auto& k : n.kids) {
    Value v = eval_node(*k);
    has_null |= v.is_null();
    stack_.push_back(v);
  }
  Value r;
  if (!has_null || fn->takes_nulls) {
    Context cx(*this, n);
    r = fn->impl(cx, stack_.data() + base, n.kids.size());
  }
  stack_.resize(base);
  return r;
}

Value Evaluator::eval_index(const Node& n) {
  Value base = eval_node(*n.kids[0]);
  Value idx = eval_node(*n.kids[1]);
  if (base.is_null() || idx.is_null()) return Value::null();
  simdjson::dom::element el;
  if (base.type == Type::Array && idx.type == Type::Number) {
    if (!parse_json(base.text, el)) return Value::null();
    simdjson::dom::array arr = el.get_array().value_unsafe();
    int64_t size = static_cast<int64_t>(arr.size());
    // Range first: converting a double beyond int64 (or NaN) is undefined.
    if (!(idx.number > -static_cast<double>(size) - 1 && idx.number < static_cast<double>(size))) return Value::null();
    int64_t i = static_cast<int64_t>(idx.number);
    if (i < 0) i += size;
    if (i < 0 || i >= size) return Value::null();
    simdjson::dom::element e;
    if (arr.at(static_cast<size_t>(i)).get(e)) return Value::null();
    return from_dom(e, true);
  }
  if (base.type == Type::Object && idx.type == Type::String) {
    if (!parse_json(base.text, el)) return Value::null();
    simdjson::dom::element e;
    if (el.get_object().value_unsafe().at_key(idx.text).get(e)) return Value::null();
    return from_dom(e, true);
  }
  report(n, [&] { return "cannot index " + std::string(type_name(base.type)) + " with " + std::string(type_name(idx.type)); });
  return Value::null();
}

// ---- Context: what functions see of the evaluator.

const char* Context::name() const { return call_.fn ? call_.fn->name : call_.name.c_str(); }

Value Context::fail(std::string_view message) {
  ev_.report(call_, [&] { return std::string(name()) + "(): " + std::string(message); });
  return Value::null();
}

Value Context::type_fail(size_t arg, const Value& got, std::string_view expected) {
  ev_.report(call_, [&] {
    return std::string(name()) + "(): argument " + std::to_string(arg + 1) + " must be " + std::string(expected) +
           ", got " + std::string(type_name(got.type));
  });
  return Value::null();
}

std::string& Context::buffer() {
  ev_.buffer_.clear();
  return ev_.buffer_;
}

Value Context::string_result(std::string_view text) { return Value::of_string(ev_.scratch_.copy(text)); }
std::string_view Context::keep(std::string_view text) { return ev_.scratch_.copy(text); }
int64_t Context::now() { return ev_.now(); }
bool Context::parse_json(std::string_view json, simdjson::dom::element& out) { return ev_.parse_json(json, out); }
Value Context::from_dom(simdjson::dom::element e) { return ev_.from_dom(e, true); }

}  // namespace sp::expr
