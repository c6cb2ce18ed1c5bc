// sp-expr-eval: evaluates expressions over NDJSON events, for the differential test against
// reference.py. For each expression (one per line of --exprs) prints one line: a JSON array of
// the results over every event, or {"error": "..."} when the expression does not compile.
//   sp-expr-eval --exprs FILE --events FILE [--dom] [--errors]
// --dom evaluates through simdjson DOM instead of On-Demand; --errors appends the error count.
#include <simdjson.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "expr/evaluator.h"
#include "io/error.h"

int main(int argc, char** argv) {
  std::string exprs_path, events_path;
  bool dom = false, show_errors = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--exprs" && i + 1 < argc) exprs_path = argv[++i];
    else if (a == "--events" && i + 1 < argc) events_path = argv[++i];
    else if (a == "--dom") dom = true;
    else if (a == "--errors") show_errors = true;
    else {
      std::cerr << "usage: sp-expr-eval --exprs FILE --events FILE [--dom] [--errors]\n";
      return 2;
    }
  }
  std::vector<simdjson::padded_string> events;
  {
    std::ifstream in(events_path);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) events.emplace_back(line);
  }
  std::ifstream ex(exprs_path);
  std::string text;
  simdjson::ondemand::parser od;
  simdjson::dom::parser dp;
  std::string out;
  while (std::getline(ex, text)) {
    out.clear();
    try {
      sp::expr::Program prog = sp::expr::Program::compile(text);
      sp::expr::Evaluator ev(prog);
      out += '[';
      for (size_t i = 0; i < events.size(); ++i) {
        if (i) out += ',';
        if (dom) {
          simdjson::dom::element root;
          if (dp.parse(events[i]).get(root)) {
            out += "\"<bad record>\"";
            continue;
          }
          ev.load(root);
          sp::expr::append_json(out, ev.eval(0));
        } else {
          simdjson::ondemand::document doc;
          if (od.iterate(events[i]).get(doc) || ev.load(doc)) {
            out += "\"<bad record>\"";
            continue;
          }
          sp::expr::append_json(out, ev.eval(0));
        }
      }
      out += ']';
      if (show_errors) out += " " + std::to_string(ev.error_count());
    } catch (const sp::UsageError& e) {
      out = "{\"error\":";
      sp::expr::append_json_string(out, std::string(e.what()) + " at column " + std::to_string(e.column));
      out += '}';
    }
    std::cout << out << '\n';
  }
  return 0;
}
