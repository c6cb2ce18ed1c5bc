#include "agg/engine.h"

#include <poll.h>
#include <simdjson.h>
#include <time.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "agg/aggregates.h"
#include "agg/sketch.h"
#include "agg/state.h"
#include "agg/window.h"
#include "expr/evaluator.h"
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

namespace {

using expr::Type;
using expr::Value;

int64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * expr::kNanosPerSecond + ts.tv_nsec;
}

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
Pane* new_pane(size_t ncells, std::string_view key) {
  size_t bytes = sizeof(Pane) + ncells * sizeof(Cell) + key.size();
  char* mem = static_cast<char*>(::operator new(bytes));
  Pane* p = new (mem) Pane;
  p->cells = reinterpret_cast<Cell*>(mem + sizeof(Pane));
  p->ncells = ncells;
  for (size_t i = 0; i < ncells; ++i) new (&p->cells[i]) Cell;
  char* k = mem + sizeof(Pane) + ncells * sizeof(Cell);
  if (!key.empty()) std::memcpy(k, key.data(), key.size());
  p->key = std::string_view(k, key.size());
  return p;
}

void delete_pane(Pane* p) {
  for (size_t i = 0; i < p->ncells; ++i) p->cells[i].~Cell();
  p->~Pane();
  ::operator delete(static_cast<void*>(p));
}

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

Pane* PaneTable::tomb() {
  static Pane erased;
  return &erased;
}

Pane* PaneTable::find(std::string_view key, uint64_t h) const {
  if (slots_.empty()) return nullptr;
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (!s.pane) return nullptr;
    if (s.hash == h && s.pane != tomb() && s.pane->key == key) return s.pane;
  }
}

void PaneTable::rebuild(size_t capacity) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(capacity, Slot{0, nullptr});
  mask_ = capacity - 1;
  used_ = size_;
  for (const auto& s : old) {
    if (!s.pane || s.pane == tomb()) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].pane) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void PaneTable::insert(Pane* p) {
  if ((used_ + 1) * 10 > slots_.size() * 7) {
    size_t cap = 64;
    while (cap * 7 < (size_ + 1) * 20) cap *= 2;  // at most ~35% full after a rebuild
    rebuild(cap);
  }
  size_t i = p->hash & mask_;
  while (slots_[i].pane && slots_[i].pane != tomb()) i = (i + 1) & mask_;
  if (!slots_[i].pane) ++used_;
  slots_[i] = {p->hash, p};
  ++size_;
}

void PaneTable::erase(Pane* p) {
  for (size_t i = p->hash & mask_;; i = (i + 1) & mask_)
    if (slots_[i].pane == p) {
      slots_[i].pane = tomb();
      --size_;
      delete_pane(p);
      return;
    }
}

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
  auto check_root = [&](size_t root, bool in_having, const std::string& what) {
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
                       program_.text(root), n->begin);
    }
    (void)what;
  };
  for (const auto& c : columns_)
    if (c.kind == ColumnKind::Expr) check_root(items_[c.index].root, false, "--agg");
  if (having_ != kNone) check_root(having_, true, "--having");
  if (having_ != kNone) need_group_values_ = true;  // HAVING may name group columns

  ev_ = std::make_unique<expr::Evaluator>(program_);
  out_ev_ = std::make_unique<expr::Evaluator>(program_);
  args_.resize(specs_.size());
  bufs_.resize(specs_.size());
  column_values_.resize(columns_.size());
  group_storage_.resize(groups_.size());
}

// ---- the least-recently-updated list (only kept with --max-groups)

void Engine::unlink(Pane* p) {
  if (!o_.max_groups) return;
  (p->prev ? p->prev->next : lru_head_) = p->next;
  (p->next ? p->next->prev : lru_tail_) = p->prev;
  p->prev = p->next = nullptr;
}

void Engine::touch(Pane* p) {
  if (!o_.max_groups || lru_head_ == p) return;
  if (p->prev || p->next || lru_tail_ == p) unlink(p);
  p->next = lru_head_;
  if (lru_head_) lru_head_->prev = p;
  lru_head_ = p;
  if (!lru_tail_) lru_tail_ = p;
}

void Engine::evict() {
  while (o_.max_groups && live_ > o_.max_groups && lru_tail_) {
    Pane* victim = lru_tail_;
    if (!warned_evict_) {
      prog_.report().warn("more than " + std::to_string(o_.max_groups) +
                          " open groups (--max-groups): emitting the least recently updated early, as partial "
                          "results");
      warned_evict_ = true;
    }
    evicted_->add();
    emit(*victim);
    if (win_.kind == WindowKind::Session)
      remove_session(victim);
    else
      remove_pane(victim);
  }
  if (live_ > panes_peak_->get()) panes_peak_->set(live_);
}

// ---- panes

Pane* Engine::create_pane(int64_t start, int64_t end) {
  Pane* p = new_pane(specs_.size(), key_);
  p->hash = XXH3_64bits(key_.data(), key_.size());
  panes_.insert(p);
  p->start = start;
  p->end = end;
  if (win_.kind == WindowKind::Global) {
    p->index = order_.size();
    order_.push_back(p);
  } else {
    auto wit = windows_.find(end);
    if (wit == windows_.end()) {
      wit = windows_.emplace(end, Window{}).first;
      wit->second.start = start;
      wit->second.end = end;
      wit->second.fired = end <= wm_;
    }
    p->window = &wit->second;
    p->index = wit->second.panes.size();
    wit->second.panes.push_back(p);
  }
  ++live_;
  return p;
}

void Engine::remove_pane(Pane* p) {
  unlink(p);
  if (p->window)
    p->window->panes[p->index] = nullptr;
  else if (win_.kind == WindowKind::Global)
    order_[p->index] = nullptr;
  --live_;
  panes_.erase(p);
}

void Engine::update(Pane* p, int64_t t) {
  for (size_t i = 0; i < specs_.size(); ++i) agg::update(specs_[i], p->cells[i], args_[i], t, scratch_);
  ++p->records;
  touch(p);
}

void Engine::late(const io::Line& line) {
  late_->add();
  if (late_out_) late_out_->write_line(line.view());
}

void Engine::add_to_panes(int64_t t, const io::Line& line) {
  if (win_.kind == WindowKind::Global) {
    std::memset(key_.data(), 0, 8);
    Pane* p = panes_.find(key_, XXH3_64bits(key_.data(), key_.size()));
    if (!p) {
      p = create_pane(t, t);
    } else {
      p->start = std::min(p->start, t);
      p->end = std::max(p->end, t);
    }
    update(p, t);
    evict();
    return;
  }
  bool any = false;
  int64_t first = win_.last_start(t);
  for (int64_t s = first; s > t - win_.size; s -= win_.slide) {
    int64_t end = s + win_.size;
    if (end + lateness_ <= wm_) continue;  // this window is gone
    any = true;
    std::memcpy(key_.data(), &s, 8);
    Pane* p = panes_.find(key_, XXH3_64bits(key_.data(), key_.size()));
    if (!p) p = create_pane(s, end);
    update(p, t);
    if (end <= wm_) {  // its window was emitted already: emit the updated result
      updates_->add();
      emit(*p);
    }
    if (win_.kind == WindowKind::Tumbling) break;
  }
  if (!any) late(line);
  evict();
}

void Engine::schedule(Pane* p) {
  if (p->has_timer) timers_.erase(p->timer);
  p->has_timer = true;
  if (p->end > wm_) {
    p->fired = false;
    p->timer = timers_.emplace(p->end, p);
  } else {
    p->fired = true;
    p->timer = timers_.emplace(p->end + lateness_, p);
  }
}

void Engine::remove_session(Pane* p) {
  unlink(p);
  if (p->has_timer) timers_.erase(p->timer);
  --live_;
  auto it = sessions_.find(p->key);
  auto& list = it->second;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].get() == p) {
      list.erase(list.begin() + static_cast<long>(i));
      break;
    }
  if (list.empty()) sessions_.erase(it);
}

void Engine::add_session(int64_t t, const io::Line& line) {
  int64_t lo = t, hi = t + win_.size;
  auto it = sessions_.find(std::string_view(key_));
  int64_t mlo = lo, mhi = hi;
  Pane* target = nullptr;
  if (it != sessions_.end()) {
    for (auto& p : it->second)
      if (p->start < hi && lo < p->end) {
        mlo = std::min(mlo, p->start);
        mhi = std::max(mhi, p->end);
        if (!target) target = p.get();
      }
  }
  if (mhi + lateness_ <= wm_) {
    late(line);
    return;
  }
  if (it == sessions_.end()) it = sessions_.emplace(key_, std::vector<PanePtr>{}).first;
  auto& list = it->second;
  if (!target) {
    list.emplace_back(new_pane(specs_.size(), {}));
    target = list.back().get();
    target->key = it->first;
    ++live_;
  } else {
    // Fold every other overlapping session into the first: the record bridges them.
    for (size_t i = 0; i < list.size();) {
      Pane* p = list[i].get();
      if (p != target && p->start < hi && lo < p->end) {
        for (size_t k = 0; k < specs_.size(); ++k) merge(specs_[k], target->cells[k], p->cells[k]);
        target->records += p->records;
        unlink(p);
        if (p->has_timer) timers_.erase(p->timer);
        --live_;
        list.erase(list.begin() + static_cast<long>(i));
        continue;
      }
      ++i;
    }
  }
  target->start = mlo;
  target->end = mhi;
  update(target, t);
  schedule(target);
  if (target->fired) {
    updates_->add();
    emit(*target);
  }
  evict();
}

// ---- watermark and emission

void Engine::set_watermark(int64_t wm) {
  if (wm <= wm_) return;
  wm_ = wm;
  advance();
}

void Engine::fire(Window& w) {
  for (Pane* p : w.panes)
    if (p) emit(*p);
  w.fired = true;
}

void Engine::purge(std::map<int64_t, Window>::iterator it) {
  for (Pane* p : it->second.panes)
    if (p) {
      p->window = nullptr;
      unlink(p);
      --live_;
      panes_.erase(p);
    }
  windows_.erase(it);
}

void Engine::advance() {
  if (win_.kind == WindowKind::Session) {
    while (!timers_.empty() && timers_.begin()->first <= wm_) {
      Pane* p = timers_.begin()->second;
      timers_.erase(timers_.begin());
      p->has_timer = false;
      if (!p->fired) {
        emit(*p);
        p->fired = true;
        if (lateness_ > 0) {
          p->timer = timers_.emplace(p->end + lateness_, p);
          p->has_timer = true;
          continue;
        }
      }
      remove_session(p);
    }
    return;
  }
  if (win_.kind == WindowKind::Global) return;
  for (auto it = windows_.begin(); it != windows_.end() && it->first <= wm_;) {
    if (!it->second.fired) fire(it->second);
    if (it->first + lateness_ <= wm_) {
      auto next = std::next(it);
      purge(it);
      it = next;
    } else {
      ++it;
    }
  }
}

void Engine::emit_all_global() {
  for (Pane* p : order_)
    if (p) emit(*p);
}

void Engine::flush_all() {
  if (win_.kind == WindowKind::Global) {
    emit_all_global();
    return;
  }
  set_watermark(INT64_MAX - 1);
}

void Engine::emit(Pane& p) {
  auto& ev = *out_ev_;
  ev.begin_record();
  double seconds = static_cast<double>(p.end - p.start) / 1e9;
  if (slot_window_start_ >= 0) ev.set_field(static_cast<size_t>(slot_window_start_), Value::of_time(p.start));
  if (slot_window_end_ >= 0) ev.set_field(static_cast<size_t>(slot_window_end_), Value::of_time(p.end));
  // The group values, as JSON text each followed by '\0', after the 8 bytes of window start.
  std::string_view key(p.key);
  key.remove_prefix(8);
  std::string_view group_json[64];
  size_t ngroups = 0;
  for (size_t pos = 0; pos < key.size() && ngroups < 64;) {
    size_t z = key.find('\0', pos);
    group_json[ngroups++] = key.substr(pos, z - pos);
    pos = z + 1;
  }
  if (need_group_values_) {
    const auto& fields = program_.fields();
    for (size_t s = 0; s < fields.size(); ++s) {
      int g = slot_group_[s];
      if (g >= 0 && static_cast<size_t>(g) < ngroups)
        ev.set_field(s, value_from_json(group_json[g], group_storage_[static_cast<size_t>(g)]));
    }
  }
  for (size_t i = 0; i < specs_.size(); ++i) ev.set_aggregate(i, result(specs_[i], p.cells[i], seconds, bufs_[i]));
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].kind == ColumnKind::Expr) column_values_[c] = ev.eval(items_[columns_[c].index].root);
  if (having_ != kNone) {
    const auto& fields = program_.fields();
    for (size_t s = 0; s < fields.size(); ++s) {
      int c = slot_column_[s];
      if (c >= 0 && columns_[static_cast<size_t>(c)].kind == ColumnKind::Expr && slot_group_[s] < 0)
        ev.set_field(s, column_values_[static_cast<size_t>(c)]);
    }
    if (!ev.test(having_)) {
      having_out_->add();
      return;
    }
  }
  record_.clear();
  record_ += "{\"window_start\":\"";
  expr::format_rfc3339_ms(record_, p.start);
  record_ += "\",\"window_end\":\"";
  expr::format_rfc3339_ms(record_, p.end);
  record_ += '"';
  for (size_t c = 0; c < columns_.size(); ++c) {
    record_ += ',';
    json::append_string(record_, columns_[c].name);
    record_ += ':';
    if (columns_[c].kind == ColumnKind::Group) {
      size_t g = columns_[c].index;
      if (g < ngroups)
        record_ += group_json[g];
      else
        record_ += "null";
    } else {
      expr::append_json(record_, column_values_[c]);
    }
  }
  record_ += '}';
  out_->write_line(record_);
  st_.records_out.add();
}

// ---- records

// Event times in a stream mostly share their minute with the record before: for the common
// form "YYYY-MM-DDTHH:MM:SS.mmmZ" only the seconds are parsed when the minute is the same.
std::optional<int64_t> Engine::parse_time_text(std::string_view text) {
  auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() == 24 && text[16] == ':' && text[19] == '.' && text[23] == 'Z' && digit(17) && digit(18) &&
      digit(20) && digit(21) && digit(22) && minute_valid_ && text.compare(0, 16, minute_text_, 0, 16) == 0) {
    int64_t ms = ((text[17] - '0') * 10 + (text[18] - '0')) * 1000 + (text[20] - '0') * 100 + (text[21] - '0') * 10 +
                 (text[22] - '0');
    if (ms < 60000) return minute_ns_ + ms * 1'000'000;
  }
  std::optional<int64_t> ns = expr::parse_rfc3339(text);
  if (ns && text.size() == 24 && text[16] == ':' && text[19] == '.' && text[23] == 'Z') {
    minute_text_.assign(text.substr(0, 16));
    std::string whole = minute_text_ + ":00.000Z";
    std::optional<int64_t> base = expr::parse_rfc3339(whole);
    minute_valid_ = base.has_value();
    if (base) minute_ns_ = *base;
  }
  return ns;
}

bool Engine::record_time(const io::Line& line, std::string_view source, int64_t& t) {
  if (time_ == kNone) {
    t = wall_ns();
    return true;
  }
  Value v = ev_->eval(time_);
  std::optional<int64_t> ns;
  switch (v.type) {
    case Type::Time: ns = v.nanos; break;
    case Type::String: ns = parse_time_text(v.text); break;
    case Type::Number: ns = expr::time_from_epoch_number(v.number); break;
    default: break;
  }
  if (ns) {
    t = *ns;
    return true;
  }
  bad_time_->add();
  std::string msg = "time field '" + program_.text(time_) + "' ";
  if (v.is_null()) {
    msg += "is missing";
  } else {
    msg += "is not a time (RFC 3339 or epoch seconds/milliseconds): ";
    std::string json;
    expr::append_json(json, v);
    if (json.size() > 80) json = json.substr(0, 77) + "...";
    msg += json;
  }
  prog_.reject({source, line.number, line.offset, msg, line.view(), false, line.size, {}});
  return false;
}

void Engine::process(const io::Line& line, std::string_view source) {
  simdjson::ondemand::document doc;
  simdjson::error_code err =
      parser_.iterate(simdjson::padded_string_view(line.data, line.size, line.capacity)).get(doc);
  if (!err) err = ev_->load(doc);
  if (err) {
    malformed_->add();
    prog_.reject({source, line.number, line.offset, std::string("not JSON: ") + simdjson::error_message(err),
                  line.view(), false, line.size, {}});
    return;
  }
  int64_t t;
  if (!record_time(line, source, t)) return;
  if (where_ != kNone && !ev_->test(where_)) {
    filtered_->add();
    return;
  }
  key_.resize(8);
  for (const auto& g : groups_) {
    Value v = ev_->eval(g.root);
    append_key_json(key_, v);
    key_ += '\0';
  }
  for (size_t i = 0; i < specs_.size(); ++i)
    args_[i] = (specs_[i].kind == Kind::CountStar || specs_[i].kind == Kind::RateStar) ? Value::null()
                                                                                        : ev_->eval(specs_[i].arg);
  if (win_.kind == WindowKind::Session) {
    std::memset(key_.data(), 0, 8);
    add_session(t, line);
  } else {
    add_to_panes(t, line);
  }
  // The watermark moves after the record is placed: a record is late only for windows the
  // records before it closed.
  if (win_.kind != WindowKind::Global) {
    if (t > max_t_) max_t_ = t;
    int64_t wm = o_.processing_time ? t : max_t_ - max_delay_;
    set_watermark(wm);
  } else if (every_n_ && ++since_every_ >= every_n_) {
    since_every_ = 0;
    emit_all_global();
  }
}

// ---- timers: processing time, --idle-timeout, --every DURATION, --checkpoint-interval

int64_t Engine::next_deadline() const {
  int64_t d = INT64_MAX;
  if (win_.kind == WindowKind::Session) {
    if (!timers_.empty()) d = timers_.begin()->first;
  } else if (win_.kind != WindowKind::Global) {
    for (const auto& [end, w] : windows_) {
      int64_t at = w.fired ? end + lateness_ : end;
      d = std::min(d, at);
      if (!w.fired) break;
    }
  }
  return d;
}

void Engine::on_timer(int64_t now) {
  if (o_.processing_time) {
    set_watermark(now);
  } else if (idle_ && max_t_ != INT64_MIN && now - last_arrival_ >= idle_) {
    // A quiet stream: event time is taken to move on with the wall clock.
    set_watermark(max_t_ - max_delay_ + (now - last_arrival_));
  }
  if (every_wall_ && now >= next_every_) {
    emit_all_global();
    next_every_ = now + every_wall_;
  }
  if (checkpoint_ && now >= next_checkpoint_) {
    save_state();
    next_checkpoint_ = now + checkpoint_;
  }
}

void Engine::wait_for_input() {
  out_->flush();
  if (late_out_) late_out_->flush();
  bool timed = o_.processing_time || idle_ || every_wall_ || checkpoint_;
  if (!timed) return;
  while (!io::stop_requested()) {
    int64_t now = wall_ns();
    int64_t wake = INT64_MAX;
    int64_t event_deadline = next_deadline();
    if (o_.processing_time) {
      wake = event_deadline;
    } else if (idle_ && event_deadline != INT64_MAX && max_t_ != INT64_MIN) {
      // Wall time at which the idle watermark reaches the deadline (at least idle after the
      // last record).
      int64_t base = max_t_ - max_delay_;
      int64_t need = event_deadline > base ? event_deadline - base : 0;
      wake = last_arrival_ + std::max(need, idle_);
    }
    if (every_wall_) wake = std::min(wake, next_every_);
    if (checkpoint_) wake = std::min(wake, next_checkpoint_);
    int timeout = -1;
    if (wake != INT64_MAX) {
      int64_t ms = wake > now ? (wake - now + 999'999) / 1'000'000 : 0;
      timeout = static_cast<int>(std::min<int64_t>(ms, 60'000));
    }
    if (!reading_stdin_) {
      on_timer(now);
      return;
    }
    pollfd pfd{0, POLLIN, 0};
    int r = poll(&pfd, 1, timeout);
    if (r > 0) return;
    if (r < 0 && errno != EINTR) return;
    on_timer(wall_ns());
    out_->flush();
    if (late_out_) late_out_->flush();
  }
}

// ---- state

void Engine::save_state() {
  StateWriter w(o_.state);
  w.header(signature(), wm_, max_t_);
  std::string buf;
  auto put_pane = [&](const Pane& p) {
    buf.clear();
    put_bytes(buf, p.key);
    put_u64(buf, static_cast<uint64_t>(p.start));
    put_u64(buf, static_cast<uint64_t>(p.end));
    put_u64(buf, p.records);
    put_u64(buf, p.fired || (p.window && p.window->fired) ? 1 : 0);
    for (size_t i = 0; i < specs_.size(); ++i) agg::save(specs_[i], const_cast<Cell&>(p.cells[i]), buf);
    w.pane(buf);
  };
  if (win_.kind == WindowKind::Session) {
    for (const auto& [k, list] : sessions_)
      for (const auto& p : list) put_pane(*p);
  } else if (win_.kind == WindowKind::Global) {
    for (Pane* p : order_)
      if (p) put_pane(*p);
  } else {
    for (const auto& [end, w2] : windows_)
      for (Pane* p : w2.panes)
        if (p) put_pane(*p);
  }
  w.commit();
}

void Engine::load_state() {
  StateReader r(o_.state);
  if (!r.exists()) return;
  int64_t wm, max_t;
  r.header(signature(), wm, max_t);
  wm_ = wm;
  max_t_ = max_t;
  std::string_view data;
  while (r.pane(data)) {
    size_t pos = 0;
    std::string key;
    uint64_t start, end, records, fired;
    if (!get_bytes(data, pos, key) || !get_u64(data, pos, start) || !get_u64(data, pos, end) ||
        !get_u64(data, pos, records) || !get_u64(data, pos, fired))
      r.corrupt();
    key_ = key;
    Pane* p;
    if (win_.kind == WindowKind::Session) {
      auto it = sessions_.find(std::string_view(key_));
      if (it == sessions_.end()) it = sessions_.emplace(key_, std::vector<PanePtr>{}).first;
      it->second.emplace_back(new_pane(specs_.size(), {}));
      p = it->second.back().get();
      p->key = it->first;
      ++live_;
    } else {
      p = create_pane(static_cast<int64_t>(start), static_cast<int64_t>(end));
      if (p->window && fired) p->window->fired = true;
    }
    p->start = static_cast<int64_t>(start);
    p->end = static_cast<int64_t>(end);
    p->records = records;
    p->fired = fired != 0;
    for (size_t i = 0; i < specs_.size(); ++i)
      if (!agg::load(specs_[i], p->cells[i], data, pos)) r.corrupt();
    touch(p);
    if (win_.kind == WindowKind::Session) {
      p->has_timer = true;
      p->timer = timers_.emplace(p->fired ? p->end + lateness_ : p->end, p);
    }
  }
  prog_.report().info("restored " + std::to_string(live_) + " open groups from " + o_.state);
}

// ---- the run

int Engine::run() {
  auto& opts = prog_.options();
  malformed_ = &st_.counter("malformed", "Lines that could not be read as JSON where the expressions look.");
  bad_time_ = &st_.counter("bad_time", "Records whose time field is missing or not a time.");
  filtered_ = &st_.counter("filtered_out", "Records --where did not keep.");
  late_ = &st_.counter("late", "Records later than --allowed-lateness for all their windows.");
  updates_ = &st_.counter("late_updates", "Results emitted again because a late record updated them.");
  having_out_ = &st_.counter("having_out", "Results --having did not keep.");
  evicted_ = &st_.counter("evicted", "Groups emitted early and evicted by --max-groups.");
  panes_peak_ = &st_.counter("open_groups_peak", "The most window-and-group results held at once.");
  compile();

  out_ = prog_.open_output();
  if (!o_.late.empty()) late_out_ = io::Output::open(o_.late);
  key_.assign(8, '\0');
  if (!o_.state.empty()) load_state();
  int64_t now = wall_ns();
  last_arrival_ = now;
  next_every_ = now + every_wall_;
  next_checkpoint_ = now + checkpoint_;

  std::vector<std::string> inputs = opts.inputs.empty() ? std::vector<std::string>{"-"} : opts.inputs;
  uint64_t bytes_before = 0;
  for (const auto& path : inputs) {
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog_.open_input(path);
    } catch (const Error& e) {
      prog_.input_failed(e.what());
      continue;
    }
    reading_stdin_ = path == "-";
    reader->on_refill([&] { wait_for_input(); });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    while (reader->next(line)) {
      st_.records_in.add();
      st_.bytes_in.set(bytes_before + reader->bytes_read());
      if (idle_ || every_wall_ || checkpoint_) {
        last_arrival_ = wall_ns();
        if ((every_wall_ && last_arrival_ >= next_every_) || (checkpoint_ && last_arrival_ >= next_checkpoint_))
          on_timer(last_arrival_);
      }
      if (line.too_long) {
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(opts.max_line_bytes) + ")";
        prog_.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      process(line, source);
    }
    bytes_before += reader->bytes_read();
    st_.bytes_in.set(bytes_before);
    st_.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  if (io::stop_requested() && !o_.state.empty()) {
    save_state();  // open windows continue in the next run
  } else {
    flush_all();
    if (!o_.state.empty()) StateWriter::remove(o_.state);
  }
  out_->close();
  if (late_out_) late_out_->close();
  st_.bytes_out.set(out_->bytes_written());
  if (late_->get() && o_.late.empty())
    prog_.report().warn(std::to_string(late_->get()) +
                        " records arrived after their windows were closed and were dropped (keep them with --late FILE)");
  uint64_t errors = ev_->error_count() + out_ev_->error_count();
  if (errors)
    prog_.report().warn(std::to_string(errors) + " evaluation errors made values null (the first: " +
                        (ev_->error_count() ? ev_->first_error() : out_ev_->first_error()) + ")");
  return prog_.finish();
}

}  // namespace

int run(cli::Program& prog, const Options& opts) {
  Engine engine(prog, opts);
  return engine.run();
}

}  // namespace sp::agg
