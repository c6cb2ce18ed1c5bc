#include "expr/scratch.h"

#include <cstring>

namespace sp::expr {

char* Scratch::alloc(size_t n) {
  if (n == 0) n = 1;
  while (current_ < chunks_.size()) {
    Chunk& c = chunks_[current_];
    if (c.size - used_ >= n) {
      char* p = c.data.get() + used_;
      used_ += n;
      return p;
    }
    ++current_;
    used_ = 0;
  }
  size_t size = chunks_.empty() ? 4096 : chunks_.back().size * 2;
  while (size < n) size *= 2;
  Chunk c;
  c.data = std::make_unique<char[]>(size);
  c.size = size;
  chunks_.push_back(std::move(c));
  current_ = chunks_.size() - 1;
  used_ = n;
  return chunks_.back().data.get();
}

std::string_view Scratch::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = alloc(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

size_t Scratch::capacity() const {
  size_t total = 0;
  for (const auto& c : chunks_) total += c.size;
  return total;
}

}  // namespace sp::expr
