// Per-evaluator scratch memory for strings that functions produce (lower(), concat(), ...).
// A chunked bump allocator: reset() at each record makes the memory reusable without freeing
// it, and chunks never move, so earlier results stay valid while later ones are allocated.
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace sp::expr {

class Scratch {
 public:
  char* alloc(size_t n);
  std::string_view copy(std::string_view s);
  void reset() {
    current_ = 0;
    used_ = 0;
  }
  size_t capacity() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // index of the chunk being filled
  size_t used_ = 0;     // bytes used in it
};

}  // namespace sp::expr
