#include <algorithm>
#include <climits>
#include <cstring>

#include "agg/engine_impl.h"
#include "agg/sketch.h"
#include "agg/state.h"
#include "expr/time.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/check.h"
#include "json/writer.h"

namespace sp::agg {
namespace detail {

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
  emitted_all_ = true;
}

void Engine::write_result() {
  if (!positions_.active()) {
    out_->write_line(record_);
    return;
  }
  if (!held_result_.empty()) out_->write_line(held_result_);
  held_result_.swap(record_);
}

void Engine::end_round(bool final) {
  bool all = emitted_all_;
  emitted_all_ = false;
  if (held_result_.empty()) return;
  // Windows closed by the watermark have been emitted; a global window only by an emission
  // of every group; everything at the end.
  int64_t covered = final || all ? INT64_MAX : win_.kind == WindowKind::Global ? INT64_MIN : wm_;
  held_result_.pop_back();  // '}'
  size_t size = held_result_.size();
  held_result_ += ",\"_sp\":";
  if (!positions_.safe(covered, held_result_)) held_result_.resize(size);
  held_result_ += '}';
  out_->write_line(held_result_);
  held_result_.clear();
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
  write_result();
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

// On-Demand reads only what it needs: a line that is no object at all is told apart here
// (one byte to look at), so that it is not counted as a record with null fields.
bool Engine::is_object(const io::Line& line, std::string_view source) {
  std::string_view text = line.view();
  size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos || text[first] != '{') {
    malformed_->add();
    std::string_view rest = first == std::string_view::npos ? std::string_view() : text.substr(first);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
    bool json_value = !rest.empty() && (rest[0] == '[' || rest[0] == '"' || rest[0] == '-' ||
                                        (rest[0] >= '0' && rest[0] <= '9') || rest == "true" || rest == "false" ||
                                        rest == "null");
    prog_.reject({source, line.number, line.offset, json_value ? "not a JSON object" : "not JSON", line.view(),
                  false, line.size, {}});
    return false;
  }
  return true;
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
  std::string_view positions;
  if (memmem(line.data, line.size, "\"_sp\"", 5) != nullptr)
    positions = json::member_value(line.view(), "\"_sp\"", sp_members_);
  if (!place(line, source, positions) && !positions.empty()) positions_.passed(positions);
  end_round();
}

// Places one record in its windows; true when a window holds it (its position, if any, is
// then held until that window is emitted).
bool Engine::place(const io::Line& line, std::string_view source, std::string_view positions) {
  if (std::string deep = json::too_deep(line.view()); !deep.empty()) {
    malformed_->add();
    prog_.reject({source, line.number, line.offset, deep, line.view(), false, line.size, {}});
    return false;
  }
  simdjson::ondemand::document doc;
  simdjson::error_code err =
      parser_.iterate(simdjson::padded_string_view(line.data, line.size, line.capacity)).get(doc);
  if (!err) err = ev_->load(doc);
  if (err) {
    malformed_->add();
    prog_.reject({source, line.number, line.offset, std::string("not JSON: ") + simdjson::error_message(err),
                  line.view(), false, line.size, {}});
    return false;
  }
  int64_t t;
  if (!is_object(line, source) || !record_time(line, source, t)) return false;
  if (where_ != kNone && !ev_->test(where_)) {
    filtered_->add();
    return false;
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
  bool held = true;
  if (!positions.empty()) {
    // When all of its windows have been emitted (not known before the end for sessions and
    // the global window); none are left for a record too late for every window.
    int64_t close = INT64_MAX;
    if (win_.kind == WindowKind::Tumbling || win_.kind == WindowKind::Hopping) {
      close = win_.last_start(t) + win_.size;
      held = close + lateness_ > wm_;
    }
    if (held) positions_.held(positions, close);
  }
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
  return held;
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
  if (!o_.late.empty()) {
    io::OutputOptions late_opts;
    late_opts.mode = 0600;  // records, like dead letters: private
    late_out_ = io::Output::open(o_.late, late_opts);
  }
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
    end_round();
    save_state();  // open windows continue in the next run
  } else {
    flush_all();
    end_round(true);
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

}  // namespace detail

int run(cli::Program& prog, const Options& opts) {
  detail::Engine engine(prog, opts);
  return engine.run();
}

}  // namespace sp::agg
