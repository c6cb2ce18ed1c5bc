// sp-match's engine, shared by its source files (engine.cpp: records, keys, time and the run;
// compile.cpp: options, definitions and --emit; runs.cpp: stepping the automaton, evaluating
// definitions against a run's history, emitting matches). Internal to lib/match.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xxhash.h>

#include "agg/aggregates.h"
#include "cli/program.h"
#include "expr/evaluator.h"
#include "json/check.h"
#include "match/engine.h"
#include "match/pattern.h"

namespace sp::match::detail {

using expr::Value;

// An event kept because a run holds it: its time, its text (--with-events) and the values of
// the paths that definitions and --emit read from past events. Pooled, reference-counted.
struct Event {
  int64_t t = 0;
  uint64_t seq = 0;  // position in the whole input
  uint32_t refs = 0;
  std::string line;
  std::vector<expr::OwnedValue> vals;
  Event* next_free = nullptr;
};

// One event of a run mapped to a variable; runs that share a prefix share its steps.
struct Step {
  Event* ev = nullptr;
  Step* prev = nullptr;
  uint32_t refs = 0;
  uint16_t var = 0;
};

struct Thread {
  uint32_t state;
  Step* last;
};

// The runs that start at one event, in priority order, and the best match found so far.
struct Attempt {
  uint64_t start_seq = 0;
  int64_t start_t = 0;
  std::vector<Thread> threads;
  Step* best = nullptr;
  bool expired = false;  // past --within: no run can grow; a pending !X is decided
};

struct KeyState {
  std::string key;
  std::deque<Attempt*> attempts;
  uint64_t epoch = 0;  // changes when the state is recycled (stale timers)
  bool seen = false;   // ^: the key has had its first event
  KeyState* prev = nullptr;  // least recently used list (--max-keys)
  KeyState* next = nullptr;
};

struct Timer {
  int64_t at;
  KeyState* ks;
  uint64_t epoch;
  bool operator>(const Timer& o) const { return at > o.at; }
};

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

// Where a field slot takes its value from: the event's captured path, for the current record
// (variable -1) or the last event mapped to a variable.
struct SlotSource {
  size_t slot;
  int var;  // -1: unqualified
  size_t path;
};

// What evaluating one root needs: the slots it reads outside aggregates and its aggregates.
struct RootNeeds {
  std::vector<SlotSource> slots;
  std::vector<size_t> aggs;
};

// A record waiting in the --max-delay reorder buffer.
struct Pending {
  int64_t t = 0;
  uint64_t number = 0, offset = 0;  // where it came from, for a rejection at release
  size_t input = 0;
  std::string line;
};

class Engine {
 public:
  Engine(cli::Program& prog, const Options& o) : prog_(prog), o_(o), st_(prog.stats()) {}
  ~Engine();
  void compile();
  int run();

 private:
  // compile.cpp
  void compile_definitions();
  void compile_emit();
  void compile_paths();
  RootNeeds needs_of(size_t root);

  // engine.cpp: records and time
  void arrive(const io::Line& line, std::string_view source);
  bool load(expr::Evaluator& ev, const char* data, size_t size, size_t capacity, simdjson::error_code& err);
  bool record_time(const io::Line& line, std::string_view source, expr::Evaluator& ev, size_t root, int64_t& t);
  void make_key();
  void handle(int64_t t);
  void release(int64_t upto);
  void set_watermark(int64_t wm);
  void fire_timers();
  void wait_for_input();
  void finish_all();

  // engine.cpp: keys
  KeyState* find_key();
  KeyState* create_key();
  void remove_key(KeyState* ks);
  void touch(KeyState* ks);
  void evict();

  // runs.cpp
  Event* current();
  void step(Attempt& a, bool first);
  void closure(Attempt& a, uint32_t state, Step* s, bool& matched);
  bool matches(int var, Step* history);
  void gather(Step* history, Event* cur, int cur_var);
  void apply(expr::Evaluator& ev, const RootNeeds& needs);
  void kill_threads(Attempt& a);
  bool resolved(const Attempt& a) const;
  void drain(KeyState* ks);
  void emit(const KeyState& ks, const Attempt& a);
  void expire(KeyState* ks, int64_t wm);
  Attempt* new_attempt();
  void recycle(Attempt* a);
  Step* new_step(Event* ev, uint16_t var, Step* prev);
  void unref(Step* s);
  void unref(Event* e);

  cli::Program& prog_;
  const Options& o_;
  cli::Stats& st_;
  cli::Counter *malformed_ = nullptr, *bad_time_ = nullptr, *late_ = nullptr, *matches_ = nullptr,
               *cancelled_ = nullptr, *evicted_ = nullptr, *runs_dropped_ = nullptr, *keys_peak_ = nullptr;

  // Compiled.
  Pattern pattern_;
  expr::Program program_;
  std::vector<agg::AggSpec> specs_;
  std::vector<expr::SelectItem> key_items_, emit_items_;
  static constexpr size_t kNone = SIZE_MAX;
  size_t time_ = kNone;
  std::vector<size_t> def_root_;          // per variable: root, or kNone (always true)
  std::vector<RootNeeds> def_needs_;      // per variable (dynamic ones)
  std::vector<RootNeeds> agg_needs_;      // per aggregate: the slots its arguments read
  std::vector<int> agg_var_;              // per aggregate: its variable, or -1
  RootNeeds emit_needs_;
  std::vector<std::vector<SlotSource>> own_slots_;  // per variable: slots V.x set from the current record
  std::vector<size_t> path_slot_;         // captured path -> unqualified slot
  uint64_t dynamic_ = 0;                  // variables whose definition reads a run's history
  uint64_t start_vars_ = 0;               // variables that can take an attempt's first event
  std::vector<Thread> start_threads_;
  bool dedupe_ = true;
  bool skip_past_last_ = true;
  int64_t within_ = 0, max_delay_ = 0, idle_ = 0;

  std::unique_ptr<expr::Evaluator> ev_, out_ev_;
  // With --max-delay only the time is read on arrival; the rest when the record is released.
  expr::Program time_program_;
  std::unique_ptr<expr::Evaluator> time_ev_;
  std::vector<std::string> input_names_;
  std::unique_ptr<io::Output> out_;
  simdjson::ondemand::parser parser_;
  json::WellFormedChecker checker_;  // --with-events: records copied into the output are checked whole

  // The current record.
  uint64_t bits_ = 0;  // static definitions that hold
  int64_t cur_t_ = 0;
  uint64_t seq_ = 0;
  Event* cur_ = nullptr;
  std::string_view cur_line_;
  std::string key_;

  // State.
  std::unordered_map<std::string, KeyState*, KeyHash, std::equal_to<>> keys_;
  std::vector<KeyState*> free_keys_;
  KeyState* lru_head_ = nullptr;
  KeyState* lru_tail_ = nullptr;
  std::vector<Timer> timers_;  // min-heap
  // The reorder buffer in (time, arrival) order: records mostly arrive in order, so most are
  // appended and the oldest leave from the front.
  struct PendingRef {
    int64_t t;
    Pending* p;
  };
  std::deque<PendingRef> pending_;
  std::vector<Pending*> free_pending_;
  int64_t wm_ = INT64_MIN, max_t_ = INT64_MIN;
  int64_t last_arrival_ = 0;
  bool reading_stdin_ = false;
  bool warned_evict_ = false, warned_runs_ = false;

  // Pools.
  Event* free_events_ = nullptr;
  std::vector<std::unique_ptr<Event>> all_events_;
  std::vector<Step*> free_steps_;
  std::vector<std::unique_ptr<Step[]>> step_chunks_;
  std::vector<Attempt*> free_attempts_;
  std::vector<std::unique_ptr<Attempt>> all_attempts_;

  // Scratch.
  std::vector<Thread> next_;
  std::vector<uint64_t> mark_;
  uint64_t gen_ = 0;
  std::vector<uint32_t> dfs_;
  std::vector<std::pair<const Event*, int>> seq_events_;  // a run's events, oldest first
  std::vector<const Event*> last_of_var_;
  std::vector<agg::Cell> cells_;
  std::vector<std::string> bufs_;
  std::string scratch_, record_;
};

}  // namespace sp::match::detail
