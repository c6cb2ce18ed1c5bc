// Waiting for files to change: inotify on the directories of the watched files (creations,
// renames, deletions, writes), with a timeout so that the caller also polls — the fallback
// where inotify is unavailable or blind (network file systems, --no-inotify).
#pragma once
#include <set>
#include <string>

namespace sp::ingest {

class Watcher {
 public:
  explicit Watcher(bool use_inotify);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  bool active() const { return fd_ >= 0; }
  // Watches a directory (idempotent; a missing directory is retried by the next call).
  void watch_directory(const std::string& dir);
  // Also wake up when this descriptor is readable (stdin).
  void watch_fd(int fd) { extra_fd_ = fd; }

  struct Events {
    bool changed = false;  // a file was created, renamed or deleted: rescan
    bool written = false;  // a file was written
    bool readable = false;  // the extra descriptor is readable
  };
  // Waits up to `timeout_s` (0: just collect what is pending).
  Events wait(double timeout_s);

 private:
  int fd_ = -1;
  int extra_fd_ = -1;
  std::set<std::string> dirs_;
  std::set<int> wds_;
};

}  // namespace sp::ingest
