#include "io/line_reader.h"

#include <simdjson.h>

#include <cstring>

#include "io/stop.h"

namespace sp::io {
namespace {

bool is_blank(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\t') return false;
  return true;
}

}  // namespace

LineReader::LineReader(std::unique_ptr<ByteSource> source, LineReaderOptions opts)
    : source_(std::move(source)), opts_(opts) {
  if (opts_.buffer_bytes < 4096) opts_.buffer_bytes = 4096;
  cap_ = opts_.buffer_bytes;
  buf_.resize(cap_ + simdjson::SIMDJSON_PADDING);
}

void LineReader::compact() {
  if (begin_ == 0) return;
  size_t n = end_ - begin_;
  if (n) memmove(buf_.data(), buf_.data() + begin_, n);
  base_offset_ += begin_;
  scan_ -= begin_;
  begin_ = 0;
  end_ = n;
  // Give back memory that one long line made us take.
  if (cap_ > 4 * opts_.buffer_bytes && n < opts_.buffer_bytes / 2) {
    std::vector<char> smaller(opts_.buffer_bytes + simdjson::SIMDJSON_PADDING);
    if (n) memcpy(smaller.data(), buf_.data(), n);
    buf_.swap(smaller);
    cap_ = opts_.buffer_bytes;
  }
}

bool LineReader::fill() {
  if (eof_) return false;
  compact();
  if (end_ == cap_) {
    // Room for a line of max_line_bytes and its "\r\n".
    size_t want = std::min(cap_ * 2, opts_.max_line_bytes + 2);
    if (want <= cap_) want = cap_ + 1;
    cap_ = want;
    buf_.resize(cap_ + simdjson::SIMDJSON_PADDING);
  }
  if (on_refill_) on_refill_();
  while (true) {
    if (stop_requested()) return false;
    long r = source_->read(buf_.data() + end_, cap_ - end_);
    if (r < 0) continue;  // interrupted: check the stop flag and try again
    if (r == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(r);
    bytes_read_ += static_cast<uint64_t>(r);
    return true;
  }
}

bool LineReader::next(Line& line) {
  while (true) {
    char* base = buf_.data();
    const char* nl = scan_ < end_ ? static_cast<const char*>(memchr(base + scan_, '\n', end_ - scan_)) : nullptr;
    size_t stop;
    if (nl) {
      stop = static_cast<size_t>(nl - base);
    } else {
      scan_ = end_;
      // A '\r' waiting for its '\n' is not part of the line.
      size_t held = end_ - begin_;
      bool cr_pending = held == opts_.max_line_bytes + 1 && base[end_ - 1] == '\r';
      if (held > opts_.max_line_bytes && !cr_pending) {
        // Too long: keep a prefix for the report, then drop bytes until the newline.
        uint64_t number = ++line_number_;
        uint64_t offset = base_offset_ + begin_;
        size_t keep = std::min(opts_.too_long_prefix, end_ - begin_);
        prefix_.assign(base + begin_, base + begin_ + keep);
        prefix_.resize(keep + simdjson::SIMDJSON_PADDING);
        uint64_t total = end_ - begin_;
        bool last_cr = base[end_ - 1] == '\r';  // total_size, like size, leaves out the '\r' of "\r\n"
        begin_ = scan_ = end_;
        bool found = false;
        while (!found) {
          compact();
          if (!fill()) break;
          const char* p = static_cast<const char*>(memchr(buf_.data(), '\n', end_));
          if (p) {
            size_t k = static_cast<size_t>(p - buf_.data());
            total += k;
            last_cr = k ? buf_[k - 1] == '\r' : last_cr;
            begin_ = scan_ = k + 1;
            found = true;
          } else {
            total += end_;
            last_cr = buf_[end_ - 1] == '\r';
            begin_ = scan_ = end_;
          }
        }
        if (last_cr) --total;
        line = Line{prefix_.data(), keep, prefix_.size(), number, offset, true, total};
        return true;
      }
      if (fill()) continue;
      if (stop_requested() || begin_ == end_) return false;
      stop = end_;  // last line without a newline
    }
    size_t start = begin_;
    size_t len = stop - start;
    begin_ = scan_ = (stop < end_ ? stop + 1 : end_);
    ++line_number_;
    if (len && base[start + len - 1] == '\r') --len;
    // Over the limit before blank: a long line that streams past the buffer is reported
    // without being looked at, and one that fits must be reported the same way.
    if (len > opts_.max_line_bytes) {
      size_t keep = std::min(opts_.too_long_prefix, len);
      prefix_.assign(base + start, base + start + keep);
      prefix_.resize(keep + simdjson::SIMDJSON_PADDING);
      line = Line{prefix_.data(), keep, prefix_.size(), line_number_, base_offset_ + start, true, len};
      return true;
    }
    if (len == 0 || ((base[start] == ' ' || base[start] == '\t') && is_blank(base + start, len))) {
      ++empty_lines_;
      continue;
    }
    line = Line{base + start, len, buf_.size() - start, line_number_, base_offset_ + start, false, len};
    return true;
  }
}

}  // namespace sp::io
