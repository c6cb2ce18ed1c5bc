#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "agg/engine_impl.h"
#include "agg/sketch.h"
#include "agg/state.h"
#include "expr/time.h"
#include "io/error.h"
#include "io/stop.h"
#include "json/writer.h"

namespace sp::agg::detail {

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
  end_round();
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
    // In deadline order, so that sessions ending together are emitted in the same order after
    // a restore (the timers keep insertion order among equal deadlines).
    for (const auto& [deadline, p] : timers_) put_pane(*p);
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

}  // namespace sp::agg::detail
