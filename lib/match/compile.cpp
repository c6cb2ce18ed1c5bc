#include <algorithm>
#include <cctype>

#include "agg/window.h"
#include "io/error.h"
#include "match/engine_impl.h"

namespace sp::match::detail {
namespace {

void walk(const expr::Node& n, std::vector<const expr::Node*>& out) {
  if (n.op == expr::Op::Field || n.op == expr::Op::Aggregate) out.push_back(&n);
  for (const auto& k : n.kids) walk(*k, out);
}

std::string trim(std::string_view s, size_t* lead = nullptr) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  if (lead) *lead = a;
  return std::string(s.substr(a, b - a));
}

// The path of a field without its variable: "F.amount" -> "amount".
std::string unqualified_name(const expr::FieldRef& f) {
  if (f.variable.empty()) return f.name;
  std::string rest = f.name.substr(f.variable.size());
  if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
  return rest;
}

}  // namespace

RootNeeds Engine::needs_of(size_t root) {
  std::vector<const expr::Node*> nodes;
  walk(program_.root(root), nodes);
  RootNeeds r;
  const auto& fields = program_.fields();
  for (const expr::Node* n : nodes) {
    if (n->op == expr::Op::Aggregate) {
      if (std::find(r.aggs.begin(), r.aggs.end(), n->slot) == r.aggs.end()) r.aggs.push_back(n->slot);
      continue;
    }
    const auto& f = fields[n->slot];
    int var = f.variable.empty() ? -1 : pattern_.variable(f.variable);
    std::string name = unqualified_name(f);
    size_t path = 0;
    while (path < path_slot_.size() && fields[path_slot_[path]].name != name) ++path;
    bool dup = std::any_of(r.slots.begin(), r.slots.end(), [&](const SlotSource& s) { return s.slot == n->slot; });
    if (!dup) r.slots.push_back({n->slot, var, path});
  }
  return r;
}

// Every path read through a variable (or from past events by --emit) is captured from the
// records as an unqualified field too.
void Engine::compile_paths() {
  std::vector<std::string> names;
  for (const auto& f : program_.fields()) {
    std::string n = unqualified_name(f);
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  for (const auto& name : names) {
    auto find = [&]() -> size_t {
      for (const auto& f : program_.fields())
        if (f.variable.empty() && f.name == name) return f.slot;
      return kNone;
    };
    size_t slot = find();
    if (slot == kNone) {
      program_.add(name);
      slot = find();
      if (slot == kNone) throw UsageError("cannot read the field '" + name + "' of past events");
    }
    path_slot_.push_back(slot);
  }
}

void Engine::compile_definitions() {
  size_t nvars = pattern_.variables.size();
  def_root_.assign(nvars, kNone);
  for (const auto& d : o_.defines) {
    size_t colon = d.find(':');
    if (colon == std::string::npos)
      throw UsageError("--define: expected 'VAR: CONDITION', as in 'F: status >= 400'", d, 0);
    size_t lead = 0;
    std::string name = trim(std::string_view(d).substr(0, colon), &lead);
    bool ident = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                 std::all_of(name.begin(), name.end(),
                             [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!ident) throw UsageError("--define: expected a variable name before ':'", d, lead);
    int var = pattern_.variable(name);
    if (var < 0) throw UsageError("--define: '" + name + "' does not appear in the pattern", d, lead);
    if (def_root_[static_cast<size_t>(var)] != kNone)
      throw UsageError("--define: '" + name + "' is defined twice", d, lead);
    size_t off = colon + 1;
    std::string_view cond = std::string_view(d).substr(off);
    if (trim(cond).empty()) throw UsageError("--define: the condition of '" + name + "' is empty", d, d.size());
    size_t root;
    try {
      root = program_.add(cond);
      agg::make_specs(program_, true);
    } catch (const UsageError& e) {
      throw UsageError(std::string("--define ") + name + ": " + e.what(), d, off + (e.has_position ? e.column : 0));
    }
    auto t = program_.result_type(root);
    if (t && *t != expr::Type::Bool && *t != expr::Type::Null)
      throw UsageError("--define " + name + ": the condition must be true or false, but this gives a " +
                           std::string(expr::type_name(*t)),
                       d, off);
    def_root_[static_cast<size_t>(var)] = root;
  }
}

void Engine::compile_emit() {
  std::string list = o_.emit;
  if (list.empty()) {
    for (size_t v = 0; v < pattern_.variables.size(); ++v)
      if (static_cast<int>(v) != pattern_.absent) list += (list.empty() ? "count(" : ", count(") + pattern_.variables[v] + ")";
  }
  try {
    emit_items_ = program_.add_select(list);
    specs_ = agg::make_specs(program_, true);
  } catch (const UsageError& e) {
    throw UsageError(std::string("--emit: ") + e.what(), list, e.has_position ? e.column : 0);
  }
  for (const auto& item : emit_items_)
    if (item.name == "key" || item.name == "match_start" || item.name == "match_end" || item.name == "events")
      throw UsageError("--emit: '" + item.name + "' is a name sp-match writes itself; rename it with 'as'", list, 0);
}

void Engine::compile() {
  within_ = o_.within.empty() ? 0 : agg::parse_duration_ns(o_.within, "--within", false);
  max_delay_ = agg::parse_duration_ns(o_.max_delay, "--max-delay");
  if (!o_.idle_timeout.empty()) idle_ = agg::parse_duration_ns(o_.idle_timeout, "--idle-timeout", false);
  if (o_.after_match == "skip-past-last")
    skip_past_last_ = true;
  else if (o_.after_match == "skip-to-next")
    skip_past_last_ = false;
  else
    throw UsageError("--after-match: expected skip-past-last or skip-to-next, got '" + o_.after_match + "'");
  if (o_.pattern.empty()) throw UsageError("missing --pattern, as in --pattern 'F{3,} S'");
  if (o_.max_runs == 0) throw UsageError("--max-runs: expected a number above 0");
  pattern_ = Pattern::parse(o_.pattern);
  if (!o_.not_followed_by.empty()) pattern_.add_absent(trim(o_.not_followed_by));
  if (pattern_.absent >= 0 && !within_)
    throw UsageError("absence ('!X' or --not-followed-by) needs --within: how long to wait for X");
  if (pattern_.nullable)
    prog_.report().warn("the pattern can match no event at all; such empty matches are not reported");

  expr::CompileOptions copts;
  copts.allow_aggregates = true;
  copts.variables = pattern_.variables;
  program_ = expr::Program(copts);
  if (!o_.key.empty()) {
    try {
      key_items_ = program_.add_select(o_.key);
    } catch (const UsageError& e) {
      throw UsageError(std::string("--key: ") + e.what(), o_.key, e.has_position ? e.column : 0);
    }
    if (!program_.aggregates().empty()) throw UsageError("--key cannot hold aggregates", o_.key, 0);
    for (const auto& f : program_.fields())
      if (!f.variable.empty()) throw UsageError("--key cannot refer to pattern variables", o_.key, 0);
  }
  if (!o_.time.empty()) time_ = program_.add(o_.time);
  compile_definitions();
  compile_emit();
  compile_paths();

  size_t nvars = pattern_.variables.size();
  const auto& aggs = program_.aggregates();
  agg_var_.resize(aggs.size());
  agg_needs_.resize(aggs.size());
  for (size_t i = 0; i < aggs.size(); ++i) {
    agg_var_[i] = aggs[i].variable.empty() ? -1 : pattern_.variable(aggs[i].variable);
    for (size_t arg : aggs[i].args) {
      RootNeeds n = needs_of(arg);
      agg_needs_[i].slots.insert(agg_needs_[i].slots.end(), n.slots.begin(), n.slots.end());
    }
  }
  def_needs_.resize(nvars);
  own_slots_.resize(nvars);
  for (size_t v = 0; v < nvars; ++v) {
    if (def_root_[v] == kNone) continue;
    def_needs_[v] = needs_of(def_root_[v]);
    bool dynamic = !def_needs_[v].aggs.empty();
    for (const auto& s : def_needs_[v].slots) {
      if (s.var >= 0 && static_cast<size_t>(s.var) != v) dynamic = true;
      if (s.var == static_cast<int>(v)) own_slots_[v].push_back(s);
    }
    if (dynamic) dynamic_ |= uint64_t{1} << v;
  }
  for (size_t e = 0; e < emit_items_.size(); ++e) {
    RootNeeds n = needs_of(emit_items_[e].root);
    for (const auto& s : n.slots)
      if (std::none_of(emit_needs_.slots.begin(), emit_needs_.slots.end(),
                       [&](const SlotSource& x) { return x.slot == s.slot; }))
        emit_needs_.slots.push_back(s);
    for (size_t a : n.aggs)
      if (std::find(emit_needs_.aggs.begin(), emit_needs_.aggs.end(), a) == emit_needs_.aggs.end())
        emit_needs_.aggs.push_back(a);
  }
  // Two runs in the same automaton state have the same future unless a definition looks at
  // their histories: then the one of lower priority is dropped (Pike VM), else both are kept.
  dedupe_ = dynamic_ == 0;
  cells_.resize(aggs.size());
  bufs_.resize(aggs.size());
  mark_.assign(pattern_.states.size(), 0);
  last_of_var_.resize(nvars);

  // The runs every attempt starts with: the closure of the start state.
  std::vector<char> seen(pattern_.states.size(), 0);
  std::vector<uint32_t> stack{pattern_.start};
  while (!stack.empty()) {
    uint32_t s = stack.back();
    stack.pop_back();
    if (seen[s]) continue;
    seen[s] = 1;
    const NfaState& st = pattern_.states[s];
    if (st.kind == NfaState::Split) {
      stack.push_back(st.out1);
      stack.push_back(st.out);
    } else if (st.kind == NfaState::Var) {
      start_threads_.push_back({s, nullptr});
      start_vars_ |= uint64_t{1} << st.var;
    }
  }

  ev_ = std::make_unique<expr::Evaluator>(program_);
  if (time_ != kNone && max_delay_ > 0) {
    time_program_.add(o_.time);
    time_ev_ = std::make_unique<expr::Evaluator>(time_program_);
  }
  out_ev_ = std::make_unique<expr::Evaluator>(program_);
}

}  // namespace sp::match::detail
