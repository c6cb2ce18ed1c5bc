#include "io/source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "io/error.h"

namespace sp::io {
namespace {

class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  // Bytes read ahead to sniff the format are handed out first.
  void unread(const char* p, size_t n) { pushback_.assign(p, p + n); }
  long read(char* buf, size_t n) override {
    if (pos_ < pushback_.size()) {
      size_t k = std::min(n, pushback_.size() - pos_);
      memcpy(buf, pushback_.data() + pos_, k);
      pos_ += k;
      return static_cast<long>(k);
    }
    ssize_t r = ::read(fd_, buf, n);
    if (r < 0) {
      if (errno == EINTR) return -1;
      throw Error(name_ + ": read error: " + errno_text(errno));
    }
    return r;
  }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
  bool owned_;
  std::vector<char> pushback_;
  size_t pos_ = 0;
};

class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<ByteSource> in) : in_(std::move(in)), inbuf_(ZSTD_DStreamInSize()) {
    ds_ = ZSTD_createDStream();
    ZSTD_initDStream(ds_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  long read(char* buf, size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos == 0) {
      if (input_.pos == input_.size) {
        if (eof_) {
          if (!frame_done_) throw Error(in_->name() + ": truncated zstd data");
          return 0;
        }
        long r = in_->read(inbuf_.data(), inbuf_.size());
        if (r < 0) return -1;
        if (r == 0) { eof_ = true; continue; }
        input_ = {inbuf_.data(), static_cast<size_t>(r), 0};
      }
      size_t ret = ZSTD_decompressStream(ds_, &out, &input_);
      if (ZSTD_isError(ret))
        throw Error(in_->name() + ": zstd: " + ZSTD_getErrorName(ret));
      frame_done_ = ret == 0;
    }
    return static_cast<long>(out.pos);
  }
  const std::string& name() const override { return in_->name(); }

 private:
  std::unique_ptr<ByteSource> in_;
  std::vector<char> inbuf_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool eof_ = false;
  bool frame_done_ = true;
};

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> in) : in_(std::move(in)), inbuf_(1 << 16) {
    memset(&zs_, 0, sizeof zs_);
    inflateInit2(&zs_, 15 + 32);  // gzip or zlib header
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  long read(char* buf, size_t n) override {
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    while (zs_.avail_out == std::min<size_t>(n, 1u << 30)) {
      if (zs_.avail_in == 0) {
        if (eof_) {
          if (!stream_end_) throw Error(in_->name() + ": truncated gzip data");
          return 0;
        }
        long r = in_->read(inbuf_.data(), inbuf_.size());
        if (r < 0) return -1;
        if (r == 0) { eof_ = true; continue; }
        zs_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
        zs_.avail_in = static_cast<uInt>(r);
      }
      if (stream_end_) {
        // Concatenated gzip members (as `cat a.gz b.gz` makes) continue.
        inflateReset(&zs_);
        stream_end_ = false;
      }
      int ret = inflate(&zs_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) stream_end_ = true;
      else if (ret != Z_OK && ret != Z_BUF_ERROR)
        throw Error(in_->name() + ": gzip: " + (zs_.msg ? zs_.msg : "corrupt data"));
    }
    return static_cast<long>(std::min<size_t>(n, 1u << 30) - zs_.avail_out);
  }
  const std::string& name() const override { return in_->name(); }

 private:
  std::unique_ptr<ByteSource> in_;
  std::vector<char> inbuf_;
  z_stream zs_;
  bool eof_ = false;
  bool stream_end_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> fd_source(int fd, std::string name, bool owned) {
  auto src = std::make_unique<FdSource>(fd, std::move(name), owned);
  // Sniff the first 4 bytes (a short read at the start of a pipe is fine: keep reading).
  char magic[4];
  size_t got = 0;
  static const unsigned char kZstd[4] = {0x28, 0xB5, 0x2F, 0xFD};
  static const unsigned char kGzip[2] = {0x1F, 0x8B};
  // A zstd skippable frame (0x184D2A50..5F, as pzstd writes first) also starts zstd data.
  auto skippable_prefix = [&](size_t k) {
    static const unsigned char kTail[3] = {0x2A, 0x4D, 0x18};
    return k == 0 || ((static_cast<unsigned char>(magic[0]) & 0xF0) == 0x50 && memcmp(magic + 1, kTail, k - 1) == 0);
  };
  // Keep reading only while what we have could still be a magic number, so that a live stream
  // whose first record is shorter than 4 bytes is not held up.
  auto could_be_magic = [&] {
    return memcmp(magic, kZstd, std::min<size_t>(got, 4)) == 0 || memcmp(magic, kGzip, std::min<size_t>(got, 2)) == 0 ||
           skippable_prefix(got);
  };
  while (got < sizeof magic && (got == 0 || could_be_magic())) {
    long r = src->read(magic + got, sizeof magic - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  src->unread(magic, got);
  if (got == 4 && (memcmp(magic, kZstd, 4) == 0 || skippable_prefix(4))) return std::make_unique<ZstdSource>(std::move(src));
  if (got >= 2 && static_cast<unsigned char>(magic[0]) == 0x1F && static_cast<unsigned char>(magic[1]) == 0x8B)
    return std::make_unique<GzipSource>(std::move(src));
  return src;
}

std::unique_ptr<ByteSource> open_source(const std::string& path) {
  if (path == "-") return fd_source(0, "stdin", false);
  std::string p = path;
  if (p.rfind("file://", 0) == 0) p = p.substr(7);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(p + ": " + errno_text(errno));
  return fd_source(fd, p, true);
}

}  // namespace sp::io
