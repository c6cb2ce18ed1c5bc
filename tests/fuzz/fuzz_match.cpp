// sp-match: the pattern parser and automaton, and the whole stage over fuzzed records.
// The input is a flags byte, then lines: the pattern, the --emit list (may be empty), the
// --define conditions up to an empty line, then the records (keyed by k, timed by ts).
// Rejection of a bad pattern, definition or option is sp::UsageError. Oracles: the automaton's
// states point inside it, and every line sp-match writes is well-formed JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include "io/error.h"
#include "fuzz_input.h"
#include "match/engine.h"
#include "match/pattern.h"
#include "stage_harness.h"

namespace {

void check_automaton(const sp::match::Pattern& p) {
  if (p.start >= p.states.size()) __builtin_trap();
  for (const auto& s : p.states) {
    if (s.kind == sp::match::NfaState::Match) continue;
    if (s.out >= p.states.size()) __builtin_trap();
    if (s.kind == sp::match::NfaState::Split && s.out1 >= p.states.size()) __builtin_trap();
    if (s.kind == sp::match::NfaState::Var && s.var >= p.variables.size()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  sp::match::Options o;
  o.pattern = sp::fuzz::next_line(rest);
  o.emit = sp::fuzz::next_line(rest);
  while (!rest.empty()) {
    std::string_view d = sp::fuzz::next_line(rest);
    if (d.empty()) break;
    o.defines.emplace_back(d);
  }
  try {
    sp::match::Pattern p = sp::match::Pattern::parse(o.pattern, 2000);
    check_automaton(p);
    (void)sp::match::describe(p);
  } catch (const sp::UsageError&) {
    return 0;  // the stage would reject it the same way
  }
  o.key = "k";
  o.time = flags & 1 ? "ts" : "";
  o.with_events = flags & 2;
  o.skip_irrelevant = flags & 4;
  if (flags & 8) o.after_match = "skip-to-next";
  if (flags & 16) o.max_delay = "2s";
  if (flags & 32) o.within = "10s";
  if (flags & 64) o.not_followed_by = "N";
  o.max_runs = 64;
  o.max_keys = 8;
  static sp::fuzz::StageHarness harness("sp-match");
  try {
    harness.run(rest, [&](sp::cli::Program& prog) { return sp::match::run(prog, o); });
  } catch (const sp::UsageError&) {
    return 0;  // a bad definition, --emit or option
  } catch (const sp::Error&) {
    return 0;  // records that begin like zstd or gzip data and are not: "truncated zstd data"
  }
  if (!sp::fuzz::every_line_json(harness.output())) __builtin_trap();
  return 0;
}
