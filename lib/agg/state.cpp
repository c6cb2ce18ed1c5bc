#include "agg/state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "agg/sketch.h"
#include "io/error.h"

namespace sp::agg {

namespace {
constexpr std::string_view kMagic = "sp-agg state 1\n";
}

void StateWriter::header(const std::string& signature, int64_t watermark, int64_t max_time) {
  data_.assign(kMagic);
  put_bytes(data_, signature);
  put_u64(data_, static_cast<uint64_t>(watermark));
  put_u64(data_, static_cast<uint64_t>(max_time));
}

void StateWriter::pane(std::string_view bytes) { put_bytes(data_, bytes); }

void StateWriter::commit() {
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("--state: cannot write " + tmp + ": " + errno_text(errno));
  size_t off = 0;
  while (off < data_.size()) {
    ssize_t w = ::write(fd, data_.data() + off, data_.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      ::close(fd);
      throw Error("--state: cannot write " + tmp + ": " + errno_text(e));
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw Error("--state: cannot write " + tmp + ": " + errno_text(errno));
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    throw Error("--state: cannot rename " + tmp + " to " + path_ + ": " + errno_text(errno));
}

void StateWriter::remove(const std::string& path) { ::unlink(path.c_str()); }

StateReader::StateReader(const std::string& path) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) throw Error("--state: cannot read " + path + ": " + errno_text(errno));
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  data_ = ss.str();
  exists_ = true;
}

void StateReader::corrupt() const { throw Error("--state: " + path_ + " is damaged (remove it to start afresh)"); }

void StateReader::header(const std::string& signature, int64_t& watermark, int64_t& max_time) {
  if (data_.compare(0, kMagic.size(), kMagic) != 0) corrupt();
  pos_ = kMagic.size();
  std::string sig;
  uint64_t wm, mt;
  if (!get_bytes(data_, pos_, sig) || !get_u64(data_, pos_, wm) || !get_u64(data_, pos_, mt)) corrupt();
  if (sig != signature)
    throw UsageError("--state: " + path_ + " was saved by another query (window, time, groups or aggregates "
                     "differ); remove it or use another file");
  watermark = static_cast<int64_t>(wm);
  max_time = static_cast<int64_t>(mt);
}

bool StateReader::pane(std::string_view& bytes) {
  if (pos_ >= data_.size()) return false;
  uint64_t n;
  if (!get_u64(data_, pos_, n) || n > data_.size() - pos_) corrupt();
  bytes = std::string_view(data_).substr(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace sp::agg
