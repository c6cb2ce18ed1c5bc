// Byte sources: a file descriptor, optionally decompressed. Compression is detected from the
// first bytes (zstd and gzip magic), not from the file name, so `sp-x < file.zst` works too.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace sp::io {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; returns 0 at end of input. Throws sp::Error on an I/O or format error.
  // Returns -1 when interrupted by a signal before anything was read (the caller checks its
  // stop flag and calls again).
  virtual long read(char* buf, size_t n) = 0;
  // A name for messages: the path, or "stdin".
  virtual const std::string& name() const = 0;
};

// Opens `path` ("-" is stdin) and wraps it in a decompressor when its first bytes say so.
// Throws sp::Error when the file cannot be opened.
std::unique_ptr<ByteSource> open_source(const std::string& path);
// Wraps an already open descriptor (not closed by the source unless `owned`).
std::unique_ptr<ByteSource> fd_source(int fd, std::string name, bool owned);

}  // namespace sp::io
