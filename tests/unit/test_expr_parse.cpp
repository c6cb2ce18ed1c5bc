// Expression language: syntax, syntax errors with their columns, select lists, and the API for
// aggregation (sp-agg) and pattern variables (sp-match).
// Columns: sp::UsageError::column is 0-based (where the caret goes); columns inside messages
// count from 1, as the entry wrapper's "(column N)" does.
#include "expr_helpers.h"

using namespace sp::expr;
using namespace sp::expr::test;

TEST_CASE("literals", "[expr]") {
  CHECK(eval("42") == "42");
  CHECK(eval("-1.5") == "-1.5");
  CHECK(eval("1e3") == "1000");
  CHECK(eval("0.1") == "0.1");
  CHECK(eval("'it''s'") == "\"it's\"");
  CHECK(eval(R"("say \"hi\"\n")") == R"("say \"hi\"\n")");
  CHECK(eval(R"('a\d')") == R"("a\\d")");   // single quotes: backslash is literal
  CHECK(eval(R"("a\d")") == R"("a\\d")");   // double quotes: unknown escape keeps the backslash
  CHECK(eval(R"("\u00e9\ud83d\ude00")") == "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  CHECK(eval("true") == "true");
  CHECK(eval("FALSE") == "false");
  CHECK(eval("null") == "null");
  CHECK(eval("5m") == "\"5m\"");
  CHECK(eval("1h30m") == "\"1h30m\"");
  CHECK(eval("250ms") == "\"250ms\"");
  CHECK(eval("1.5s") == "\"1.5s\"");
  CHECK(eval("2d") == "\"2d\"");
  CHECK(eval("90s") == "\"1m30s\"");
  CHECK(eval("5m = 300s") == "true");
}

TEST_CASE("field paths", "[expr]") {
  const std::string rec = R"({"a":1,"ua":{"browser":"Firefox","v":{"major":3}},"tags":["x","y"],)"
                          R"("odd name":7,"@timestamp":"t","k.dot":2,"arr":[{"id":5},{"id":6}],"0":"zero"})";
  CHECK(eval("a", rec) == "1");
  CHECK(eval("ua.browser", rec) == "\"Firefox\"");
  CHECK(eval("ua.v.major", rec) == "3");
  CHECK(eval("tags[0]", rec) == "\"x\"");
  CHECK(eval("tags[1]", rec) == "\"y\"");
  CHECK(eval("tags[2]", rec) == "null");
  CHECK(eval("tags[-1]", rec) == "\"y\"");  // an index expression, not a path
  CHECK(eval("`odd name`", rec) == "7");
  CHECK(eval("@timestamp", rec) == "\"t\"");
  CHECK(eval("`k.dot`", rec) == "2");
  CHECK(eval(R"(ua["browser"])", rec) == "\"Firefox\"");
  CHECK(eval("arr[1].id", rec) == "6");
  CHECK(eval("missing", rec) == "null");
  CHECK(eval("ua.missing.deeper", rec) == "null");
  CHECK(eval("a.b", rec) == "null");  // a scalar where the path goes deeper
  CHECK(eval("ua", rec) == R"({"browser":"Firefox","v":{"major":3}})");
  CHECK(eval("tags", rec) == R"(["x","y"])");
  // The whole value and a field inside it, in one expression.
  CHECK(eval("concat(type_of(ua), ':', ua.browser, ':', ua.v.major)", rec) == "\"object:Firefox:3\"");
  // Keywords after a dot are names.
  CHECK(eval("x.end", R"({"x":{"end":1}})") == "1");
}

TEST_CASE("precedence and associativity", "[expr]") {
  CHECK(eval("1 + 2 * 3") == "7");
  CHECK(eval("(1 + 2) * 3") == "9");
  CHECK(eval("10 - 4 - 3") == "3");
  CHECK(eval("100 / 10 / 5") == "2");
  CHECK(eval("-2 * 3") == "-6");
  CHECK(eval("- -2") == "2");
  CHECK(eval("+2") == "2");
  CHECK(eval("2 * 3 % 4") == "2");
  CHECK(eval("1 + 1 = 2 and 2 > 1") == "true");
  CHECK(eval("true or false and false") == "true");  // and binds tighter than or
  CHECK(eval("not false and false") == "false");     // not binds tighter than and
  CHECK(eval("not 1 = 2") == "true");                // ... but looser than comparisons
  CHECK(eval("!(1 = 1) || 1 < 2 && 2 < 3") == "true");
  CHECK(eval("(1 < 2) = true") == "true");
}

TEST_CASE("syntax errors point at the offending token", "[expr]") {
  std::string msg;
  //                      0123456789012345
  CHECK(error_column("status >= (500 + 1", &msg) == 18);
  CHECK(msg == "expected ')' to close '(' opened at column 11");
  CHECK(error_column("lower(path", &msg) == 10);
  CHECK(msg == "expected ')' to close '(' opened at column 6");
  CHECK(error_column("lower(path x)", &msg) == 11);
  CHECK(msg == "expected ')' to close '(' opened at column 6");
  CHECK(error_column("", &msg) == 0);
  CHECK(msg == "empty expression");
  CHECK(error_column("status >=", &msg) == 9);
  CHECK(msg == "expected an expression, found the end of the expression");
  CHECK(error_column("status >= 500 path", &msg) == 14);
  CHECK(msg == "unexpected 'path' after a complete expression (missing 'and' or 'or'?)");
  CHECK(error_column("a = 1)", &msg) == 5);
  CHECK(msg == "unmatched ')'");
  CHECK(error_column("a = 'abc", &msg) == 4);
  CHECK(msg == "unterminated string");
  // Found by fuzzing (tests/fuzz/regressions/expr/upper-latin1-literal): a literal that is not
  // UTF-8 (typed in a Latin-1 shell) matched nothing and put bad bytes into the output.
  CHECK(error_column("upper('a\xb6" "c') = x", &msg) == 6);
  CHECK(msg == "string is not valid UTF-8 (records and output are UTF-8)");
  CHECK(error_column("s =~ \"caf\xe9\"", &msg) == 5);
  CHECK(error_column("s = 'caf\xc3\xa9' and t = \"\\u00e9\"") == -1);
  CHECK(error_column("a = `abc", &msg) == 4);
  CHECK(error_column("a # b", &msg) == 2);
  CHECK(msg == "unexpected character '#'");
  CHECK(error_column("a & b", &msg) == 2);
  CHECK(msg == "unexpected '&' (use 'and' or '&&')");
  CHECK(error_column("a > 5x", &msg) == 5);
  CHECK(msg == "unknown duration unit 'x' (units: ns, us, ms, s, m, h, d)");
  CHECK(error_column("a > 1h5q", &msg) == 7);
  CHECK(error_column("a > .5", &msg) == 4);
  CHECK(error_column("a in 1, 2", &msg) == 5);
  CHECK(msg == "expected '(' after 'in', found '1'");
  CHECK(error_column("a in (1, 2", &msg) == 10);
  CHECK(msg == "expected ')' to close '(' opened at column 6");
  CHECK(error_column("a in ()", &msg) == 6);
  CHECK(error_column("a between 1 or 2", &msg) == 12);
  CHECK(msg == "expected 'and' in 'between' (at column 3), found 'or'");
  CHECK(error_column("a is nul", &msg) == 5);
  CHECK(msg == "expected 'null' after 'is', found 'nul'");
  CHECK(error_column("a is not 1", &msg) == 9);
  CHECK(error_column("case when a then 1", &msg) == 18);
  CHECK(msg == "expected 'end' to close 'case' opened at column 1, found the end of the expression");
  CHECK(error_column("case a 1 end", &msg) == 7);
  CHECK(error_column("case when a 1 end", &msg) == 12);
  CHECK(msg == "expected 'then' after the 'when' at column 6, found '1'");
  CHECK(error_column("a < b < c", &msg) == 6);
  CHECK(msg == "comparisons do not chain: use 'and' to combine them");
  CHECK(error_column("a = and", &msg) == 4);
  CHECK(msg == "expected an expression, found the keyword 'and' (write `and` for a field of that name)");
  CHECK(error_column("tags[0", &msg) == 6);
  CHECK(msg == "expected ']' to close '[' opened at column 5");
  CHECK(error_column("a.", &msg) == 1);
  CHECK(error_column("x = \"\\u12\"", &msg) == 5);
}

TEST_CASE("name errors point at the name", "[expr]") {
  std::string msg;
  CHECK(error_column("lowr(path) = 'x'", &msg) == 0);
  CHECK(msg == "unknown function 'lowr' (did you mean 'lower'?)");
  CHECK(error_column("a and frobnicate(1)", &msg) == 6);
  CHECK(msg == "unknown function 'frobnicate'");
  CHECK(error_column("x = substr(path)", &msg) == 4);
  CHECK(msg == "substr(s, start[, length]) takes 2 to 3 arguments, got 1");
  CHECK(error_column("lower(a, b)", &msg) == 0);
  CHECK(msg == "lower(s) takes 1 argument, got 2");
  CHECK(error_column("if(a, b)", &msg) == 0);
  CHECK(error_column("status > avg(latency)", &msg) == 9);
  CHECK(msg.starts_with("avg() is an aggregate function"));
  CHECK(error_column("min(x)", &msg) == 0);  // min with one argument is the aggregate
  CHECK(error_column("lower(*)", &msg) == 6);
  CHECK(msg == "'*' is only allowed in count(*)");
  CHECK(error_column("path =~ 'a(b'", &msg) == 12);
  CHECK(msg.starts_with("bad regular expression: "));
  CHECK(error_column("cidr_match(ip, '10.0.0.0/33')", &msg) == 15);
  CHECK(error_column("parse_time(t, '%Y %Q')", &msg) == 14);
  CHECK(msg == "unknown directive '%Q' in time format");
  CHECK(error_column("path like 5", &msg) == 10);
  CHECK(error_column("a.`b", &msg) == 2);
}

TEST_CASE("errors leave the program usable", "[expr]") {
  Program p;
  p.add("a = 1");
  CHECK_THROWS_AS(p.add("b = (1"), sp::UsageError);
  CHECK(p.size() == 1);
  CHECK(p.fields().size() == 1);
  p.add("b = 2");
  CHECK(p.size() == 2);
}

TEST_CASE("several expressions share one field table", "[expr]") {
  Program p;
  size_t w = p.add("status >= 500 and ua.browser = 'x'");
  size_t s = p.add("status * 2");
  CHECK(w == 0);
  CHECK(s == 1);
  REQUIRE(p.fields().size() == 2);
  CHECK(p.fields()[0].name == "status");
  CHECK(p.fields()[1].name == "ua.browser");
  CHECK(p.result_type(0) == Type::Bool);
  CHECK(!p.result_type(1).has_value());
  CHECK(p.text(1) == "status * 2");
  MapRecord rec{{"status", Value::of_number(503)}, {"ua.browser", Value::of_string("x")}};
  Evaluator ev(p);
  ev.load(rec);
  CHECK(ev.test(0));
  CHECK(to_json(ev.eval(1)) == "1006");
}

TEST_CASE("constant folding", "[expr]") {
  Program p = Program::compile("1 + 2 * 3");
  CHECK(p.is_constant(0));
  CHECK(to_json(p.root(0).value) == "7");
  CHECK(Program::compile("lower('ABC') = 'abc'").is_constant(0));
  CHECK(Program::compile("5m + 30s").is_constant(0));
  CHECK(!Program::compile("now() > 0").is_constant(0));
  CHECK(!Program::compile("a + 1").is_constant(0));
  // A constant expression that fails is left to fail (and be counted) per record.
  Program bad = Program::compile("'a' * 2");
  CHECK(!bad.is_constant(0));
  Result r = run("'a' * 2");
  CHECK(r.json == "null");
  CHECK(r.errors == 1);
  CHECK(r.first_error == "column 5: cannot apply '*' to string and number");
}

TEST_CASE("select lists", "[expr]") {
  Program p;
  auto items = p.add_select("ts, user_id, latency_ms * 1000 as latency_us, ua.browser as browser, tags[0], "
                            "lower(method), x as `odd name`, y as \"quoted\"");
  REQUIRE(items.size() == 8);
  CHECK(items[0].name == "ts");
  CHECK(items[0].is_field);
  CHECK(items[2].name == "latency_us");
  CHECK(!items[2].is_field);
  CHECK(items[3].name == "browser");
  CHECK(items[3].is_field);
  CHECK(items[4].name == "tags_0");
  CHECK(items[5].name == "lower(method)");
  CHECK(items[6].name == "odd name");
  CHECK(items[7].name == "quoted");
  CHECK(p.text(items[2].root) == "latency_ms * 1000");
  std::string msg;
  try {
    Program q;
    q.add_select("a.x, b.x");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    CHECK(std::string(e.what()) == "two select items are named 'x'; rename one with 'as'");
    CHECK(e.column == 5);
  }
  try {
    Program q;
    q.add_select("a b");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    CHECK(std::string(e.what()) == "expected ',' or 'as' after a select item, found 'b'");
    CHECK(e.column == 2);
  }
  try {
    Program q;
    q.add_select("a as 5");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    CHECK(e.column == 5);
  }
}

TEST_CASE("aggregate calls for sp-agg", "[expr]") {
  CompileOptions opts;
  opts.allow_aggregates = true;
  Program p(opts);
  auto items = p.add_select("service, count(*) as n, avg(latency_ms), p99(latency_ms * 2), count(*) + 1 as n1");
  size_t having = p.add("count(*) > 10 and avg(latency_ms) < 5");
  REQUIRE(p.aggregates().size() == 3);  // count(*) and avg(latency_ms) are shared
  const auto& count = p.aggregates()[0];
  CHECK(count.name == "count");
  CHECK(count.star);
  CHECK(count.args.empty());
  CHECK(count.default_name == "count");
  const auto& avg = p.aggregates()[1];
  CHECK(avg.name == "avg");
  CHECK(avg.text == "avg(latency_ms)");
  CHECK(avg.default_name == "avg_latency_ms");
  REQUIRE(avg.args.size() == 1);
  CHECK(p.text(avg.args[0]) == "latency_ms");
  CHECK(items[2].name == "avg_latency_ms");
  const auto& p99 = p.aggregates()[2];
  REQUIRE(p99.args.size() == 1);

  // The engine evaluates the arguments per record...
  Evaluator ev(p);
  ev.load(MapRecord{{"latency_ms", Value::of_number(4)}, {"service", Value::of_string("api")}});
  CHECK(to_json(ev.eval(p99.args[0])) == "8");
  // ... and supplies the aggregates' values for HAVING/SELECT.
  ev.set_aggregate(0, Value::of_number(12));
  ev.set_aggregate(1, Value::of_number(3.5));
  CHECK(ev.test(having));
  CHECK(to_json(ev.eval(items[4].root)) == "13");
  CHECK(to_json(ev.eval(items[0].root)) == "\"api\"");

  std::string msg;
  try {
    Program q(opts);
    q.add("avg(count(*))");
    FAIL("no error");
  } catch (const sp::UsageError& e) {
    CHECK(e.column == 4);
  }
}

TEST_CASE("pattern variables for sp-match", "[expr]") {
  CompileOptions opts;
  opts.allow_aggregates = true;
  opts.variables = {"F", "S"};
  Program p(opts);
  size_t def = p.add("S.amount > avg(F.amount) and event = 'login' and S.ok");
  size_t emit = p.add("count(F)");
  REQUIRE(p.fields().size() == 4);
  CHECK(p.fields()[0].variable == "S");
  CHECK(p.fields()[0].name == "S.amount");
  CHECK(p.fields()[0].path.text() == "amount");
  CHECK(p.fields()[1].variable == "F");  // read by the aggregate's argument
  CHECK(p.fields()[1].name == "F.amount");
  CHECK(p.fields()[2].variable.empty());
  CHECK(p.fields()[2].name == "event");
  CHECK(p.fields()[3].name == "S.ok");
  REQUIRE(p.aggregates().size() == 2);
  CHECK(p.aggregates()[0].variable == "F");
  CHECK(p.aggregates()[0].default_name == "avg_F_amount");
  CHECK(p.aggregates()[1].variable == "F");
  CHECK(p.aggregates()[1].default_name == "count_F");
  CHECK(p.aggregates()[1].args.empty());

  Evaluator ev(p);
  ev.load(MapRecord{{"event", Value::of_string("login")}});
  ev.set_field(0, Value::of_number(100));  // S.amount, resolved by the engine
  ev.set_field(3, Value::of_bool(true));    // S.ok
  ev.set_aggregate(0, Value::of_number(20));
  CHECK(ev.test(def));
  ev.set_aggregate(1, Value::of_number(3));
  CHECK(to_json(ev.eval(emit)) == "3");
  // A bare variable outside an aggregate is an error; backticks make it a field.
  Program q(opts);
  CHECK_THROWS_AS(q.add("F = 1"), sp::UsageError);
  q.add("`F` = 1");
  CHECK(q.fields()[0].variable.empty());
}
