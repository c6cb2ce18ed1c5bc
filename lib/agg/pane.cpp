#include <time.h>

#include <cstring>

#include "agg/engine_impl.h"
#include "expr/time.h"

namespace sp::agg::detail {

int64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * expr::kNanosPerSecond + ts.tv_nsec;
}

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

}  // namespace sp::agg::detail
