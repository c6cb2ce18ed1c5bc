#include <algorithm>

#include "expr/time.h"
#include "json/writer.h"
#include "match/engine_impl.h"

namespace sp::match::detail {

// ---- pools: events, steps and attempts are recycled, so that a steady stream allocates nothing

Event* Engine::current() {
  if (cur_) return cur_;
  Event* e = free_events_;
  if (e) {
    free_events_ = e->next_free;
  } else {
    all_events_.push_back(std::make_unique<Event>());
    e = all_events_.back().get();
    e->vals.resize(path_slot_.size());
  }
  e->t = cur_t_;
  e->seq = seq_;
  e->refs = 1;  // the current record's own reference, dropped after it is processed
  if (o_.with_events) e->line.assign(cur_line_);
  for (size_t p = 0; p < path_slot_.size(); ++p) e->vals[p] = ev_->field(path_slot_[p]);
  cur_ = e;
  return e;
}

void Engine::unref(Event* e) {
  if (--e->refs) return;
  e->next_free = free_events_;
  free_events_ = e;
}

Step* Engine::new_step(Event* ev, uint16_t var, Step* prev) {
  if (free_steps_.empty()) {
    constexpr size_t kChunk = 4096;
    step_chunks_.push_back(std::make_unique<Step[]>(kChunk));
    Step* chunk = step_chunks_.back().get();
    for (size_t i = kChunk; i-- > 0;) free_steps_.push_back(&chunk[i]);
  }
  Step* s = free_steps_.back();
  free_steps_.pop_back();
  s->ev = ev;
  ++ev->refs;
  s->prev = prev;  // takes over the caller's reference to prev
  s->var = var;
  s->refs = 1;
  return s;
}

void Engine::unref(Step* s) {
  while (s && --s->refs == 0) {
    Step* prev = s->prev;
    unref(s->ev);
    free_steps_.push_back(s);
    s = prev;
  }
}

Attempt* Engine::new_attempt() {
  if (free_attempts_.empty()) {
    all_attempts_.push_back(std::make_unique<Attempt>());
    return all_attempts_.back().get();
  }
  Attempt* a = free_attempts_.back();
  free_attempts_.pop_back();
  return a;
}

void Engine::kill_threads(Attempt& a) {
  for (auto& th : a.threads) unref(th.last);
  a.threads.clear();
}

void Engine::recycle(Attempt* a) {
  kill_threads(*a);
  unref(a->best);
  a->best = nullptr;
  a->expired = false;
  free_attempts_.push_back(a);
}

// ---- definitions that read a run's history

// The run's events oldest first (the current record last, as `cur_var`), and the last event of
// each variable.
void Engine::gather(Step* history, Event* cur, int cur_var) {
  seq_events_.clear();
  if (cur) seq_events_.emplace_back(cur, cur_var);
  for (Step* s = history; s; s = s->prev) seq_events_.emplace_back(s->ev, s->var);
  std::reverse(seq_events_.begin(), seq_events_.end());
  std::fill(last_of_var_.begin(), last_of_var_.end(), nullptr);
  for (const auto& [e, v] : seq_events_)
    if (v >= 0) last_of_var_[static_cast<size_t>(v)] = e;
}

// Sets what `needs` reads from the gathered run: unqualified fields from its last event, V.x
// from the last event mapped to V, aggregates over the events of their variable.
void Engine::apply(expr::Evaluator& ev, const RootNeeds& needs) {
  auto value_of = [&](const SlotSource& s, const Event* e) -> Value { return e ? e->vals[s.path].get() : Value(); };
  for (size_t a : needs.aggs) {
    agg::Cell& c = cells_[a];
    c.n = 0, c.x = 0, c.y = 0, c.t = 0;
    c.ext.reset();
    const agg::AggSpec& spec = specs_[a];
    bool star = spec.kind == agg::Kind::CountStar || spec.kind == agg::Kind::RateStar;
    int var = agg_var_[a];
    for (const auto& [e, v] : seq_events_) {
      if (var >= 0 && v != var) continue;
      for (const auto& s : agg_needs_[a].slots) ev.set_field(s.slot, value_of(s, e));
      Value arg = star ? Value() : ev.eval(spec.arg);
      agg::update(spec, c, arg, e->t, scratch_);
    }
    double seconds = seq_events_.empty() ? 0 : static_cast<double>(seq_events_.back().first->t - seq_events_.front().first->t) / 1e9;
    ev.set_aggregate(a, agg::result(spec, c, seconds, bufs_[a]));
  }
  const Event* last = seq_events_.empty() ? nullptr : seq_events_.back().first;
  for (const auto& s : needs.slots)
    ev.set_field(s.slot, value_of(s, s.var < 0 ? last : last_of_var_[static_cast<size_t>(s.var)]));
}

bool Engine::matches(int var, Step* history) {
  uint64_t bit = uint64_t{1} << var;
  if (!(dynamic_ & bit)) return bits_ & bit;
  gather(history, current(), var);
  apply(*ev_, def_needs_[static_cast<size_t>(var)]);
  return ev_->test(def_root_[static_cast<size_t>(var)]);
}

// ---- the automaton

// Adds the runs reachable from `state` without an event, in priority order. Reaching the end
// of the pattern records the match and cuts every run of lower priority.
void Engine::closure(Attempt& a, uint32_t state, Step* s, bool& matched) {
  if (!dedupe_) ++gen_;
  dfs_.clear();
  dfs_.push_back(state);
  while (!dfs_.empty()) {
    uint32_t q = dfs_.back();
    dfs_.pop_back();
    if (mark_[q] == gen_) continue;
    mark_[q] = gen_;
    const NfaState& st = pattern_.states[q];
    if (st.kind == NfaState::Split) {
      dfs_.push_back(st.out1);
      dfs_.push_back(st.out);
    } else if (st.kind == NfaState::Var) {
      if (next_.size() >= o_.max_runs) {
        runs_dropped_->add();
        if (!warned_runs_) {
          warned_runs_ = true;
          prog_.report().warn("more than " + std::to_string(o_.max_runs) +
                              " partial matches for one start event (--max-runs): dropping the least preferred");
        }
        continue;
      }
      ++s->refs;
      next_.push_back({q, s});
    } else {
      ++s->refs;
      unref(a.best);
      a.best = s;
      matched = true;
      dfs_.clear();
    }
  }
}

void Engine::step(Attempt& a, bool first) {
  if (within_ && cur_t_ - a.start_t > within_) {
    a.expired = true;
    kill_threads(a);
    return;
  }
  // A pending !X: the match is off when X comes in time.
  if (pattern_.absent >= 0 && a.best && matches(pattern_.absent, a.best)) {
    unref(a.best);
    a.best = nullptr;
    cancelled_->add();
  }
  if (a.threads.empty()) return;
  next_.clear();
  if (dedupe_) ++gen_;
  bool matched = false;
  for (size_t i = 0; i < a.threads.size(); ++i) {
    Thread th = a.threads[i];
    if (matched) {
      unref(th.last);
      continue;
    }
    const NfaState& st = pattern_.states[th.state];
    if (matches(st.var, th.last)) {
      Step* s = new_step(current(), st.var, th.last);
      closure(a, st.out, s, matched);
      unref(s);
    } else if (o_.skip_irrelevant && !first && (!dedupe_ || mark_[th.state] != gen_)) {
      if (dedupe_) mark_[th.state] = gen_;
      next_.push_back(th);  // the run ignores this event and keeps its reference
    } else {
      unref(th.last);
    }
  }
  a.threads.swap(next_);
  next_.clear();
}

bool Engine::resolved(const Attempt& a) const {
  if (!a.threads.empty()) return false;
  return pattern_.absent < 0 || !a.best || a.expired;
}

void Engine::expire(KeyState* ks, int64_t wm) {
  for (Attempt* a : ks->attempts)
    if (a->start_t + within_ < wm) {
      a->expired = true;
      kill_threads(*a);
    }
  drain(ks);
}

// Reports the attempts that are decided, in the order they started.
void Engine::drain(KeyState* ks) {
  auto& q = ks->attempts;
  while (!q.empty() && resolved(*q.front())) {
    Attempt* a = q.front();
    q.pop_front();
    if (a->best) {
      emit(*ks, *a);
      uint64_t last = a->best->ev->seq;
      if (skip_past_last_)
        while (!q.empty() && q.front()->start_seq <= last) {
          recycle(q.front());
          q.pop_front();
        }
    }
    recycle(a);
  }
}

void Engine::emit(const KeyState& ks, const Attempt& a) {
  gather(a.best, nullptr, -1);
  auto& ev = *out_ev_;
  ev.begin_record();
  apply(ev, emit_needs_);
  record_.clear();
  record_ += '{';
  if (!key_items_.empty()) {
    record_ += "\"key\":";
    std::string_view k = ks.key;
    if (key_items_.size() > 1) record_ += '[';
    for (size_t pos = 0, i = 0; pos < k.size(); ++i) {
      size_t z = k.find('\0', pos);
      if (i) record_ += ',';
      record_ += k.substr(pos, z - pos);
      pos = z + 1;
    }
    if (key_items_.size() > 1) record_ += ']';
    record_ += ',';
  }
  record_ += "\"match_start\":\"";
  expr::format_rfc3339_ms(record_, seq_events_.front().first->t);
  record_ += "\",\"match_end\":\"";
  expr::format_rfc3339_ms(record_, seq_events_.back().first->t);
  record_ += '"';
  for (const auto& item : emit_items_) {
    record_ += ',';
    json::append_string(record_, item.name);
    record_ += ':';
    expr::append_json(record_, ev.eval(item.root));
  }
  if (o_.with_events) {
    record_ += ",\"events\":[";
    for (size_t i = 0; i < seq_events_.size(); ++i) {
      if (i) record_ += ',';
      record_ += "{\"var\":";
      json::append_string(record_, pattern_.variables[static_cast<size_t>(seq_events_[i].second)]);
      record_ += ",\"record\":";
      record_ += seq_events_[i].first->line;
      record_ += '}';
    }
    record_ += ']';
  }
  record_ += '}';
  out_->write_line(record_);
  st_.records_out.add();
  matches_->add();
}

}  // namespace sp::match::detail
