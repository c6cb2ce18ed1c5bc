#include "io/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/error.h"

namespace sp::io {

namespace {
constexpr size_t kBufferBytes = 256 * 1024;

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

std::unique_ptr<Output> Output::open(const std::string& path, OutputOptions opts) {
  if (path == "-" || path.empty()) return std::unique_ptr<Output>(new Output(1, "stdout", false, opts));
  std::string p = path.rfind("file://", 0) == 0 ? path.substr(7) : path;
  if (ends_with(p, ".zst") && opts.compression == Compression::kNone) opts.compression = Compression::kZstd;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (opts.append ? O_APPEND : O_TRUNC);
  int fd = ::open(p.c_str(), flags, opts.mode);
  if (fd < 0) throw Error(p + ": cannot open for writing: " + errno_text(errno));
  return std::unique_ptr<Output>(new Output(fd, p, true, opts));
}

Output::Output(int fd, std::string name, bool owned, OutputOptions opts)
    : fd_(fd), name_(std::move(name)), owned_(owned), opts_(opts) {
  buf_.reserve(kBufferBytes);
  if (opts_.compression == Compression::kZstd) {
    zs_ = ZSTD_createCStream();
    ZSTD_CCtx_setParameter(zs_, ZSTD_c_compressionLevel, opts_.zstd_level);
    zbuf_.resize(ZSTD_CStreamOutSize());
  }
}

Output::~Output() {
  try {
    close();
  } catch (...) {
    // Destructors must not throw; callers that care call close() themselves.
  }
  if (zs_) ZSTD_freeCStream(zs_);
}

void Output::make_room(size_t n) {
  if (!buf_.empty()) {
    if (zs_) compress(ZSTD_e_continue);
    else write_raw(buf_.data(), buf_.size());
    bytes_ += buf_.size();
    buf_.clear();
  }
  if (n > buf_.capacity()) buf_.reserve(n);
}

void Output::write_raw(const char* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe();
      throw Error(name_ + ": write error: " + errno_text(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void Output::compress(ZSTD_EndDirective mode) {
  ZSTD_inBuffer in{buf_.data(), buf_.size(), 0};
  while (true) {
    ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
    size_t left = ZSTD_compressStream2(zs_, &out, &in, mode);
    if (ZSTD_isError(left)) throw Error(name_ + ": zstd: " + ZSTD_getErrorName(left));
    if (out.pos) write_raw(zbuf_.data(), out.pos);
    if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) break;
  }
}

void Output::flush() {
  if (closed_) return;
  if (zs_) {
    if (buf_.empty()) return;
    compress(ZSTD_e_flush);
  } else if (!buf_.empty()) {
    write_raw(buf_.data(), buf_.size());
  }
  bytes_ += buf_.size();
  buf_.clear();
}

void Output::sync() {
  flush();
  if (closed_) return;
  if (fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) throw Error(name_ + ": fsync: " + errno_text(errno));
}

void Output::close() {
  if (closed_) return;
  // Whatever fails below, the descriptor is released once: a second close() (the destructor's)
  // must neither retry the failed write nor leak the file.
  closed_ = true;
  try {
    if (zs_) {
      compress(ZSTD_e_end);
      bytes_ += buf_.size();
      buf_.clear();
    } else if (!buf_.empty()) {
      write_raw(buf_.data(), buf_.size());
      bytes_ += buf_.size();
      buf_.clear();
    }
    if (opts_.sync_on_close && fsync(fd_) != 0 && errno != EINVAL && errno != EROFS)
      throw Error(name_ + ": fsync: " + errno_text(errno));
  } catch (...) {
    if (owned_) {
      ::close(fd_);
      fd_ = -1;
    }
    throw;
  }
  if (owned_) {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw Error(name_ + ": close: " + errno_text(errno));
  }
}

}  // namespace sp::io
