// The dead-letter output: records a stage could not accept, one JSON object per line, with
// enough to find and fix them: where they came from, why, and the original text.
//   {"source":"in.ndjson","line":3,"offset":120,"error":"...","raw":"..."}
// "source" is left out for stdin. When the raw text is not valid UTF-8, "raw" shows it with
// U+FFFD replacements and "raw_base64" holds the exact bytes. An overlong line keeps only
// its first bytes in "raw", with "raw_truncated":true and its full size in "raw_bytes".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/output.h"

namespace sp::cli {

struct Rejection {
  std::string_view source;  // "" for stdin
  uint64_t line = 0;
  uint64_t offset = 0;
  std::string_view error;
  std::string_view raw;
  bool raw_truncated = false;
  uint64_t raw_bytes = 0;
  // Further members as JSON text, starting with ',' (e.g. ",\"errors\":[...]"), or empty.
  std::string_view extra_members;
};

class DeadLetter {
 public:
  // An empty path means no dead-letter output: rejections are only counted and reported.
  explicit DeadLetter(const std::string& path);
  bool enabled() const { return out_ != nullptr; }
  const std::string& path() const { return path_; }
  void write(const Rejection& r);
  uint64_t written() const { return written_; }
  // Flushes, fsyncs and closes (throws sp::Error on failure).
  void close();

 private:
  std::string path_;
  std::unique_ptr<io::Output> out_;
  std::string line_;
  uint64_t written_ = 0;
};

}  // namespace sp::cli
