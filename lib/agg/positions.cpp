#include "agg/positions.h"

#include "ack/ack.h"

namespace sp::agg {

Positions::Partition& Positions::find(std::string_view name) {
  if (last_ < parts_.size() && parts_[last_].name == name) return parts_[last_];
  for (size_t i = 0; i < parts_.size(); ++i)
    if (parts_[i].name == name) return parts_[last_ = i];
  last_ = parts_.size();
  parts_.push_back({std::string(name), kUnknown, {}});
  return parts_.back();
}

void Positions::held(std::string_view sp_value, int64_t close) {
  ack::for_each_position(sp_value, [&](std::string_view name, uint64_t offset) {
    Partition& p = find(name);
    p.held.push_back({close, p.end});
    p.end = offset;
  });
}

void Positions::passed(std::string_view sp_value) {
  ack::for_each_position(sp_value, [&](std::string_view name, uint64_t offset) { find(name).end = offset; });
}

bool Positions::safe(int64_t covered, std::string& out) {
  bool any = false;
  for (auto& p : parts_) {
    // Oldest first; a record whose windows close later keeps the ones behind it (conservative).
    while (!p.held.empty() && p.held.front().close <= covered) p.held.pop_front();
    uint64_t pos = p.held.empty() ? p.end : p.held.front().start;
    if (pos == kUnknown) continue;
    out += any ? ",\"" : "[\"";
    ack::append_position(out, p.name, pos);
    out += '"';
    any = true;
  }
  if (any) out += ']';
  return any;
}

}  // namespace sp::agg
