// One file being read by the tailer: an open descriptor (kept open across renames and
// deletes, so that a rotated file is finished), the position after the last complete line,
// the partial line after it, and the stream decoder its lines go to.
//   plain files      are read with pread at their own position;
//   compressed files (zstd, gzip, detected by their first bytes) are decompressed; positions
//                    count decompressed bytes, and resuming skips that many;
//   stdin            is a stream: no identity, no resuming.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "ingest/file_identity.h"
#include "io/source.h"

namespace sp::ingest {

enum class FileKind { kPlain, kCompressed, kStream };

// The read buffer every file shares: reads go into it, lines are handed out from it.
class ReadBuffer {
 public:
  explicit ReadBuffer(size_t chunk = 1u << 20);
  char* data() { return buf_.data(); }
  size_t capacity() const { return cap_; }       // usable bytes
  size_t padded_size() const { return buf_.size(); }  // usable bytes + SIMDJSON_PADDING
  size_t chunk() const { return chunk_; }
  // Makes room for `n` usable bytes (contents are not kept).
  void reserve(size_t n);

 private:
  size_t chunk_;
  size_t cap_ = 0;
  std::vector<char> buf_;
};

class TailFile {
 public:
  using Clock = std::chrono::steady_clock;
  // Opens a regular file; null with `error` set when it cannot be opened or read.
  static std::unique_ptr<TailFile> open(const std::string& path, std::string& error);
  static std::unique_ptr<TailFile> open_stdin();
  ~TailFile();
  TailFile(const TailFile&) = delete;
  TailFile& operator=(const TailFile&) = delete;

  FileKind kind() const { return kind_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void set_path(const std::string& p);
  FileIdentity& identity() { return id_; }
  const FileIdentity& identity() const { return id_; }

  // Reading starts at `offset`, a line start, with `line` lines before it.
  void start_at(uint64_t offset, uint64_t line, bool line_known);
  // Starts over at 0 (after a truncation): the caller has dealt with what was held.
  void restart();
  // Reads up to `budget` bytes (streams: one read) and hands complete lines to the decoder.
  // Returns the bytes read; sets `eof` when the end of what is there was reached.
  // Throws sp::Error on a read error or corrupt compressed data.
  size_t read(ReadBuffer& buf, size_t budget, size_t max_line_bytes);
  bool has_partial() const { return !partial_.empty() || skipping_; }
  // Hands the held partial line to the decoder as a line of its own.
  void flush_partial();
  // Drops the held partial line (a copy of the file has it).
  void drop_partial();

  uint64_t offset() const { return offset_; }       // after the last complete line
  uint64_t read_pos() const { return read_pos_; }   // the next byte to read
  uint64_t lines() const { return line_; }
  bool line_known() const { return line_known_; }
  // Where a restart resumes: the start of the first record not yet written.
  uint64_t position() const { return decoder->holding() ? decoder->held_offset() : offset_; }
  uint64_t position_line() const { return decoder->holding() ? decoder->held_line() : (line_known_ ? line_ : 0); }
  // Fingerprint of the bytes before position() (up to kFingerprintBytes), or empty.
  Fingerprint tail_fingerprint() const;
  // Compressed files: decompress again from the start and skip to offset() (the file grew).
  void reopen_compressed();
  // --ack: the name of this content as an acknowledged partition ("f7"), new at every
  // start_at() (a truncated file is new content), and the offset it started at.
  const std::string& ack_partition() const { return ack_partition_; }
  uint64_t ack_base() const { return ack_base_; }

  std::unique_ptr<StreamDecoder> decoder;

  // The tailer's bookkeeping.
  bool eof = false;
  bool matched = true;          // a source pattern matches it (else it is draining: rotated away)
  bool failed = false;          // a read error was reported; not read again
  TailFile* copy_of = nullptr;  // a copy of this live file (copytruncate in progress): wait
  bool fresh = false;           // new, not read yet: is it a copy of data already read? (decided lazily)
  uint64_t last_size = 0;
  Clock::time_point last_data = Clock::now();

 private:
  TailFile(int fd, std::string path, FileKind kind);
  long raw_read(char* p, size_t n);
  void split(ReadBuffer& rb, size_t start, size_t end, size_t max_line_bytes);
  void remember_tail(const char* p, size_t n);
  void extend_head(const char* p, size_t n);  // bytes read at read_pos_

  int fd_;
  std::string path_;
  FileKind kind_;
  FileIdentity id_;
  std::unique_ptr<io::ByteSource> source_;  // compressed files and stdin
  uint64_t offset_ = 0, read_pos_ = 0, line_ = 0;
  bool line_known_ = true;
  uint64_t skip_ = 0;  // compressed: decompressed bytes still to drop before offset_
  std::string partial_;
  bool skipping_ = false;  // inside a line longer than the limit
  uint64_t long_offset_ = 0, long_total_ = 0;
  std::string long_prefix_;
  std::string tail_;  // the bytes just before offset_
  std::string ack_partition_;
  uint64_t ack_base_ = 0;
  void new_ack_partition();
};

}  // namespace sp::ingest
