// LineReader: NDJSON lines from a byte source, fast and safe.
// - Large reads into one reused buffer, lines split with memchr; no per-line allocation.
// - Every line it hands out is followed by at least SIMDJSON_PADDING readable bytes, so
//   simdjson can parse it in place.
// - "\r\n" endings are accepted (the '\r' is not part of the line); a last line without "\n"
//   is accepted; empty and blank lines are skipped and counted.
// - A line longer than max_line_bytes is reported (Line::too_long, with its line number and a
//   prefix) and skipped without holding it in memory; the lines after it are read normally.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/source.h"

namespace sp::io {

struct Line {
  const char* data = nullptr;
  size_t size = 0;
  size_t capacity = 0;   // readable bytes from data: >= size + SIMDJSON_PADDING
  uint64_t number = 0;   // 1-based line number in the source
  uint64_t offset = 0;   // byte offset of the line's first byte in the (decompressed) source
  bool too_long = false;  // data/size hold only the first bytes; total_size the whole length
  uint64_t total_size = 0;
  std::string_view view() const { return {data, size}; }
};

struct LineReaderOptions {
  size_t max_line_bytes = 64u << 20;
  size_t buffer_bytes = 1u << 20;
  size_t too_long_prefix = 256;  // bytes of an overlong line kept for the error report
};

class LineReader {
 public:
  explicit LineReader(std::unique_ptr<ByteSource> source, LineReaderOptions opts = {});
  // The next non-empty line, or false at end of input or when a stop was requested.
  bool next(Line& line);
  // Called before every blocking read: the place to flush output, so that a slow live
  // stream still moves record by record while a fast batch is written in large blocks.
  void on_refill(std::function<void()> f) { on_refill_ = std::move(f); }

  const std::string& name() const { return source_->name(); }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t empty_lines() const { return empty_lines_; }
  uint64_t lines() const { return line_number_; }

 private:
  bool fill();  // false at end of input
  void compact();

  std::unique_ptr<ByteSource> source_;
  LineReaderOptions opts_;
  std::vector<char> buf_;   // capacity + padding
  size_t cap_ = 0;          // usable bytes
  size_t begin_ = 0, end_ = 0, scan_ = 0;
  uint64_t base_offset_ = 0;  // source offset of buf_[0]
  uint64_t bytes_read_ = 0;
  uint64_t line_number_ = 0;
  uint64_t empty_lines_ = 0;
  bool eof_ = false;
  std::vector<char> prefix_;  // kept start of an overlong line (with padding)
  std::function<void()> on_refill_;
};

}  // namespace sp::io
