#include "expr/program.h"

#include <algorithm>
#include <set>

#include "expr/evaluator.h"
#include "expr/functions.h"
#include "expr/like.h"
#include "expr/parser.h"
#include "expr/prepared.h"
#include "expr/regex.h"
#include "io/error.h"

namespace sp::expr {

bool is_builtin_aggregate(std::string_view name, size_t nargs) {
  static const char* const names[] = {"count", "sum",   "avg",  "stddev", "variance", "first", "last",
                                      "distinct_count", "approx_distinct", "p50", "p90", "p95", "p99",
                                      "pct",   "top_k", "histogram", "rate"};
  if (name == "min" || name == "max") return nargs == 1;
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

namespace {

bool plain_name(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (unsigned char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '@' ||
          c == '$' || c >= 0x80))
      return false;
  return true;
}

bool all_digits(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (c < '0' || c > '9') return false;
  return true;
}

// "ua.browser", "tags[0]", "`odd name`.x", "a.0", `a["b`c"]`.
std::string canonical_path(const json::FieldPath& path) {
  std::string out;
  bool first = true;
  for (const auto& seg : path.segments()) {
    if (seg.index_only) {
      out += '[' + seg.key + ']';
    } else {
      if (!first) out += '.';
      if (plain_name(seg.key) || (all_digits(seg.key) && !first)) {
        out += seg.key;
      } else if (seg.key.find('`') == std::string::npos) {
        out += '`' + seg.key + '`';
      } else {
        if (!first) out.pop_back();
        out += '[';
        append_json_string(out, seg.key);
        out += ']';
      }
    }
    first = false;
  }
  return out;
}

std::string json_escaped(std::string_view key) {
  std::string s;
  append_json_string(s, key);
  return s.substr(1, s.size() - 2);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0]++;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1])});
      prev = cur;
    }
  }
  return row[b.size()];
}

bool is_comparison_op(Op op) {
  switch (op) {
    case Op::Not: case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
    case Op::And: case Op::Or: case Op::IsNull: case Op::IsNotNull: case Op::In: case Op::NotIn:
    case Op::Between: case Op::NotBetween: case Op::Like: case Op::NotLike: case Op::ILike:
    case Op::NotILike: case Op::Match: case Op::NotMatch:
      return true;
    default:
      return false;
  }
}

std::optional<Type> static_type(const Node& n) {
  if (n.op == Op::Literal) return n.value.type;
  if (is_comparison_op(n.op)) return Type::Bool;
  if (n.op == Op::Call && n.fn) return n.fn->returns;
  return std::nullopt;
}

}  // namespace

// Turns a parsed tree into an evaluable one, in place.
class Compiler {
 public:
  Compiler(Program& p, std::string_view source) : p_(p), source_(source) {}

  void compile(NodePtr& n) { compile_node(n, false); }

 private:
  [[noreturn]] void fail(size_t col, const std::string& msg) { throw UsageError(msg, source_, col); }

  std::string span(const Node& n) const { return source_.substr(n.begin, n.end - n.begin); }

  void compile_node(NodePtr& n, bool in_aggregate) {
    switch (n->op) {
      case Op::Field: compile_field(*n, in_aggregate); return;
      case Op::Call: compile_call(n, in_aggregate); break;
      case Op::Literal: return;
      default:
        for (auto& k : n->kids) compile_node(k, in_aggregate);
        break;
    }
    if (n->op == Op::Aggregate) return;
    prepare(*n);
    fold(*n);
  }

  bool is_variable(const Node& n) const {
    if (n.op != Op::Field || !n.starts_plain || n.path.segments().empty()) return false;
    const auto& vars = p_.options_.variables;
    return std::find(vars.begin(), vars.end(), n.path.segments()[0].key) != vars.end();
  }

  void compile_field(Node& n, bool in_aggregate) {
    std::string variable;
    json::FieldPath path = n.path;
    if (is_variable(n)) {
      variable = n.path.segments()[0].key;
      if (n.path.segments().size() == 1) {
        (void)in_aggregate;
        fail(n.pos, "'" + variable + "' is a pattern variable: use " + variable + ".field, or pass it to an aggregate as in count(" +
                        variable + ")");
      }
      std::string_view rest = std::string_view(n.name).substr(variable.size());
      if (!rest.empty() && rest[0] == '.') rest.remove_prefix(1);
      path = json::FieldPath::parse(rest);
    }
    std::string name = canonical_path(path);
    if (!variable.empty()) name = variable + (name.starts_with('[') ? "" : ".") + name;
    auto& fields = p_.fields_;
    size_t slot = fields.size();
    for (const auto& f : fields)
      if (f.variable == variable && f.name == name) slot = f.slot;
    if (slot == fields.size()) {
      FieldRef f;
      f.variable = variable;
      f.path = path;
      f.name = name;
      f.slot = slot;
      fields.push_back(std::move(f));
    }
    n.slot = static_cast<uint32_t>(slot);
  }

  void compile_call(NodePtr& n, bool in_aggregate) {
    const std::string& name = n->name;
    size_t nargs = n->kids.size();
    auto& opts = p_.options_;
    if (opts.is_aggregate && opts.is_aggregate(name, nargs)) {
      compile_aggregate(n, in_aggregate);
      return;
    }
    for (auto& k : n->kids)
      if (k->op == Op::Star) fail(k->pos, "'*' is only allowed in count(*)");
    if (name == "if") {
      if (nargs != 3) fail(n->pos, "if() takes 3 arguments (condition, then, else), got " + std::to_string(nargs));
      n->op = Op::If;
    } else if (name == "coalesce") {
      if (nargs == 0) fail(n->pos, "coalesce() needs at least one argument");
      n->op = Op::Coalesce;
    } else {
      const FunctionDef* fn = find_function(name);
      if (!fn) fail(n->pos, unknown_function_message(name));
      if (nargs < fn->min_args || (fn->max_args != kVariadic && nargs > fn->max_args)) {
        std::string expected = fn->min_args == fn->max_args ? std::to_string(fn->min_args)
                               : fn->max_args == kVariadic ? "at least " + std::to_string(fn->min_args)
                                                           : std::to_string(fn->min_args) + " to " +
                                                                 std::to_string(fn->max_args);
        fail(n->pos, std::string(fn->signature) + " takes " + expected + " argument" +
                         (expected == "1" ? "" : "s") + ", got " + std::to_string(nargs));
      }
      n->fn = fn;
    }
    for (auto& k : n->kids) compile_node(k, in_aggregate);
    if (n->fn && n->fn->prepare) n->prepared = n->fn->prepare(*n, source_);
  }

  std::string unknown_function_message(const std::string& name) {
    std::string best;
    size_t best_d = 3;
    auto consider = [&](std::string_view cand) {
      size_t d = edit_distance(name, cand);
      if (d < best_d) {
        best_d = d;
        best = std::string(cand);
      }
    };
    for (auto f : function_names()) consider(f);
    consider("if");
    consider("coalesce");
    std::string msg = "unknown function '" + name + "'";
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    return msg;
  }

  void compile_aggregate(NodePtr& n, bool in_aggregate) {
    if (!p_.options_.allow_aggregates)
      fail(n->pos, n->name + "() is an aggregate function; aggregates are allowed only where records are "
                             "aggregated (sp-agg, sp-match --emit)");
    if (in_aggregate) fail(n->pos, "an aggregate cannot be nested inside another aggregate");
    AggregateCall agg;
    agg.name = n->name;
    agg.text = span(*n);
    agg.column = n->pos;
    // Not a root's text: a select item's root holds only the item, and an aggregate without
    // arguments was given the index of a root that did not exist (fuzz_sql).
    agg.source = std::string(source_);
    agg.default_name = agg.name;
    std::set<std::string> vars;
    for (size_t i = 0; i < n->kids.size(); ++i) {
      NodePtr& k = n->kids[i];
      if (k->op == Op::Star) {
        if (agg.name != "count" || n->kids.size() != 1) fail(k->pos, "'*' is only allowed in count(*)");
        agg.star = true;
        continue;
      }
      if (is_variable(*k) && k->path.segments().size() == 1) {
        vars.insert(k->path.segments()[0].key);
        if (i == 0) agg.default_name += "_" + k->path.segments()[0].key;
        continue;
      }
      if (i == 0 && k->op == Op::Field) {
        std::string leaf = k->path.leaf_name();
        if (is_variable(*k)) leaf = k->path.segments()[0].key + "_" + leaf;
        agg.default_name += "_" + leaf;
      }
      std::string text = span(*k);
      compile_node(k, true);
      collect_variables(*k, vars);
      agg.args.push_back(p_.add_root(std::move(k), std::move(text)));
    }
    if (vars.size() > 1) fail(n->pos, "an aggregate may refer to one pattern variable only");
    if (!vars.empty()) agg.variable = *vars.begin();
    // The same aggregate written twice is computed once.
    auto& aggs = p_.aggregates_;
    size_t index = aggs.size();
    for (size_t i = 0; i < aggs.size(); ++i)
      if (aggs[i].text == agg.text) index = i;
    if (index == aggs.size()) aggs.push_back(std::move(agg));
    auto node = std::make_unique<Node>();
    node->op = Op::Aggregate;
    node->pos = n->pos;
    node->begin = n->begin;
    node->end = n->end;
    node->name = n->name;
    node->slot = static_cast<uint32_t>(index);
    n = std::move(node);
  }

  void collect_variables(const Node& n, std::set<std::string>& vars) {
    if (n.op == Op::Field && !p_.fields_[n.slot].variable.empty()) vars.insert(p_.fields_[n.slot].variable);
    for (const auto& k : n.kids) collect_variables(*k, vars);
  }

  // Compiles literal patterns and constant lists once.
  void prepare(Node& n) {
    switch (n.op) {
      case Op::Like: case Op::NotLike: case Op::ILike: case Op::NotILike: {
        const Node& pat = *n.kids[1];
        if (pat.op != Op::Literal || pat.value.is_null()) return;
        if (pat.value.type != Type::String) fail(pat.pos, "the pattern of 'like' must be a string");
        n.prepared = std::make_unique<LikePattern>(pat.value.text, n.op == Op::ILike || n.op == Op::NotILike);
        return;
      }
      case Op::Match: case Op::NotMatch: {
        const Node& pat = *n.kids[1];
        if (pat.op != Op::Literal || pat.value.is_null()) return;
        if (pat.value.type != Type::String) fail(pat.pos, "a regular expression must be a string");
        std::string err;
        size_t off = 0;
        auto re = Regex::compile(pat.value.text, err, off);
        if (!re) {
          // Point into the literal when its text maps byte for byte onto the source.
          size_t col = pat.pos;
          if (pat.end - pat.begin == pat.value.text.size() + 2) col = pat.pos + 1 + off;
          fail(col, "bad regular expression: " + err);
        }
        n.prepared = std::move(re);
        return;
      }
      case Op::In: case Op::NotIn: {
        auto set = std::make_unique<InSet>();
        for (size_t i = 1; i < n.kids.size(); ++i) {
          const Node& k = *n.kids[i];
          if (k.op != Op::Literal) return;
          Type t = k.value.type;
          if (t != Type::String && t != Type::Number) return;
          if (set->type != Type::Null && set->type != t) return;
          set->type = t;
          if (t == Type::String)
            set->strings.insert(k.value.text);
          else
            set->numbers.push_back(k.value.number);
        }
        std::sort(set->numbers.begin(), set->numbers.end());
        n.prepared = std::move(set);
        return;
      }
      default:
        return;
    }
  }

  void fold(Node& n) {
    switch (n.op) {
      case Op::Literal: case Op::Field: case Op::Variable: case Op::Aggregate: case Op::Star: return;
      case Op::Call:
        if (!n.fn || !n.fn->pure) return;
        break;
      default:
        break;
    }
    for (const auto& k : n.kids)
      if (k->op != Op::Literal) return;
    if (!folder_) folder_ = std::make_unique<Evaluator>(p_);
    uint64_t before = folder_->error_count();
    folder_->begin_record();
    Value v = folder_->eval_node(n);
    // An expression that fails on constants is left to fail (and be counted) at run time.
    if (folder_->error_count() != before) return;
    n.set_literal(v);
  }

  Program& p_;
  std::string source_;
  std::unique_ptr<Evaluator> folder_;
};

Program::Program(CompileOptions options) : options_(std::move(options)) {}
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

Program Program::compile(std::string_view text, CompileOptions options) {
  Program p(std::move(options));
  p.add(text);
  return p;
}

size_t Program::add_root(NodePtr node, std::string text) {
  roots_.push_back(std::move(node));
  texts_.push_back(std::move(text));
  return roots_.size() - 1;
}

size_t Program::add(std::string_view text) {
  NodePtr n = parse_expression(text);
  Compiler c(*this, text);
  // The root index is reserved first so that aggregate arguments get later indices.
  Checkpoint cp = checkpoint();
  size_t root = add_root(nullptr, std::string(text));
  try {
    c.compile(n);
  } catch (...) {
    rollback(cp);
    throw;
  }
  roots_[root] = std::move(n);
  rebuild_trie();
  return root;
}

Program::Checkpoint Program::checkpoint() const { return {roots_.size(), fields_.size(), aggregates_.size()}; }

void Program::rollback(const Checkpoint& cp) {
  roots_.resize(cp.roots);
  texts_.resize(cp.roots);
  fields_.resize(cp.fields);
  aggregates_.resize(cp.aggregates);
}

std::vector<SelectItem> Program::add_select(std::string_view text) {
  std::vector<ParsedItem> items = parse_select_list(text);
  std::vector<SelectItem> out;
  Compiler c(*this, text);
  Checkpoint cp = checkpoint();
  try {
    compile_select(text, items, c, out);
  } catch (...) {
    rollback(cp);
    throw;
  }
  rebuild_trie();
  return out;
}

void Program::compile_select(std::string_view text, std::vector<ParsedItem>& items, Compiler& c,
                             std::vector<SelectItem>& out) {
  for (auto& item : items) {
    SelectItem s;
    std::string item_text(text.substr(item.expr->begin, item.expr->end - item.expr->begin));
    uint32_t column = item.expr->begin;
    s.root = add_root(nullptr, item_text);
    c.compile(item.expr);
    const Node& n = *item.expr;
    if (!item.alias.empty()) {
      s.name = item.alias;
    } else if (n.op == Op::Field) {
      s.name = fields_[n.slot].path.leaf_name();
    } else if (n.op == Op::Aggregate) {
      s.name = aggregates_[n.slot].default_name;
    } else {
      s.name = item_text;
    }
    if (n.op == Op::Field) {
      s.is_field = true;
      s.field = n.slot;
    }
    for (const auto& prev : out)
      if (prev.name == s.name)
        throw UsageError("two select items are named '" + s.name + "'; rename one with 'as'", std::string(text),
                         column);
    roots_[s.root] = std::move(item.expr);
    out.push_back(std::move(s));
  }
}

std::optional<Type> Program::result_type(size_t root) const { return static_type(*roots_[root]); }

void Program::rebuild_trie() {
  trie_.clear();
  for (const auto& f : fields_) {
    if (!f.variable.empty() || f.path.empty()) continue;
    std::vector<detail::PathTrieNode>* level = &trie_;
    const auto& segs = f.path.segments();
    for (size_t i = 0; i < segs.size(); ++i) {
      std::string key = json_escaped(segs[i].key);
      detail::PathTrieNode* node = nullptr;
      for (auto& n : *level)
        if (n.key == key && n.index == segs[i].index && n.index_only == segs[i].index_only) node = &n;
      if (!node) {
        detail::PathTrieNode n;
        n.key = key;
        n.name = segs[i].key;
        n.index = segs[i].index;
        n.index_only = segs[i].index_only;
        level->push_back(std::move(n));
        node = &level->back();
      }
      if (i + 1 == segs.size())
        node->slot = static_cast<int32_t>(f.slot);
      else
        level = &node->kids;
    }
  }
  // Number the member lists (the top level is 0) so that an evaluator can keep per-list state.
  trie_lists_ = 1;
  auto number = [&](auto& self, std::vector<detail::PathTrieNode>& list) -> void {
    for (auto& n : list) {
      if (n.kids.empty()) continue;
      n.kids_id = trie_lists_++;
      self(self, n.kids);
    }
  };
  number(number, trie_);
}

}  // namespace sp::expr
