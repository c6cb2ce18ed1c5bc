// Output: buffered writes to stdout or a file, optionally zstd-compressed.
// EPIPE (the reader went away, e.g. `| head -1`) throws sp::BrokenPipe, which the entry
// wrapper turns into a quiet exit 0; any other write error throws sp::Error.
#pragma once
#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sp::io {

enum class Compression { kNone, kZstd };

struct OutputOptions {
  Compression compression = Compression::kNone;
  int zstd_level = 3;
  bool append = true;       // files: append (the default for logs and dead letters) or truncate
  unsigned mode = 0644;     // permissions of a file we create
  bool sync_on_close = false;  // fsync before close (durable outputs)
};

class Output {
 public:
  // "-" is stdout. A path ending in ".zst" turns on zstd unless options say otherwise.
  static std::unique_ptr<Output> open(const std::string& path, OutputOptions opts = {});
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(const char* p, size_t n) {
    if (n > buf_.capacity() - buf_.size()) make_room(n);
    buf_.append(p, n);
  }
  void write(std::string_view s) { write(s.data(), s.size()); }
  // One record and its newline.
  void write_line(std::string_view s) {
    if (s.size() + 1 > buf_.capacity() - buf_.size()) make_room(s.size() + 1);
    buf_.append(s.data(), s.size());
    buf_ += '\n';
  }
  // Hands everything written so far to the kernel (and, compressed, ends a zstd block).
  void flush();
  // Flushes and fsyncs (what was written survives a crash of the machine).
  void sync();
  // Flushes, ends the zstd frame, fsyncs when asked, and closes. Safe to call twice.
  void close();
  uint64_t bytes_written() const { return bytes_; }
  const std::string& name() const { return name_; }

 private:
  Output(int fd, std::string name, bool owned, OutputOptions opts);
  void make_room(size_t n);
  void write_raw(const char* p, size_t n);
  void compress(ZSTD_EndDirective mode);

  int fd_;
  std::string name_;
  bool owned_;
  OutputOptions opts_;
  std::string buf_;
  std::vector<char> zbuf_;
  ZSTD_CStream* zs_ = nullptr;
  uint64_t bytes_ = 0;  // uncompressed bytes accepted
  bool closed_ = false;
};

}  // namespace sp::io
