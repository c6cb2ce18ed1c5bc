// sp-match: complex-event patterns per key (SQL MATCH_RECOGNIZE on the stream).
#include "cli/program.h"
#include "io/error.h"
#include "match/engine.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-match",
    "Find patterns of events per key within a time bound (like SQL MATCH_RECOGNIZE): sequences, repetitions, absence",
    "Examples:\n"
    "  sp-match --key user_id --time ts --within 5m --define 'F: status = 401' --define 'S: status = 200' \\\n"
    "           --pattern 'F{3,} S' --emit 'count(F) as failures, last(S.ip) as ip'\n"
    "  sp-match --key order_id --time ts --within 15m --define 'C: event = \"created\"' \\\n"
    "           --define 'P: event = \"paid\"' --pattern 'C !P'\n"
    "Pattern syntax and semantics are described in sp-match(1).\n"};

int body(sp::cli::Program& prog) {
  sp::match::Options o;
  auto& app = prog.app();
  const char* g = "Pattern";
  app.add_option("-p,--pattern", o.pattern,
                 "The pattern over variables: 'F{3,} S', 'A B+? (C | D)', '^A B', 'C !P' (required)")
      ->type_name("PATTERN")
      ->group(g);
  app.add_option("-d,--define", o.defines,
                 "A variable's condition, 'VAR: EXPR' (repeatable); may refer to earlier variables: "
                 "'S: amount > avg(F.amount)'. An undefined variable matches every event")
      ->type_name("'VAR: EXPR'")
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("-k,--key", o.key, "Match per value of these fields: 'user_id' or 'user_id, device'")
      ->type_name("LIST")
      ->group(g);
  app.add_option("-t,--time", o.time, "The event time: a field (RFC 3339 text or epoch seconds/milliseconds); "
                                      "default: the arrival time")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--within", o.within, "A match spans at most this much event time (from its first event)")
      ->type_name("DURATION")
      ->group(g);
  app.add_option("--not-followed-by", o.not_followed_by,
                 "Report a match only when no event of this variable follows it within --within (as a trailing !VAR)")
      ->type_name("VAR")
      ->group(g);
  app.add_flag("--skip-irrelevant", o.skip_irrelevant,
               "Let runs skip events they cannot use (skip till next match) instead of strict contiguity")
      ->group(g);
  app.add_option("--after-match", o.after_match,
                 "Where the next match may start: skip-past-last (after the last event of a match) or skip-to-next "
                 "(at the event after its first: overlapping matches)")
      ->type_name("STRATEGY")
      ->check(CLI::IsMember({"skip-past-last", "skip-to-next"}))
      ->capture_default_str()
      ->group(g);
  const char* out = "Output";
  app.add_option("-e,--emit", o.emit,
                 "What to write per match besides key, match_start and match_end: 'count(F) as failures, "
                 "last(S.ip) as ip, avg(F.amount)'; default: count(VAR) for each variable")
      ->type_name("LIST")
      ->group(out);
  app.add_flag("--with-events", o.with_events, "Add the matched events: \"events\": [{\"var\": \"F\", \"record\": {...}}, ...]")
      ->group(out);
  const char* t = "Time and state";
  app.add_option("--max-delay", o.max_delay,
                 "Buffer records and sort them by event time; watermark = largest event time seen minus this")
      ->type_name("DURATION")
      ->capture_default_str()
      ->group(t);
  app.add_option("--idle-timeout", o.idle_timeout,
                 "When no record arrives for this long (wall time), let the watermark move on with the clock "
                 "(fires --within timeouts and absences on a quiet stream)")
      ->type_name("DURATION")
      ->group(t);
  app.add_option("--max-keys", o.max_keys,
                 "Hold open matches for at most N keys; beyond, decide the least recently active key early")
      ->type_name("N")
      ->default_str("1000000 (0: no limit)")
      ->group(t);
  app.add_option("--max-runs", o.max_runs, "Keep at most N partial matches per start event")
      ->type_name("N")
      ->capture_default_str()
      ->group(t);
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();
  prog.parse();
  return sp::match::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
