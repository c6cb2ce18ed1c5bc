// The expression language: the input is an expression (or a select list), a NUL byte, then
// records one a line. What compiles (rejection is sp::UsageError) is evaluated against a few
// fixed records and the fuzzed ones, read through On-Demand and through the DOM. Oracles:
// evaluation throws nothing, and every value written as JSON is well-formed JSON (that is
// what sp-enrich and sp-filter --select splice into their output).
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/evaluator.h"
#include "expr/program.h"
#include "expr/value.h"
#include "io/error.h"
#include "json/check.h"
#include "fuzz_input.h"

namespace {

constexpr std::string_view kRecords[] = {
    R"({"status":503,"path":"/api/users/42","method":"GET","latency_ms":12.5,"bytes":1024,)"
    R"("ts":"2024-01-02T03:04:05.678Z","ua":{"browser":"Firefox","os":"Linux"},"tags":["a","b",3],)"
    R"("ip":"10.1.2.3","user":"J\u00fcrgen \"jo\" \\ x","n":null,"ok":true,"a":{"b":[1,{"c":2}]},)"
    R"("k\"x":1,"x y":{"z":"w"},"big":123456789012345678901234567890,"neg":-0,"e":1e308})",
    R"({"status":"200","latency_ms":"7","ts":1700000000123,"tags":[],"a":{"b":"s"},"path":null})",
    R"({})",
    R"([1,2,3])",
};

// Evaluates every root against the evaluator's current record; checks the JSON of each value.
void eval_all(sp::expr::Evaluator& ev, const sp::expr::Program& prog, std::string& out) {
  for (size_t r = 0; r < prog.size(); ++r) {
    sp::expr::Value v = ev.eval(r);
    out.clear();
    sp::expr::append_json(out, v);
    if (!sp::json::diagnose(out).ok) __builtin_trap();
    (void)ev.test(r);
  }
}

void run(const sp::expr::Program& prog, const std::vector<std::string_view>& lines) {
  static simdjson::ondemand::parser od;
  static simdjson::dom::parser dom;
  static std::string out, padded;
  sp::expr::Evaluator ev(prog);
  for (std::string_view line : lines) {
    padded.assign(line);
    padded.append(simdjson::SIMDJSON_PADDING, ' ');
    simdjson::ondemand::document doc;
    ev.begin_record();
    if (!od.iterate(padded.data(), line.size(), padded.size()).get(doc) && !ev.load(doc)) eval_all(ev, prog, out);
    simdjson::dom::element e;
    if (!dom.parse(line.data(), line.size()).get(e)) {
      ev.begin_record();
      ev.load(e);
      eval_all(ev, prog, out);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [text, records, has_records] = sp::fuzz::split_at_nul(data, size);
  std::vector<std::string_view> lines(std::begin(kRecords), std::end(kRecords));
  sp::fuzz::add_lines(records, lines, 16);
  // One expression, as sp-filter --where and sp-enrich --set compile it.
  try {
    sp::expr::Program prog = sp::expr::Program::compile(text);
    run(prog, lines);
  } catch (const sp::UsageError&) {
    // a syntax or name error: the expected rejection
  }
  // A select list with aggregates, as sp-agg --sql and sp-filter --select compile it.
  try {
    sp::expr::CompileOptions o;
    o.allow_aggregates = true;
    o.variables = {"S", "F"};
    sp::expr::Program prog(o);
    (void)prog.add_select(text);
    run(prog, lines);
  } catch (const sp::UsageError&) {
  }
  return 0;
}
