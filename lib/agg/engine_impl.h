// sp-agg's engine, shared by its source files (engine.cpp: records, panes, emission, the run;
// engine_compile.cpp: options and expressions; engine_state.cpp: timers and --state).
// Internal to lib/agg.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xxhash.h>

#include "agg/aggregates.h"
#include "agg/positions.h"
#include "agg/engine.h"
#include "agg/window.h"
#include "cli/program.h"
#include "expr/evaluator.h"
#include "json/splice.h"

namespace sp::agg::detail {

using expr::Type;
using expr::Value;

// The wall clock, in nanoseconds since the epoch.
int64_t wall_ns();

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

struct Window;

struct Pane {
  int64_t start = 0, end = 0;  // global: first and last event time
  std::string_view key;  // the bytes after the cells, or a session map's key
  uint64_t hash = 0;
  Cell* cells = nullptr;  // specs_.size() cells, allocated with the pane
  size_t ncells = 0;
  uint64_t records = 0;
  Pane* prev = nullptr;  // least-recently-updated list (--max-groups)
  Pane* next = nullptr;
  Window* window = nullptr;  // tumbling/hopping
  size_t index = 0;          // position in window->panes or in the global order
  std::multimap<int64_t, Pane*>::iterator timer;  // session: its next deadline
  bool has_timer = false;
  bool fired = false;  // session: emitted at least once and not extended past the watermark since
};


// A pane, its cells and its key in one allocation: high-cardinality groups cost one malloc.
Pane* new_pane(size_t ncells, std::string_view key);
void delete_pane(Pane* p);

struct PaneDeleter {
  void operator()(Pane* p) const { delete_pane(p); }
};
using PanePtr = std::unique_ptr<Pane, PaneDeleter>;

// Panes of tumbling, hopping and global windows by key (8 bytes of window start, then the
// group values): open addressing with the hashes in the slot array, so that a lookup touches
// one cache line of slots and, on a match, the pane. Owns the panes.
class PaneTable {
 public:
  PaneTable() = default;
  PaneTable(const PaneTable&) = delete;
  PaneTable& operator=(const PaneTable&) = delete;
  ~PaneTable() {
    for (auto& s : slots_)
      if (s.pane && s.pane != tomb()) delete_pane(s.pane);
  }
  Pane* find(std::string_view key, uint64_t h) const;
  void insert(Pane* p);
  void erase(Pane* p);  // and deletes it

 private:
  struct Slot {
    uint64_t hash;
    Pane* pane;  // nullptr: empty; tomb(): erased
  };
  static Pane* tomb();
  void rebuild(size_t capacity);
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0, used_ = 0;  // used_: live and erased slots
};

struct Window {
  int64_t start = 0, end = 0;
  std::vector<Pane*> panes;  // in creation order; evicted panes leave nullptr
  bool fired = false;
};


enum class ColumnKind : uint8_t { Group, Expr };
struct Column {
  ColumnKind kind;
  size_t index;  // group item or select root
  std::string name;
};


class Engine {
 public:
  Engine(cli::Program& prog, const Options& o) : prog_(prog), o_(o), st_(prog.stats()) {}
  void compile();
  int run();

 private:
  void process(const io::Line& line, std::string_view source);
  bool place(const io::Line& line, std::string_view source, std::string_view positions);
  void write_result();
  void end_round(bool final = false);
  bool is_object(const io::Line& line, std::string_view source);
  bool record_time(const io::Line& line, std::string_view source, int64_t& t);
  std::optional<int64_t> parse_time_text(std::string_view text);
  void add_to_panes(int64_t t, const io::Line& line);
  void add_session(int64_t t, const io::Line& line);
  Pane* create_pane(int64_t start, int64_t end);
  void update(Pane* p, int64_t t);
  void late(const io::Line& line);
  void set_watermark(int64_t wm);
  void advance();
  void fire(Window& w);
  void purge(std::map<int64_t, Window>::iterator it);
  void schedule(Pane* p);
  void emit(Pane& p);
  void emit_all_global();
  void flush_all();
  void remove_pane(Pane* p);
  void remove_session(Pane* p);
  void touch(Pane* p);
  void unlink(Pane* p);
  void evict();
  int64_t next_deadline() const;
  void wait_for_input();
  void on_timer(int64_t now);
  void save_state();
  void load_state();
  std::string signature() const {
    return o_.window + "\n" + o_.time + "\n" + o_.group_by + "\n" + o_.aggregates + "\n" + o_.having;
  }

  cli::Program& prog_;
  const Options& o_;
  cli::Stats& st_;
  cli::Counter *malformed_ = nullptr, *bad_time_ = nullptr, *filtered_ = nullptr, *late_ = nullptr,
               *having_out_ = nullptr, *evicted_ = nullptr, *updates_ = nullptr, *panes_peak_ = nullptr;

  WindowSpec win_;
  expr::Program program_{expr::CompileOptions{true, {}, expr::is_builtin_aggregate}};
  static constexpr size_t kNone = SIZE_MAX;
  size_t where_ = kNone, having_ = kNone, time_ = kNone;
  std::vector<expr::SelectItem> groups_, items_;
  std::vector<Column> columns_;
  std::vector<AggSpec> specs_;
  std::vector<int> slot_group_;   // field slot -> group item, or -1
  std::vector<int> slot_column_;  // field slot -> column (for HAVING by name), or -1
  int slot_window_start_ = -1, slot_window_end_ = -1;
  bool need_group_values_ = false;

  int64_t max_delay_ = 0, lateness_ = 0, idle_ = 0, every_wall_ = 0, checkpoint_ = 0;
  uint64_t every_n_ = 0;

  std::unique_ptr<expr::Evaluator> ev_, out_ev_;
  std::unique_ptr<io::Output> out_, late_out_;
  simdjson::ondemand::parser parser_;

  // State.
  PaneTable panes_;
  std::unordered_map<std::string, std::vector<PanePtr>, KeyHash, std::equal_to<>> sessions_;
  std::map<int64_t, Window> windows_;          // tumbling/hopping, by end
  std::multimap<int64_t, Pane*> timers_;       // session: fire or purge deadlines
  std::vector<Pane*> order_;                   // global: panes in creation order
  Pane* lru_head_ = nullptr;
  Pane* lru_tail_ = nullptr;
  uint64_t live_ = 0;
  bool warned_evict_ = false;
  int64_t wm_ = INT64_MIN, max_t_ = INT64_MIN;
  int64_t last_arrival_ = 0;  // wall time of the last record
  int64_t next_every_ = 0, next_checkpoint_ = 0;
  uint64_t since_every_ = 0;

  // End-to-end positions (--ack upstream): the last result of a round waits in held_result_
  // to carry the positions that the round's results cover.
  Positions positions_;
  std::string held_result_;
  bool emitted_all_ = false;
  std::vector<json::MemberSpan> sp_members_;

  // Scratch.
  std::string key_, scratch_, record_;
  std::vector<Value> args_;
  std::vector<std::string> bufs_;
  std::vector<Value> column_values_;
  std::vector<std::string> group_storage_;
  bool reading_stdin_ = false;
  std::string minute_text_;  // the last "YYYY-MM-DDTHH:MM" parsed, and its time
  int64_t minute_ns_ = 0;
  bool minute_valid_ = false;
};


void collect_fields(const expr::Node& n, std::vector<const expr::Node*>& out);

}  // namespace sp::agg::detail
