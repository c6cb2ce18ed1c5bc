// From lines to records, per stream (one file, or stdin): joins the lines of one record
// (--multiline-start, or a quoted CSV field that spans lines), checks UTF-8, runs the format,
// and writes the record or rejects it with its file, line, offset and reason.
// A stream knows where its first unfinished record starts (held_offset), which is where
// reading must resume after a restart.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/emitter.h"
#include "ingest/formats/format.h"
#include "ingest/formats/regex.h"

namespace sp::ingest {

struct DecoderOptions {
  Regex* multiline_start = nullptr;   // a line matching it starts a record; others continue it
  size_t max_record_bytes = 64u << 20;
  bool replace_invalid_utf8 = false;  // else a line that is not UTF-8 is rejected
};

// What the streams of one thread share: the format, the output, the counters.
class Pipeline {
 public:
  Pipeline(Format& format, Emitter& emitter, DecoderOptions opts);
  Format& format() { return format_; }
  Emitter& emitter() { return emitter_; }
  const DecoderOptions& options() const { return opts_; }
  cli::Counter& malformed() { return *malformed_; }
  cli::Counter& too_long() { return *too_long_; }
  cli::Counter& invalid_utf8() { return *invalid_utf8_; }
  cli::Counter& headers() { return *headers_; }

 private:
  Format& format_;
  Emitter& emitter_;
  DecoderOptions opts_;
  cli::Counter *malformed_, *too_long_, *invalid_utf8_, *headers_;
  friend class StreamDecoder;
  std::string out_, error_;  // reused by every stream of the thread
};

class StreamDecoder {
 public:
  // `ack_partition`: the input's partition name for --ack positions (kept up to date by its owner).
  StreamDecoder(Pipeline& p, std::string source, const FileIdentity* identity,
                const std::string* ack_partition = nullptr);
  void set_source(std::string source) { source_ = std::move(source); }
  const std::string& source() const { return source_; }

  // One line without its line ending; `end` is the offset after its newline. `capacity`
  // readable bytes from data (>= size + SIMDJSON_PADDING).
  void line(const char* data, size_t size, size_t capacity, uint64_t offset, uint64_t end, uint64_t number);
  // A line longer than the limit: its first bytes and its full size.
  void too_long(std::string_view prefix, uint64_t offset, uint64_t end, uint64_t number, uint64_t total);

  // Reading resumes in the middle of a file: read its header row (csv/tsv) from the start.
  void read_header(int fd);

  bool holding() const { return holding_; }
  uint64_t held_offset() const { return held_offset_; }
  uint64_t held_line() const { return held_line_ ? held_line_ - 1 : 0; }
  // When the held record last grew.
  std::chrono::steady_clock::time_point last_line() const { return last_line_; }
  // Writes what is held as a record (end of input, --multiline-timeout).
  void flush();
  // The stream starts over (a truncated file): held lines are written, the format state reset.
  void reset();

 private:
  void emit(const char* data, size_t size, size_t capacity, uint64_t offset, uint64_t end, uint64_t number);
  void hold(const char* data, size_t size, uint64_t offset, uint64_t end, uint64_t number);
  void append(const char* data, size_t size, uint64_t end);

  Pipeline& p_;
  std::string source_;
  const FileIdentity* identity_;
  const std::string* ack_partition_;
  std::unique_ptr<FormatState> state_;
  char csv_delim_;
  bool holding_ = false;
  bool in_quote_ = false;
  std::string held_;
  uint64_t held_offset_ = 0, held_end_ = 0, held_line_ = 0;
  std::chrono::steady_clock::time_point last_line_;
};

// True when a quoted CSV field is still open at the end of `line` (given whether one was open
// at its start).
bool csv_quote_open(std::string_view line, char delim, bool open_at_start);
// 1-based position of the first byte that is not valid UTF-8, or 0.
size_t first_invalid_utf8(std::string_view s);

}  // namespace sp::ingest
