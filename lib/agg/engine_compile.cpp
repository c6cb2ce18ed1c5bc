#include <cctype>

#include "agg/engine_impl.h"
#include "agg/sketch.h"
#include "agg/state.h"
#include "expr/time.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/writer.h"

namespace sp::agg {

std::string normalize_aggregate_list(const std::string& list) {
  // Split at top-level commas (outside quotes and brackets) and rewrite items that are just
  // `count` (optionally with `as NAME`).
  std::string out;
  size_t depth = 0, start = 0;
  char quote = 0;
  auto flush_item = [&](size_t end) {
    std::string item = list.substr(start, end - start);
    size_t a = item.find_first_not_of(" \t\n");
    if (a != std::string::npos) {
      std::string rest = item.substr(a);
      auto word_end = rest.find_first_of(" \t\n");
      std::string word = rest.substr(0, word_end);
      std::string lower = word;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string after = rest.substr(word.size());
      size_t b = after.find_first_not_of(" \t\n");
      bool call = b != std::string::npos && after[b] == '(';
      if (!call && lower == "count") item = item.substr(0, a) + word + "(*)" + after;
      if (!call && lower == "rate") item = item.substr(0, a) + word + "()" + after;
    }
    if (!out.empty() || start > 0) out += ',';
    out += item;
  };
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') quote = c;
    else if (c == '(' || c == '[') ++depth;
    else if ((c == ')' || c == ']') && depth) --depth;
    else if (c == ',' && depth == 0) {
      flush_item(i);
      start = i + 1;
    }
  }
  flush_item(list.size());
  return out;
}

namespace detail {

// ---- compilation

void collect_fields(const expr::Node& n, std::vector<const expr::Node*>& out) {
  if (n.op == expr::Op::Field) out.push_back(&n);
  for (const auto& k : n.kids) collect_fields(*k, out);
}

void Engine::compile() {
  win_ = WindowSpec::parse(o_.window);
  max_delay_ = parse_duration_ns(o_.max_delay, "--max-delay");
  lateness_ = parse_duration_ns(o_.allowed_lateness, "--allowed-lateness");
  if (!o_.idle_timeout.empty()) idle_ = parse_duration_ns(o_.idle_timeout, "--idle-timeout", false);
  if (!o_.checkpoint_interval.empty()) {
    checkpoint_ = parse_duration_ns(o_.checkpoint_interval, "--checkpoint-interval", false);
    if (o_.state.empty()) throw UsageError("--checkpoint-interval needs --state FILE");
  }
  if (!o_.every.empty()) {
    if (win_.kind != WindowKind::Global) throw UsageError("--every applies to --window global only");
    bool digits = o_.every.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      every_n_ = std::stoull(o_.every);
      if (every_n_ == 0) throw UsageError("--every: expected a number of records (> 0) or a duration");
    } else {
      every_wall_ = parse_duration_ns(o_.every, "--every", false);
    }
  }
  if (o_.processing_time && !o_.time.empty()) throw UsageError("--time and --processing-time exclude each other");
  if (win_.kind != WindowKind::Global && !o_.processing_time && o_.time.empty())
    throw UsageError("windows need a time: --time FIELD (event time) or --processing-time");
  if (o_.processing_time && idle_) throw UsageError("--idle-timeout applies to event time, not --processing-time");

  if (!o_.where.empty()) {
    where_ = program_.add(o_.where);
    auto t = program_.result_type(where_);
    if (t && *t != Type::Bool && *t != Type::Null)
      throw UsageError("--where must be a condition (true or false)", o_.where, 0);
    if (!program_.aggregates().empty())
      throw UsageError("--where is applied to records before aggregation: use --having for aggregates", o_.where, 0);
  }
  if (!o_.time.empty()) time_ = program_.add(o_.time);
  if (!o_.group_by.empty()) {
    size_t before = program_.aggregates().size();
    groups_ = program_.add_select(o_.group_by);
    if (program_.aggregates().size() != before)
      throw UsageError("--group-by cannot hold aggregates", o_.group_by, 0);
    if (groups_.size() > 64) throw UsageError("--group-by: at most 64 values");
  }
  size_t aggs_before = program_.aggregates().size();
  std::string list = normalize_aggregate_list(o_.aggregates);
  if (!list.empty()) items_ = program_.add_select(list);
  (void)aggs_before;
  if (!o_.having.empty()) having_ = program_.add(o_.having);
  specs_ = make_specs(program_);

  // Names of aggregates with a default name: pct(x, 0.999) -> p99.9_x.
  for (auto& item : items_) {
    const expr::Node& n = program_.root(item.root);
    if (n.op != expr::Op::Aggregate) continue;
    const auto& call = program_.aggregates()[n.slot];
    if (call.name == "pct" && item.name == call.default_name) {
      std::string q;
      expr::append_number(q, specs_[n.slot].q * 100);
      item.name = "p" + q + call.default_name.substr(3);
    }
  }

  // Columns: group items, then the aggregates (CLI); or the select list, where a bare name of
  // a group item is that group's value (SQL).
  auto group_of_name = [&](const std::string& name) -> int {
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (groups_[g].name == name) return static_cast<int>(g);
      if (groups_[g].is_field && program_.fields()[groups_[g].field].name == name) return static_cast<int>(g);
      if (program_.text(groups_[g].root) == name) return static_cast<int>(g);
    }
    return -1;
  };
  if (!o_.columns_by_name)
    for (size_t g = 0; g < groups_.size(); ++g) columns_.push_back({ColumnKind::Group, g, groups_[g].name});
  for (size_t i = 0; i < items_.size(); ++i) {
    const auto& item = items_[i];
    int g = -1;
    if (item.is_field) g = group_of_name(program_.fields()[item.field].name);
    if (g < 0) g = group_of_name(program_.text(item.root));
    if (g >= 0 && o_.columns_by_name) {
      columns_.push_back({ColumnKind::Group, static_cast<size_t>(g), item.name});
      continue;
    }
    columns_.push_back({ColumnKind::Expr, i, item.name});
  }
  for (const auto& r : o_.renames) {
    size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
      throw UsageError("--as: expected OLD=NEW, as in --as avg_latency_ms=mean");
    std::string from = r.substr(0, eq), to = r.substr(eq + 1);
    bool found = false;
    for (auto& c : columns_)
      if (c.name == from) c.name = to, found = true;
    if (!found) {
      std::string names;
      for (const auto& c : columns_) names += (names.empty() ? "" : ", ") + c.name;
      throw UsageError("--as: no output column is named '" + from + "' (the columns: " + names + ")");
    }
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    if (c.name == "window_start" || c.name == "window_end")
      throw UsageError("'" + c.name + "' is the name of a window bound; rename the column with 'as'");
    for (size_t j = 0; j < i; ++j)
      if (columns_[j].name == c.name)
        throw UsageError("two output columns are named '" + c.name + "'; rename one with 'as'");
  }

  // Fields used outside aggregates in the output and HAVING must be group values, window
  // bounds, or (in HAVING) output columns.
  const auto& fields = program_.fields();
  slot_group_.assign(fields.size(), -1);
  slot_column_.assign(fields.size(), -1);
  for (const auto& f : fields) {
    if (f.name == "window_start") slot_window_start_ = static_cast<int>(f.slot);
    if (f.name == "window_end") slot_window_end_ = static_cast<int>(f.slot);
    slot_group_[f.slot] = group_of_name(f.name);
    for (size_t c = 0; c < columns_.size(); ++c)
      if (columns_[c].name == f.name) slot_column_[f.slot] = static_cast<int>(c);
  }
  // `source` is the text the root was compiled from, which the nodes' columns count in (the
  // whole --agg list for one of its items).
  auto check_root = [&](size_t root, bool in_having, const std::string& source) {
    std::vector<const expr::Node*> refs;
    collect_fields(program_.root(root), refs);
    for (const auto* n : refs) {
      const auto& f = fields[n->slot];
      if (slot_group_[n->slot] >= 0) {
        need_group_values_ = true;
        continue;
      }
      if (f.name == "window_start" || f.name == "window_end") continue;
      if (in_having && slot_column_[n->slot] >= 0) continue;
      throw UsageError("'" + f.name + "' is neither grouped (--group-by) nor inside an aggregate" +
                           (in_having ? " nor an output column" : ""),
                       source, n->begin);
    }
  };
  for (const auto& c : columns_)
    if (c.kind == ColumnKind::Expr) check_root(items_[c.index].root, false, list);
  if (having_ != kNone) check_root(having_, true, o_.having);
  if (having_ != kNone) need_group_values_ = true;  // HAVING may name group columns

  ev_ = std::make_unique<expr::Evaluator>(program_);
  out_ev_ = std::make_unique<expr::Evaluator>(program_);
  args_.resize(specs_.size());
  bufs_.resize(specs_.size());
  column_values_.resize(columns_.size());
  group_storage_.resize(groups_.size());
}

}  // namespace detail
}  // namespace sp::agg
