#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>

#include "expr/time.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "match/engine_impl.h"

namespace sp::match {
namespace detail {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Engine::~Engine() {
  for (auto& [k, ks] : keys_) delete ks;
  for (KeyState* ks : free_keys_) delete ks;
  for (auto& r : pending_) delete r.p;
  for (Pending* p : free_pending_) delete p;
}

// ---- keys

KeyState* Engine::find_key() {
  auto it = keys_.find(std::string_view(key_));
  return it == keys_.end() ? nullptr : it->second;
}

void Engine::touch(KeyState* ks) {
  if (lru_head_ == ks) return;
  if (ks->prev) ks->prev->next = ks->next;
  if (ks->next) ks->next->prev = ks->prev;
  if (lru_tail_ == ks) lru_tail_ = ks->prev;
  ks->prev = nullptr;
  ks->next = lru_head_;
  if (lru_head_) lru_head_->prev = ks;
  lru_head_ = ks;
  if (!lru_tail_) lru_tail_ = ks;
}

KeyState* Engine::create_key() {
  KeyState* ks;
  if (free_keys_.empty()) {
    ks = new KeyState;
  } else {
    ks = free_keys_.back();
    free_keys_.pop_back();
  }
  ks->key = key_;
  ks->seen = false;
  ks->prev = ks->next = nullptr;
  keys_.emplace(key_, ks);
  touch(ks);
  if (keys_.size() > keys_peak_->get()) keys_peak_->set(keys_.size());
  evict();
  return ks;
}

void Engine::remove_key(KeyState* ks) {
  for (Attempt* a : ks->attempts) recycle(a);
  ks->attempts.clear();
  if (ks->prev) ks->prev->next = ks->next;
  if (ks->next) ks->next->prev = ks->prev;
  if (lru_head_ == ks) lru_head_ = ks->next;
  if (lru_tail_ == ks) lru_tail_ = ks->prev;
  ++ks->epoch;
  keys_.erase(keys_.find(std::string_view(ks->key)));
  free_keys_.push_back(ks);
}

// Beyond --max-keys the least recently active key is decided early: its complete matches are
// reported, runs that could still grow and pending !X matches are dropped.
void Engine::evict() {
  while (o_.max_keys && keys_.size() > o_.max_keys && lru_tail_) {
    KeyState* victim = lru_tail_;
    if (!warned_evict_) {
      warned_evict_ = true;
      prog_.report().warn("more than " + std::to_string(o_.max_keys) +
                          " keys with open matches (--max-keys): deciding the least recently active early");
    }
    evicted_->add();
    for (Attempt* a : victim->attempts) {
      kill_threads(*a);
      a->expired = true;
      if (pattern_.absent >= 0 && a->best) {
        unref(a->best);
        a->best = nullptr;
      }
    }
    drain(victim);
    remove_key(victim);
  }
}

// ---- time

void Engine::fire_timers() {
  while (!timers_.empty() && timers_.front().at < wm_) {
    Timer t = timers_.front();
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
    if (t.ks->epoch != t.epoch) continue;
    expire(t.ks, wm_);
    if (t.ks->attempts.empty() && !pattern_.anchored) remove_key(t.ks);
  }
}

void Engine::set_watermark(int64_t wm) {
  if (wm <= wm_) return;
  wm_ = wm;
  release(wm_);
  fire_timers();
}

// Records of the reorder buffer up to the watermark, in event-time order.
void Engine::release(int64_t upto) {
  while (!pending_.empty() && pending_.front().t <= upto) {
    Pending* p = pending_.front().p;
    pending_.pop_front();
    simdjson::error_code err;
    if (load(*ev_, p->line.data(), p->line.size(), p->line.capacity(), err)) {
      make_key();
      cur_line_ = p->line;
      handle(p->t);
    } else {
      malformed_->add();
      std::string msg = std::string("not JSON: ") + simdjson::error_message(err);
      prog_.reject({input_names_[p->input], p->number, p->offset, msg, p->line, false, p->line.size(), {}});
    }
    free_pending_.push_back(p);
  }
}

void Engine::wait_for_input() {
  out_->flush();
  if (!idle_ || !reading_stdin_ || max_t_ == INT64_MIN) return;
  while (!io::stop_requested()) {
    int64_t next = INT64_MAX;
    if (!timers_.empty()) next = timers_.front().at + 1;
    if (!pending_.empty()) next = std::min(next, pending_.front().t);
    if (next == INT64_MAX) return;
    // Wall time at which the idle watermark reaches `next` (at least --idle-timeout after the
    // last record).
    int64_t base = max_t_ - max_delay_;
    int64_t wake = last_arrival_ + std::max(idle_, next > base ? next - base : 0);
    int64_t now = now_ns();
    int64_t ms = wake > now ? (wake - now + 999'999) / 1'000'000 : 0;
    pollfd pfd{0, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(ms, 60'000)));
    if (r > 0 || (r < 0 && errno != EINTR)) return;
    now = now_ns();
    if (now - last_arrival_ >= idle_) set_watermark(base + (now - last_arrival_));
    out_->flush();
  }
}

void Engine::finish_all() {
  set_watermark(INT64_MAX);
  // End of input: no run can grow any more; every attempt is decided, oldest key first.
  while (lru_tail_) {
    KeyState* ks = lru_tail_;
    for (Attempt* a : ks->attempts) {
      kill_threads(*a);
      a->expired = true;
    }
    drain(ks);
    remove_key(ks);
  }
}

// ---- records

bool Engine::load(expr::Evaluator& ev, const char* data, size_t size, size_t capacity, simdjson::error_code& err) {
  simdjson::ondemand::document doc;
  err = parser_.iterate(simdjson::padded_string_view(data, size, capacity)).get(doc);
  if (!err) err = ev.load(doc);
  return !err;
}

bool Engine::record_time(const io::Line& line, std::string_view source, expr::Evaluator& ev, size_t root,
                         int64_t& t) {
  if (root == kNone) {
    t = now_ns();
    return true;
  }
  Value v = ev.eval(root);
  std::optional<int64_t> ns;
  if (v.type == expr::Type::Time)
    ns = v.nanos;
  else if (v.type == expr::Type::String)
    ns = expr::parse_rfc3339(v.text);
  else if (v.type == expr::Type::Number)
    ns = expr::time_from_epoch_number(v.number);
  if (ns) {
    t = *ns;
    return true;
  }
  bad_time_->add();
  std::string msg = "time field '" + o_.time + "' " +
                    (v.is_null() ? std::string("is missing")
                                 : "is not a time (RFC 3339 or epoch seconds/milliseconds): " + expr::to_json(v).substr(0, 80));
  prog_.reject({source, line.number, line.offset, msg, line.view(), false, line.size, {}});
  return false;
}

void Engine::make_key() {
  key_.clear();
  for (const auto& k : key_items_) {
    agg::append_key_json(key_, ev_->eval(k.root));
    key_ += '\0';
  }
}

void Engine::arrive(const io::Line& line, std::string_view source) {
  simdjson::error_code err;
  std::string_view text = line.view();
  size_t first = text.find_first_not_of(" \t");
  expr::Evaluator& ev = time_ev_ ? *time_ev_ : *ev_;
  if (std::string deep = json::too_deep(text); !deep.empty()) {
    malformed_->add();
    prog_.reject({source, line.number, line.offset, deep, text, false, line.size, {}});
    return;
  }
  // On-Demand checks only the fields read; a record that goes into the output must be JSON
  // throughout, or the match written around it would not be.
  if (o_.with_events && !checker_.check(line.data, line.size)) {
    malformed_->add();
    prog_.reject({source, line.number, line.offset, "not JSON: " + checker_.error(), text, false, line.size, {}});
    return;
  }
  if (!load(ev, line.data, line.size, line.capacity, err) || first == std::string_view::npos || text[first] != '{') {
    malformed_->add();
    std::string msg = err ? std::string("not JSON: ") + simdjson::error_message(err) : "not JSON";
    if (!err) {
      // On-Demand reads only what it needs: tell a JSON value that is no object from text.
      std::string_view rest = first == std::string_view::npos ? std::string_view() : text.substr(first);
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r')) rest.remove_suffix(1);
      bool value = rest == "true" || rest == "false" || rest == "null" ||
                   (!rest.empty() && std::string_view("[\"-0123456789").find(rest[0]) != std::string_view::npos);
      if (value) msg = "not a JSON object";
    }
    prog_.reject({source, line.number, line.offset, msg, text, false, line.size, {}});
    return;
  }
  int64_t t;
  if (!record_time(line, source, ev, time_ev_ ? 0 : time_, t)) return;
  if (idle_) last_arrival_ = now_ns();
  if (t < wm_) {
    late_->add();
    std::string msg = "late: event time " + std::string();
    expr::format_rfc3339_ms(msg, t);
    msg += " is before the watermark ";
    expr::format_rfc3339_ms(msg, wm_);
    msg += " (allow more disorder with --max-delay)";
    prog_.reject({source, line.number, line.offset, msg, text, false, line.size, {}});
    return;
  }
  max_t_ = std::max(max_t_, t);
  if (!time_ev_) {
    make_key();
    cur_line_ = text;
    handle(t);
    set_watermark(max_t_);
    return;
  }
  Pending* p;
  if (free_pending_.empty()) {
    p = new Pending;
  } else {
    p = free_pending_.back();
    free_pending_.pop_back();
  }
  p->t = t;
  p->number = line.number;
  p->offset = line.offset;
  p->input = input_names_.size() - 1;
  p->line.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  p->line.assign(text);
  if (pending_.empty() || pending_.back().t <= t) {
    pending_.push_back({t, p});
  } else {  // after the records of the same time that arrived before it
    auto at = std::upper_bound(pending_.begin(), pending_.end(), t,
                               [](int64_t x, const PendingRef& r) { return x < r.t; });
    pending_.insert(at, {t, p});
  }
  set_watermark(max_t_ - max_delay_);
}

// One record in event-time order: the key's attempts take it, and it may start a new one.
void Engine::handle(int64_t t) {
  ++seq_;
  cur_t_ = t;
  cur_ = nullptr;
  bits_ = 0;
  for (size_t v = 0; v < def_root_.size(); ++v) {
    uint64_t bit = uint64_t{1} << v;
    if (def_root_[v] == kNone) {
      bits_ |= bit;
    } else if (!(dynamic_ & bit)) {
      for (const auto& s : own_slots_[v]) ev_->set_field(s.slot, ev_->field(path_slot_[s.path]));
      if (ev_->test(def_root_[v])) bits_ |= bit;
    }
  }
  KeyState* ks = keys_.empty() ? nullptr : find_key();
  if (ks) {
    touch(ks);
    for (Attempt* a : ks->attempts) step(*a, false);
  }
  bool start = (start_vars_ & (bits_ | dynamic_)) != 0;
  if (pattern_.anchored && ks && ks->seen) start = false;
  if (start) {
    Attempt* a = new_attempt();
    a->start_seq = seq_;
    a->start_t = t;
    a->threads.assign(start_threads_.begin(), start_threads_.end());
    step(*a, true);
    if (a->threads.empty() && !a->best) {
      recycle(a);
    } else {
      if (!ks) ks = create_key();
      ks->attempts.push_back(a);
      if (within_) {
        timers_.push_back({t + within_, ks, ks->epoch});
        std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
      }
    }
  }
  if (pattern_.anchored && !ks) ks = create_key();
  if (ks) {
    ks->seen = true;
    drain(ks);
    if (ks->attempts.empty() && !pattern_.anchored) remove_key(ks);
  }
  if (cur_) {
    unref(cur_);
    cur_ = nullptr;
  }
}

// ---- the run

int Engine::run() {
  auto& opts = prog_.options();
  malformed_ = &st_.counter("malformed", "Lines that could not be read as JSON objects.");
  bad_time_ = &st_.counter("bad_time", "Records whose time field is missing or not a time.");
  late_ = &st_.counter("late", "Records older than the watermark (more disorder than --max-delay).");
  matches_ = &st_.counter("matches", "Matches reported.");
  cancelled_ = &st_.counter("absence_cancelled", "Matches called off because the !X event came in time.");
  evicted_ = &st_.counter("evicted_keys", "Keys decided early because of --max-keys.");
  runs_dropped_ = &st_.counter("runs_dropped", "Partial matches dropped because of --max-runs.");
  keys_peak_ = &st_.counter("open_keys_peak", "The most keys with open matches at once.");
  compile();
  out_ = prog_.open_output();
  last_arrival_ = now_ns();

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
    input_names_.push_back(path == "-" ? std::string() : reader->name());
    reader->on_refill([&] { wait_for_input(); });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    while (reader->next(line)) {
      st_.records_in.add();
      st_.bytes_in.set(bytes_before + reader->bytes_read());
      if (line.too_long) {
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(opts.max_line_bytes) + ")";
        prog_.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      arrive(line, source);
    }
    bytes_before += reader->bytes_read();
    st_.bytes_in.set(bytes_before);
    st_.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  finish_all();
  out_->close();
  st_.bytes_out.set(out_->bytes_written());
  // Type errors in definitions, --emit or the time (each made a value null), summarized.
  uint64_t errors = 0;
  std::string first;
  for (const expr::Evaluator* e : {ev_.get(), out_ev_.get(), time_ev_.get()}) {
    if (!e || !e->error_count()) continue;
    if (first.empty()) first = e->first_error();
    errors += e->error_count();
  }
  if (errors)
    prog_.report().warn(std::to_string(errors) + " evaluation errors made values null (the first: " + first + ")");
  return prog_.finish();
}

}  // namespace detail

int run(cli::Program& prog, const Options& opts) { return detail::Engine(prog, opts).run(); }

}  // namespace sp::match
