#include "ingest/checkpoint.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "json/writer.h"

namespace sp::ingest {
namespace {

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void write_all(int fd, const std::string& text, const std::string& name) {
  const char* p = text.data();
  size_t n = text.size();
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(name + ": write error: " + errno_text(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

Checkpoint::Checkpoint(std::string path) : path_(std::move(path)) {
  if (path_.rfind("file://", 0) == 0) path_ = path_.substr(7);
}

Checkpoint::~Checkpoint() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::vector<CheckpointEntry> Checkpoint::load() {
  std::vector<CheckpointEntry> entries;
  if (path_.empty()) return entries;
  if (lock_fd_ < 0) {
    std::string lock = path_ + ".lock";
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) throw Error(lock + ": cannot create the checkpoint lock: " + errno_text(errno));
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
      throw Error(path_ + ": checkpoint is in use by another process (" + lock + " is locked)");
  }
  simdjson::padded_string text;
  auto err = simdjson::padded_string::load(path_).get(text);
  if (err) {
    if (access(path_.c_str(), F_OK) != 0 && errno == ENOENT) return entries;
    throw Error(path_ + ": cannot read the checkpoint: " + simdjson::error_message(err));
  }
  auto bad = [&](const std::string& why) {
    return Error(path_ + ": not a valid checkpoint file (" + why + "); move it away to start over");
  };
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc)) throw bad("not JSON");
  int64_t version;
  if (doc["version"].get_int64().get(version) || version != 1) throw bad("unknown version");
  simdjson::dom::array files;
  if (doc["files"].get_array().get(files)) throw bad("no \"files\" array");
  for (simdjson::dom::element f : files) {
    CheckpointEntry e;
    std::string_view path, head, tail;
    uint64_t head_len = 0, tail_len = 0;
    if (f["path"].get_string().get(path) || f["dev"].get_uint64().get(e.id.dev) ||
        f["ino"].get_uint64().get(e.id.ino) || f["offset"].get_uint64().get(e.offset) ||
        f["head_len"].get_uint64().get(head_len) || f["head"].get_string().get(head) ||
        f["tail_len"].get_uint64().get(tail_len) || f["tail"].get_string().get(tail) ||
        !parse_hex64(head, e.id.head.hash) || !parse_hex64(tail, e.tail.hash) || head_len > kFingerprintBytes ||
        tail_len > kFingerprintBytes)
      throw bad("malformed entry");
    if (f["line"].get_uint64().get(e.line)) e.line = 0;
    e.path = std::string(path);
    e.id.head.length = static_cast<uint32_t>(head_len);
    e.tail.length = static_cast<uint32_t>(tail_len);
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string Checkpoint::serialize(const std::vector<CheckpointEntry>& entries) {
  std::string out = "{\"version\":1,\"files\":[";
  bool first = true;
  for (const auto& e : entries) {
    if (!first) out += ',';
    first = false;
    out += "\n";
    json::ObjectWriter w(out);
    w.str("path", e.path)
        .uinteger("dev", e.id.dev)
        .uinteger("ino", e.id.ino)
        .uinteger("head_len", e.id.head.length)
        .str("head", hex64(e.id.head.hash))
        .uinteger("tail_len", e.tail.length)
        .str("tail", hex64(e.tail.hash))
        .uinteger("offset", e.offset)
        .uinteger("line", e.line);
    w.close();
  }
  out += "]}\n";
  return out;
}

void Checkpoint::save(const std::vector<CheckpointEntry>& entries) {
  if (path_.empty()) return;
  std::string text = serialize(entries);
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(tmp + ": cannot write the checkpoint: " + errno_text(errno));
  try {
    write_all(fd, text, tmp);
    if (fsync(fd) != 0) throw Error(tmp + ": fsync: " + errno_text(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) throw Error(tmp + ": close: " + errno_text(errno));
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    throw Error(path_ + ": cannot replace the checkpoint: " + errno_text(errno));
  // The rename is durable only once the directory is.
  int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace sp::ingest
