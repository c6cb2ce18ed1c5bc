#include "ingest/watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

namespace sp::ingest {

Watcher::Watcher(bool use_inotify) {
  if (use_inotify) fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

Watcher::~Watcher() {
  if (fd_ >= 0) ::close(fd_);
}

void Watcher::watch_directory(const std::string& dir) {
  if (fd_ < 0 || dirs_.count(dir)) return;
  int wd = inotify_add_watch(fd_, dir.c_str(),
                             IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_ATTRIB |
                                 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
  if (wd < 0) return;  // missing or not ours to watch: polling covers it
  dirs_.insert(dir);
  wds_.insert(wd);
}

Watcher::Events Watcher::wait(double timeout_s) {
  Events ev;
  pollfd fds[2];
  int n = 0;
  if (fd_ >= 0) fds[n++] = {fd_, POLLIN, 0};
  int extra = -1;
  if (extra_fd_ >= 0) {
    extra = n;
    fds[n++] = {extra_fd_, POLLIN, 0};
  }
  int ms = timeout_s <= 0 ? 0 : static_cast<int>(std::ceil(timeout_s * 1000));
  int r = n ? ::poll(fds, static_cast<nfds_t>(n), ms) : ::poll(nullptr, 0, ms);
  if (r <= 0) return ev;  // timeout, or interrupted (the caller checks its stop flag)
  if (extra >= 0 && (fds[extra].revents & (POLLIN | POLLHUP | POLLERR))) ev.readable = true;
  if (fd_ >= 0 && (fds[0].revents & POLLIN)) {
    alignas(inotify_event) char buf[16384];
    while (true) {
      ssize_t len = ::read(fd_, buf, sizeof buf);
      if (len <= 0) break;
      for (char* p = buf; p < buf + len;) {
        auto* e = reinterpret_cast<inotify_event*>(p);
        if (e->mask & IN_MODIFY) ev.written = true;
        if (e->mask & ~IN_MODIFY) ev.changed = true;
        if (e->mask & IN_IGNORED) {
          // The directory went away; forget it so that a new one is watched again.
          wds_.erase(e->wd);
          dirs_.clear();
        }
        p += sizeof(inotify_event) + e->len;
      }
    }
  }
  return ev;
}

}  // namespace sp::ingest
