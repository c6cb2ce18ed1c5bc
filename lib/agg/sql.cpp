#include "agg/sql.h"

#include <cctype>
#include <cmath>
#include <string_view>
#include <vector>

#include "agg/window.h"
#include "expr/program.h"
#include "filter/filter.h"
#include "io/error.h"

namespace sp::agg {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// A piece of the query with its offset, for carets.
struct Span {
  size_t begin = 0, end = 0;
};

class SqlParser {
 public:
  explicit SqlParser(const std::string& sql) : sql_(sql) {}

  [[noreturn]] void fail(size_t pos, const std::string& msg) const { throw UsageError("--sql: " + msg, sql_, pos); }

  Span trim(Span s) const {
    while (s.begin < s.end && std::isspace(static_cast<unsigned char>(sql_[s.begin]))) ++s.begin;
    while (s.end > s.begin && std::isspace(static_cast<unsigned char>(sql_[s.end - 1]))) --s.end;
    return s;
  }
  std::string text(Span s) const { return sql_.substr(s.begin, s.end - s.begin); }

  // Splits at commas outside quotes and brackets.
  std::vector<Span> split_commas(Span s) const {
    std::vector<Span> out;
    size_t depth = 0, start = s.begin;
    char quote = 0;
    for (size_t i = s.begin; i < s.end; ++i) {
      char c = sql_[i];
      if (quote) {
        if (c == '\\') ++i;
        else if (c == quote) quote = 0;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') quote = c;
      else if (c == '(' || c == '[') ++depth;
      else if ((c == ')' || c == ']') && depth) --depth;
      else if (c == ',' && depth == 0) {
        out.push_back(trim({start, i}));
        start = i + 1;
      }
    }
    out.push_back(trim({start, s.end}));
    for (const auto& p : out)
      if (p.begin == p.end) fail(p.begin, "empty item in a list");
    return out;
  }

  struct Clause {
    std::string name;  // "select", "from", "where", "group", "having", "limit", "order"
    size_t keyword = 0;
    Span body;
  };

  std::vector<Clause> clauses() const {
    static const char* const kNames[] = {"select", "from", "where", "group", "having", "limit", "order"};
    std::vector<Clause> out;
    size_t depth = 0;
    char quote = 0;
    for (size_t i = 0; i < sql_.size(); ++i) {
      char c = sql_[i];
      if (quote) {
        if (c == '\\') ++i;
        else if (c == quote) quote = 0;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        quote = c;
        continue;
      }
      if (c == '(' || c == '[') ++depth;
      if ((c == ')' || c == ']') && depth) --depth;
      if (depth || !word_char(c) || (i > 0 && (word_char(sql_[i - 1]) || sql_[i - 1] == '.'))) continue;
      size_t e = i;
      while (e < sql_.size() && word_char(sql_[e])) ++e;
      std::string_view w(sql_.data() + i, e - i);
      for (const char* name : kNames) {
        if (!iequal(w, name)) continue;
        size_t body = e;
        if (iequal(w, "group") || iequal(w, "order")) {
          size_t j = e;
          while (j < sql_.size() && std::isspace(static_cast<unsigned char>(sql_[j]))) ++j;
          size_t k = j;
          while (k < sql_.size() && word_char(sql_[k])) ++k;
          if (!iequal(std::string_view(sql_.data() + j, k - j), "by")) break;
          body = k;
        }
        if (!out.empty()) out.back().body.end = i;
        out.push_back({name, i, {body, sql_.size()}});
        break;
      }
      i = e - 1;
    }
    for (auto& c : out) c.body = trim(c.body);
    return out;
  }

  // INTERVAL '1' MINUTE, INTERVAL '30' SECONDS, '1m', 1m -> a duration text for parse_duration.
  std::string interval(Span s) const {
    std::string t = text(s);
    size_t i = 0;
    auto skip = [&] {
      while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    };
    skip();
    if (t.size() >= 8 && iequal(std::string_view(t).substr(0, 8), "interval")) {
      i = 8;
      skip();
      if (i >= t.size() || t[i] != '\'') fail(s.begin + i, "expected a quoted number after INTERVAL, as in INTERVAL '1' MINUTE");
      size_t close = t.find('\'', i + 1);
      if (close == std::string::npos) fail(s.begin + i, "unterminated quote");
      std::string number = t.substr(i + 1, close - i - 1);
      i = close + 1;
      skip();
      size_t unit_at = i;
      std::string unit = t.substr(i);
      while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) unit.pop_back();
      std::string lower;
      for (char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!lower.empty() && lower.back() == 's') lower.pop_back();
      static const std::pair<const char*, const char*> units[] = {
          {"millisecond", "ms"}, {"second", "s"}, {"minute", "m"}, {"hour", "h"}, {"day", "d"}};
      for (const auto& [name, abbrev] : units)
        if (lower == name) {
          char* end = nullptr;
          double v = std::strtod(number.c_str(), &end);
          if (number.empty() || *end || !(v > 0)) fail(s.begin + 8, "expected a positive number in INTERVAL '...'");
          return number + abbrev;
        }
      fail(s.begin + unit_at, "expected a unit (MILLISECOND, SECOND, MINUTE, HOUR or DAY) after INTERVAL '" + number + "'");
    }
    if (!t.empty() && t.front() == '\'' && t.back() == '\'' && t.size() >= 2) return t.substr(1, t.size() - 2);
    return t;
  }

  void window(Span item, Options& o) const {
    std::string t = text(item);
    size_t paren = t.find('(');
    std::string name = t.substr(0, paren);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    if (t.back() != ')') fail(item.end - 1, "expected ')' at the end of " + name + "(...)");
    auto args = split_commas({item.begin + paren + 1, item.end - 1});
    size_t want = iequal(name, "hop") ? 3 : 2;
    if (args.size() != want)
      fail(item.begin, name + "() takes " + std::to_string(want) + " arguments: " +
                           (want == 3 ? "HOP(time, slide, size)" : name + "(time, " +
                                                                       (iequal(name, "session") ? "gap)" : "size)")));
    o.time = text(args[0]);
    std::vector<std::string> d;
    for (size_t i = 1; i < args.size(); ++i) {
      d.push_back(interval(args[i]));
      try {
        parse_duration_ns(d.back(), name, false);
      } catch (const UsageError& e) {
        fail(args[i].begin, std::string("not a duration: ") + text(args[i]));
      }
    }
    if (iequal(name, "tumble"))
      o.window = "tumbling:" + d[0];
    else if (iequal(name, "hop"))
      o.window = "hopping:" + d[1] + "/" + d[0];
    else
      o.window = "session:" + d[0];
    try {
      WindowSpec::parse(o.window, "--sql");
    } catch (const UsageError& e) {
      fail(item.begin, e.what() + std::string(" (from ") + t + ")");
    }
  }

  SqlQuery parse() {
    SqlQuery q;
    auto cs = clauses();
    if (cs.empty() || cs[0].name != "select" || trim({0, cs[0].keyword}).end != trim({0, cs[0].keyword}).begin)
      fail(trim({0, sql_.size()}).begin, "a query starts with SELECT");
    static const char* const kOrder[] = {"select", "from", "where", "group", "having", "limit"};
    size_t at = 0;
    Span select, where, group, having, limit;
    bool has_group = false;
    for (const auto& c : cs) {
      if (c.name == "order") fail(c.keyword, "ORDER BY is not supported: results come in window order");
      size_t k = 0;
      while (kOrder[k] != c.name) ++k;
      if (k < at || (k == at && &c != &cs[0])) fail(c.keyword, "unexpected " + c.name + " here (clauses go SELECT, FROM, WHERE, GROUP BY, HAVING, LIMIT)");
      at = k;
      if (c.body.begin == c.body.end) fail(c.keyword, "nothing after " + c.name);
      if (c.name == "select") select = c.body;
      if (c.name == "where") where = c.body;
      if (c.name == "group") group = c.body, has_group = true;
      if (c.name == "having") having = c.body;
      if (c.name == "limit") limit = c.body;
      if (c.name == "from") {
        for (size_t i = c.body.begin; i < c.body.end; ++i)
          if (!word_char(sql_[i]) && sql_[i] != '-' && sql_[i] != '.')
            fail(i, "FROM names the input (stdin); the inputs are the FILE arguments");
      }
    }
    std::string select_text = text(select);
    Options& o = q.agg;
    std::vector<std::string> groups;
    if (has_group) {
      for (const auto& item : split_commas(group)) {
        std::string t = text(item);
        size_t paren = t.find('(');
        std::string head = t.substr(0, paren == std::string::npos ? 0 : paren);
        while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.pop_back();
        if (iequal(head, "tumble") || iequal(head, "hop") || iequal(head, "session")) {
          if (o.window != "global") fail(item.begin, "only one window function in GROUP BY");
          window(item, o);
        } else {
          groups.push_back(t);
        }
      }
    }
    bool has_aggregates = false;
    if (select_text != "*") {
      expr::Program probe(expr::CompileOptions{true, {}, expr::is_builtin_aggregate});
      try {
        probe.add_select(select_text);
      } catch (const UsageError& e) {
        if (e.has_position) throw UsageError(std::string("--sql: ") + e.what(), sql_, select.begin + e.column);
        throw;
      }
      has_aggregates = !probe.aggregates().empty();
    }
    if (!has_group && !has_aggregates) {
      if (having.begin != having.end) fail(having.begin, "HAVING needs GROUP BY or aggregates");
      q.aggregate = false;
      q.where = text(where);
      if (select_text != "*") q.select = select_text;
      if (limit.begin != limit.end) {
        std::string l = text(limit);
        if (l.find_first_not_of("0123456789") != std::string::npos) fail(limit.begin, "LIMIT takes a number");
        q.limit = std::stoull(l);
      }
      return q;
    }
    if (select_text == "*") fail(select.begin, "SELECT * cannot be aggregated: list the groups and aggregates");
    if (limit.begin != limit.end) fail(limit.begin, "LIMIT is not supported with aggregation");
    o.where = text(where);
    o.having = text(having);
    o.columns_by_name = true;
    for (size_t i = 0; i < groups.size(); ++i) o.group_by += (i ? ", " : "") + groups[i];
    // window_start and window_end are always the first columns.
    std::string items;
    for (const auto& item : split_commas(select)) {
      std::string t = text(item);
      if (iequal(t, "window_start") || iequal(t, "window_end")) continue;
      items += (items.empty() ? "" : ", ") + t;
    }
    o.aggregates = items;
    return q;
  }

 private:
  const std::string& sql_;
};

}  // namespace

// COUNT(DISTINCT x) is distinct_count(x): rewritten in place, padded to the same length so
// that columns in error messages still match the query.
std::string rewrite_count_distinct(const std::string& sql) {
  std::string out = sql;
  for (size_t i = 0; i + 5 <= out.size(); ++i) {
    if (!iequal(std::string_view(out).substr(i, 5), "count") || (i > 0 && word_char(out[i - 1]))) continue;
    size_t j = i + 5;
    while (j < out.size() && std::isspace(static_cast<unsigned char>(out[j]))) ++j;
    if (j >= out.size() || out[j] != '(') continue;
    ++j;
    while (j < out.size() && std::isspace(static_cast<unsigned char>(out[j]))) ++j;
    if (j + 8 > out.size() || !iequal(std::string_view(out).substr(j, 8), "distinct")) continue;
    size_t k = j + 8;
    if (k >= out.size() || !std::isspace(static_cast<unsigned char>(out[k]))) continue;
    while (k < out.size() && std::isspace(static_cast<unsigned char>(out[k]))) ++k;
    std::string repl = "distinct_count(";
    if (k - i < repl.size()) continue;  // cannot happen: "count(distinct " is as long
    repl.append(k - i - repl.size(), ' ');
    out.replace(i, k - i, repl);
  }
  return out;
}

SqlQuery parse_sql(const std::string& sql) {
  std::string rewritten = rewrite_count_distinct(sql);
  return SqlParser(rewritten).parse();
}

int run_sql(cli::Program& prog, const std::string& sql, const Options& base) {
  SqlQuery q = parse_sql(sql);
  try {
    if (!q.aggregate) {
      filter::Options f;
      f.where = q.where;
      f.select = q.select;
      f.limit = q.limit;
      return filter::run(prog, f);
    }
    Options o = base;
    o.window = q.agg.window;
    o.time = q.agg.time;
    o.group_by = q.agg.group_by;
    o.aggregates = q.agg.aggregates;
    o.columns_by_name = true;
    o.where = q.agg.where;
    o.having = q.agg.having;
    return run(prog, o);
  } catch (const UsageError& e) {
    // Point into the whole query.
    if (e.has_position && !e.source.empty()) {
      size_t at = sql.find(e.source);
      if (at != std::string::npos) throw UsageError(std::string("--sql: ") + e.what(), sql, at + e.column);
    }
    throw;
  }
}

}  // namespace sp::agg
