#include "ack/ack.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <vector>

#include "io/error.h"

namespace sp::ack {
namespace {

// The first line a sink sends: it tells a reporting sp-sink from a probe (another sp-ingest
// checking whether the socket is in use).
constexpr std::string_view kHello = "#sp-sink";

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path)
    throw UsageError("--ack " + path + ": a socket path must be 1 to " + std::to_string(sizeof a.sun_path - 1) +
                     " bytes long");
  memcpy(a.sun_path, path.data(), path.size());
  return a;
}

}  // namespace

void append_position(std::string& out, std::string_view partition, uint64_t offset) {
  out.append(partition.data(), partition.size());
  out += '@';
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, offset);
  out.append(buf, r.ptr);
}

bool parse_position(std::string_view text, std::string_view& partition, uint64_t& offset) {
  size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return false;
  auto r = std::from_chars(text.data() + at + 1, text.data() + text.size(), offset);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
  partition = text.substr(0, at);
  return true;
}

void for_each_position(std::string_view v, const std::function<void(std::string_view, uint64_t)>& fn) {
  // Positions are plain strings (no escapes): every quoted run is one.
  size_t i = 0;
  while ((i = v.find('"', i)) != std::string_view::npos) {
    size_t end = v.find('"', i + 1);
    if (end == std::string_view::npos) return;
    std::string_view partition;
    uint64_t offset;
    if (parse_position(v.substr(i + 1, end - i - 1), partition, offset)) fn(partition, offset);
    i = end + 1;
  }
}

// ---- AckServer

AckServer::AckServer(std::string path) : path_(std::move(path)) {
  sockaddr_un a = address_of(path_);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error("--ack " + path_ + ": " + strerror(errno));
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno == EADDRINUSE) {
    // A socket file is there: in use by a live sp-ingest, or left by one that was killed.
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      ::close(listen_fd_);
      throw Error("--ack " + path_ + ": another process is listening on this socket");
    }
    ::unlink(path_.c_str());
    rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    std::string why = strerror(errno);
    ::close(listen_fd_);
    throw Error("--ack " + path_ + ": cannot listen: " + why);
  }
  // Whoever can connect can acknowledge (and so commit) positions: only our user, before
  // listen() lets anyone in.
  if (::chmod(path_.c_str(), 0600) != 0 || ::listen(listen_fd_, 8) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    std::string why = strerror(errno);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    throw Error("--ack " + path_ + ": cannot listen: " + why);
  }
  thread_ = std::thread([this] { serve(); });
}

AckServer::~AckServer() {
  if (wake_[1] >= 0) {
    char c = 0;
    (void)!::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
  ::unlink(path_.c_str());
}

void AckServer::serve() {
  struct Conn {
    int fd;
    std::string partial;
    bool sink = false;  // it said hello: a reporting sp-sink, not a probe
  };
  std::vector<Conn> conns;
  std::vector<pollfd> fds;
  char buf[65536];
  while (true) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) conns.push_back({fd, {}, false});
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Conn& c = conns[i - 2];
      ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        ::close(c.fd);
        c.fd = -1;
        if (c.sink) {
          std::lock_guard<std::mutex> lk(mu_);
          --connections_;
          changed_.notify_all();
        }
        continue;
      }
      c.partial.append(buf, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = c.partial.find('\n', start)) != std::string::npos) {
        std::string_view line = std::string_view(c.partial).substr(start, nl - start);
        if (!c.sink && line.rfind(kHello, 0) == 0) {
          c.sink = true;
          std::lock_guard<std::mutex> lk(mu_);
          ++connections_;
          ++ever_;
          changed_.notify_all();
        } else {
          take_line(line);
        }
        start = nl + 1;
      }
      c.partial.erase(0, start);
      if (c.partial.size() > (1u << 20)) c.partial.clear();  // not our protocol: no newline in 1 MiB
    }
    std::erase_if(conns, [](const Conn& c) { return c.fd < 0; });
  }
  for (auto& c : conns) ::close(c.fd);
}

void AckServer::take_line(std::string_view line) {
  std::string_view partition;
  uint64_t offset;
  std::lock_guard<std::mutex> lk(mu_);
  if (!parse_position(line, partition, offset)) {
    ++malformed_;
    return;
  }
  auto it = acked_.find(std::string(partition));
  if (it == acked_.end()) acked_.emplace(std::string(partition), offset);
  else if (offset > it->second) it->second = offset;
  changed_.notify_all();
}

bool AckServer::acked(const std::string& partition, uint64_t& offset) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = acked_.find(partition);
  if (it == acked_.end()) return false;
  offset = it->second;
  return true;
}

std::map<std::string, uint64_t> AckServer::snapshot() const {
  std::lock_guard<std::mutex> lk(mu_);
  return acked_;
}

bool AckServer::ever_connected() const {
  std::lock_guard<std::mutex> lk(mu_);
  return ever_ > 0;
}

bool AckServer::covered(const std::map<std::string, uint64_t>& needed) const {
  for (const auto& [p, off] : needed) {
    auto it = acked_.find(p);
    if (it == acked_.end() || it->second < off) return false;
  }
  return true;
}

bool AckServer::wait_for(const std::map<std::string, uint64_t>& needed, double timeout) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                          std::chrono::duration<double>(timeout));
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    if (covered(needed)) return true;
    if (ever_ > 0 && connections_ == 0) return false;  // the sink ended
    if (changed_.wait_until(lk, deadline) == std::cv_status::timeout) return covered(needed);
  }
}

// ---- AckClient

AckClient::AckClient(std::string path, std::function<void(const std::string&)> warn)
    : path_(std::move(path)), warn_(std::move(warn)) {
  address_of(path_);  // a bad path is a usage error at the start
  // Connected from the start, so that sp-ingest knows when the sink ends even if no record
  // ever reaches it.
  connect_now();
}

AckClient::~AckClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool AckClient::connect_now() {
  if (fd_ >= 0) return true;
  sockaddr_un a = address_of(path_);
  // sp-ingest starts with the pipeline: give it a moment to listen.
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string hello = std::string(kHello) + " " + std::to_string(getpid()) + "\n";
      if (::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size())) {
        fd_ = fd;
        warned_ = false;
        return true;
      }
    }
    int err = errno;
    ::close(fd);
    if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN) break;
    usleep(100000);
  }
  if (!warned_ && warn_) warn_("--ack " + path_ + ": no sp-ingest --ack listens there; positions are not reported");
  warned_ = true;
  return false;
}

void AckClient::durable(std::string_view metas) {
  batch_.clear();
  size_t start = 0;
  while (start < metas.size()) {
    size_t nl = metas.find('\n', start);
    if (nl == std::string_view::npos) nl = metas.size();
    for_each_position(metas.substr(start, nl - start), [&](std::string_view p, uint64_t off) {
      auto it = batch_.find(p);
      if (it == batch_.end()) batch_.emplace(std::string(p), off);
      else if (off > it->second) it->second = off;
    });
    start = nl + 1;
  }
  if (batch_.empty() || !connect_now()) return;
  out_.clear();
  for (const auto& [p, off] : batch_) {
    append_position(out_, p, off);
    out_ += '\n';
  }
  size_t done = 0;
  while (done < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // sp-ingest went away: this report is lost (the records will be read again).
      ::close(fd_);
      fd_ = -1;
      return;
    }
    done += static_cast<size_t>(n);
  }
  sent_ += batch_.size();
}

}  // namespace sp::ack
