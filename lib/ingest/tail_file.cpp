#include "ingest/tail_file.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "io/error.h"

namespace sp::ingest {
namespace {
constexpr size_t kPrefixBytes = 256;  // kept of an overlong line for the report
}

ReadBuffer::ReadBuffer(size_t chunk) : chunk_(chunk) { reserve(chunk + chunk / 2); }

void ReadBuffer::reserve(size_t n) {
  // Keep the buffer unless it is too small, or much larger than needed again (one long line
  // made it grow): no allocation per read.
  if (n <= cap_ && !(cap_ > 4 * chunk_ && n <= chunk_ + chunk_ / 2)) return;
  cap_ = n <= cap_ ? chunk_ + chunk_ / 2 : n + chunk_ / 2;
  std::vector<char>(cap_ + simdjson::SIMDJSON_PADDING).swap(buf_);
}

TailFile::TailFile(int fd, std::string path, FileKind kind) : fd_(fd), path_(std::move(path)), kind_(kind) {
  new_ack_partition();
}

TailFile::~TailFile() {
  source_.reset();
  if (kind_ != FileKind::kStream && fd_ >= 0) ::close(fd_);
}

std::unique_ptr<TailFile> TailFile::open(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = path + ": " + errno_text(errno);
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + (S_ISDIR(st.st_mode) ? ": is a directory" : ": not a regular file");
    ::close(fd);
    return nullptr;
  }
  unsigned char magic[4] = {};
  ssize_t m = ::pread(fd, magic, sizeof magic, 0);
  bool zstd = m == 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD;
  bool gzip = m >= 2 && magic[0] == 0x1F && magic[1] == 0x8B;
  auto f = std::unique_ptr<TailFile>(new TailFile(fd, path, zstd || gzip ? FileKind::kCompressed : FileKind::kPlain));
  f->id_.dev = static_cast<uint64_t>(st.st_dev);
  f->id_.ino = static_cast<uint64_t>(st.st_ino);
  f->last_size = static_cast<uint64_t>(st.st_size);
  if (!head_fingerprint(fd, static_cast<uint64_t>(st.st_size), f->id_.head)) f->id_.head = {};
  if (f->kind_ == FileKind::kCompressed) f->reopen_compressed();
  return f;
}

std::unique_ptr<TailFile> TailFile::open_stdin() {
  return std::unique_ptr<TailFile>(new TailFile(0, "-", FileKind::kStream));
}

void TailFile::set_path(const std::string& p) {
  path_ = p;
  if (decoder) decoder->set_source(p);
}

void TailFile::reopen_compressed() {
  source_.reset();
  if (::lseek(fd_, 0, SEEK_SET) != 0) throw Error(path_ + ": cannot seek: " + errno_text(errno));
  source_ = io::fd_source(fd_, path_, false);
  partial_.clear();
  skipping_ = false;
  skip_ = offset_;
  read_pos_ = 0;
}

void TailFile::new_ack_partition() {
  static std::atomic<uint64_t> serial{0};
  ack_partition_ = "f" + std::to_string(++serial);
}

void TailFile::start_at(uint64_t offset, uint64_t line, bool line_known) {
  new_ack_partition();
  ack_base_ = offset;
  offset_ = read_pos_ = offset;
  line_ = line;
  line_known_ = line_known;
  partial_.clear();
  skipping_ = false;
  tail_.clear();
  eof = false;
  if (kind_ == FileKind::kCompressed) {
    reopen_compressed();
  } else if (kind_ == FileKind::kPlain) {
    // The content read from here on is the file as it is now, which need not be what it held
    // when it was opened (a new file replaced in place while its decision waited): a head
    // fingerprint taken then would describe other content, and a restart would take the file
    // for new content and read it again.
    struct stat st;
    if (fstat(fd_, &st) == 0 && !head_fingerprint(fd_, static_cast<uint64_t>(st.st_size), id_.head)) id_.head = {};
  }
  if (kind_ == FileKind::kPlain && offset > 0 && decoder) decoder->read_header(fd_);
  if (kind_ == FileKind::kPlain && offset > 0) {
    size_t n = offset < kFingerprintBytes ? static_cast<size_t>(offset) : kFingerprintBytes;
    tail_.resize(n);
    ssize_t r = ::pread(fd_, tail_.data(), n, static_cast<off_t>(offset - n));
    if (r != static_cast<ssize_t>(n)) tail_.clear();
  }
}

void TailFile::restart() { start_at(0, 0, true); }

Fingerprint TailFile::tail_fingerprint() const {
  uint64_t pos = position();
  if (pos == offset_) return fingerprint_of(tail_);
  Fingerprint fp;
  if (kind_ == FileKind::kPlain && pos > 0) {
    size_t n = pos < kFingerprintBytes ? static_cast<size_t>(pos) : kFingerprintBytes;
    if (fingerprint_at(fd_, pos - n, n, fp)) return fp;
  }
  return {};
}

long TailFile::raw_read(char* p, size_t n) {
  if (kind_ == FileKind::kPlain) {
    ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(read_pos_));
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) return -1;
      throw Error(path_ + ": read error: " + errno_text(errno));
    }
    return r;
  }
  if (!source_) source_ = io::fd_source(fd_, "stdin", false);
  return source_->read(p, n);
}

void TailFile::remember_tail(const char* p, size_t n) {
  if (n >= kFingerprintBytes) {
    tail_.assign(p + n - kFingerprintBytes, kFingerprintBytes);
    return;
  }
  tail_.append(p, n);
  if (tail_.size() > kFingerprintBytes) tail_.erase(0, tail_.size() - kFingerprintBytes);
}

size_t TailFile::read(ReadBuffer& rb, size_t budget, size_t max_line) {
  size_t total = 0;
  while (total < budget) {
    size_t keep = skipping_ ? 0 : partial_.size();
    rb.reserve(keep + rb.chunk());
    char* base = rb.data();
    if (keep) memcpy(base, partial_.data(), keep);
    long n = raw_read(base + keep, rb.capacity() - keep);
    if (n < 0) break;  // interrupted: the caller comes back
    if (n == 0) {
      eof = true;
      break;
    }
    eof = false;
    total += static_cast<size_t>(n);
    if (kind_ == FileKind::kPlain) extend_head(base + keep, static_cast<size_t>(n));
    read_pos_ += static_cast<uint64_t>(n);
    size_t start = 0;
    if (skip_ > 0) {  // compressed, resuming: drop what was read before
      size_t k = skip_ < static_cast<uint64_t>(n) ? static_cast<size_t>(skip_) : static_cast<size_t>(n);
      skip_ -= k;
      start = k;
    }
    split(rb, start, keep + static_cast<size_t>(n), max_line);
    if (kind_ == FileKind::kStream) break;  // one read per readiness: the next one could block
  }
  return total;
}

// A head fingerprint shorter than the bytes read (the file was empty or short when reading
// started) is extended with the bytes read, so that a checkpoint taken before the next look at
// the file describes the content its position is in.
void TailFile::extend_head(const char* p, size_t n) {
  uint64_t have = id_.head.length;
  if (have >= kFingerprintBytes || read_pos_ > have || read_pos_ + n <= have) return;
  size_t skip = static_cast<size_t>(have - read_pos_);
  size_t add = std::min(n - skip, kFingerprintBytes - static_cast<size_t>(have));
  id_.head.hash = hash_bytes(p + skip, add, have == 0 ? kHashStart : id_.head.hash);
  id_.head.length += static_cast<uint32_t>(add);
}

void TailFile::split(ReadBuffer& rb, size_t start, size_t end, size_t max_line) {
  char* base = rb.data();
  size_t pos = start;
  if (skipping_) {
    const char* nl = static_cast<const char*>(memchr(base + pos, '\n', end - pos));
    if (!nl) {
      long_total_ += end - pos;
      return;
    }
    size_t k = static_cast<size_t>(nl - (base + pos));
    long_total_ += k;
    offset_ = long_offset_ + long_total_ + 1;
    ++line_;
    skipping_ = false;
    decoder->too_long(long_prefix_, long_offset_, offset_, line_known_ ? line_ : 0, long_total_);
    pos += k + 1;
    tail_.clear();
    start = pos;
  }
  size_t cap = rb.padded_size();
  while (pos < end) {
    const char* nl = static_cast<const char*>(memchr(base + pos, '\n', end - pos));
    if (!nl) break;
    size_t len = static_cast<size_t>(nl - (base + pos));
    uint64_t line_offset = offset_;
    offset_ += len + 1;
    ++line_;
    size_t l = len;
    if (l && base[pos + l - 1] == '\r') --l;
    if (l > max_line)
      decoder->too_long({base + pos, l < kPrefixBytes ? l : kPrefixBytes}, line_offset, offset_, line_known_ ? line_ : 0, l);
    else
      decoder->line(base + pos, l, cap - pos, line_offset, offset_, line_known_ ? line_ : 0);
    pos += len + 1;
  }
  if (pos > start) remember_tail(base + start, pos - start);
  size_t left = end - pos;
  if (left > max_line) {
    skipping_ = true;
    long_offset_ = offset_;
    long_total_ = left;
    long_prefix_.assign(base + pos, left < kPrefixBytes ? left : kPrefixBytes);
    partial_.clear();
  } else {
    partial_.assign(base + pos, left);
  }
}

void TailFile::flush_partial() {
  if (skipping_) {
    skipping_ = false;
    offset_ = long_offset_ + long_total_;
    ++line_;
    decoder->too_long(long_prefix_, long_offset_, offset_, line_known_ ? line_ : 0, long_total_);
    tail_.clear();
    return;
  }
  if (partial_.empty()) return;
  uint64_t line_offset = offset_;
  offset_ += partial_.size();
  ++line_;
  size_t l = partial_.size();
  if (partial_[l - 1] == '\r') --l;
  remember_tail(partial_.data(), partial_.size());
  partial_.reserve(partial_.size() + simdjson::SIMDJSON_PADDING);
  decoder->line(partial_.data(), l, partial_.capacity(), line_offset, offset_, line_known_ ? line_ : 0);
  partial_.clear();
}

void TailFile::drop_partial() {
  partial_.clear();
  skipping_ = false;
}

}  // namespace sp::ingest
