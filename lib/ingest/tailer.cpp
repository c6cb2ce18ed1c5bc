#include "ingest/tailer.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include "io/error.h"
#include "io/stop.h"

namespace sp::ingest {
namespace {

constexpr size_t kReadBudget = 4u << 20;  // per file per round, so that one big file does not starve others
// With --ack, rounds are shorter: the checkpoint of acknowledged positions is written between
// rounds, and a round can wait long on a full pipe.
constexpr size_t kAckReadBudget = 256u << 10;
constexpr double kGhostLifetime = 60.0;   // how long a truncated file's old position waits for its copy

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The directory part of a pattern before its first wildcard: the one to watch.
std::string base_dir(const std::string& pattern) {
  size_t wild = pattern.find_first_of("*?[");
  std::string fixed = wild == std::string::npos ? pattern : pattern.substr(0, wild);
  return dir_of(fixed);
}

bool stdin_readable() {
  pollfd p{0, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

double seconds_since(Tailer::Clock::time_point t) {
  return std::chrono::duration<double>(Tailer::Clock::now() - t).count();
}

// Seconds since the file was last modified (wall clock).
double idle_seconds(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 1e9;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec - st.st_mtim.tv_sec) + (now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
}

// The start of the last line of a file that is not complete yet (or its size): where --from-end begins.
uint64_t end_of_last_line(int fd, uint64_t size) {
  char buf[65536];
  uint64_t pos = size;
  while (pos > 0) {
    size_t n = pos < sizeof buf ? static_cast<size_t>(pos) : sizeof buf;
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(pos - n));
    if (r != static_cast<ssize_t>(n)) return size;
    for (size_t i = n; i > 0; --i)
      if (buf[i - 1] == '\n') return pos - n + i;
    pos -= n;
  }
  return 0;
}

}  // namespace

Tailer::Tailer(const TailerOptions& opts, std::vector<std::string> sources, Checkpoint& checkpoint,
               Pipeline& pipeline, cli::Program& prog)
    : opts_(opts), checkpoint_(checkpoint), pipeline_(pipeline), prog_(prog), watcher_(opts.follow && opts.use_inotify) {
  for (auto& s : sources) {
    if (s == "-") {
      stdin_ = true;
      continue;
    }
    if (s.rfind("file://", 0) == 0) s = s.substr(7);
    patterns_.push_back({s, s.find_first_of("*?[") != std::string::npos, false});
  }
}

Tailer::~Tailer() = default;

TailFile* Tailer::tracked(uint64_t dev, uint64_t ino) {
  for (auto& f : files_)
    if (f->kind() != FileKind::kStream && f->identity().dev == dev && f->identity().ino == ino) return f.get();
  return nullptr;
}

void Tailer::failed(const std::string& what, TailFile* f) {
  if (f) f->failed = true;
  if (reported_.insert(what).second) prog_.input_failed(what);
}

std::vector<std::string> Tailer::expand(Pattern& p) {
  std::vector<std::string> out;
  if (!p.glob) {
    struct stat st;
    if (::stat(p.text.c_str(), &st) == 0) out.push_back(p.text);
    else if (!opts_.follow && errno == ENOENT) failed(p.text + ": " + errno_text(errno), nullptr);
    else if (errno != ENOENT) failed(p.text + ": " + errno_text(errno), nullptr);
    return out;
  }
  glob_t g{};
  int rc = ::glob(p.text.c_str(), 0, nullptr, &g);
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (out.empty() && !p.reported) {
    p.reported = true;
    if (opts_.follow) prog_.report().info(p.text + ": no files match yet; waiting for them");
    else prog_.report().warn(p.text + ": no files match");
  }
  return out;
}

std::unique_ptr<TailFile> Tailer::open_file(const std::string& path) {
  std::string error;
  auto f = TailFile::open(path, error);
  if (!f) {
    // A file that vanished between the directory scan and open() is not an error.
    if (error.find(errno_text(ENOENT)) == std::string::npos) failed(error, nullptr);
    return nullptr;
  }
  f->decoder = std::make_unique<StreamDecoder>(pipeline_, path, &f->identity(), &f->ack_partition());
  return f;
}

void Tailer::attach(std::unique_ptr<TailFile> f, bool front) {
  watcher_.watch_directory(dir_of(f->path()));
  if (front) files_.insert(files_.begin(), std::move(f));
  else files_.push_back(std::move(f));
}

bool Tailer::resume_from_entry(TailFile& f) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    const CheckpointEntry& e = entries_[i];
    if (e.id.dev != f.identity().dev || e.id.ino != f.identity().ino) continue;
    if (e.offset == 0) {
      // Nothing was read from it: the inode alone says nothing (a deleted empty file's inode is
      // soon reused, e.g. by a copytruncate copy), so the file is decided like a new one.
      entries_.erase(entries_.begin() + static_cast<long>(i));
      return false;
    }
    if (!fingerprint_matches(f.fd(), 0, e.id.head)) continue;
    if (f.kind() == FileKind::kPlain && e.offset > f.last_size) continue;  // shrank while we were away
    f.start_at(e.offset, e.line, e.offset == 0 || e.line > 0);
    if (e.id.head.length > f.identity().head.length) f.identity().head = e.id.head;
    entries_.erase(entries_.begin() + static_cast<long>(i));
    return true;
  }
  return false;
}

// The file still has a name (it was renamed, not deleted).
static bool linked(const TailFile& f) {
  struct stat st;
  return fstat(f.fd(), &st) == 0 && st.st_nlink > 0;
}

uint64_t current_size(const TailFile& f) {
  struct stat st;
  return fstat(f.fd(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

bool Tailer::is_copy_of(TailFile& f, const Fingerprint& head, const Fingerprint& tail, uint64_t offset) {
  if (f.kind() != FileKind::kPlain || offset == 0 || head.length == 0 || current_size(f) < offset) return false;
  if (tail.length == 0 && head.length < kFingerprintBytes) return false;  // too little to be sure
  return fingerprint_matches(f.fd(), 0, head) &&
         (tail.length == 0 || fingerprint_matches(f.fd(), offset - tail.length, tail));
}

bool Tailer::resume_from_ghost(TailFile& f) {
  for (size_t i = 0; i < ghosts_.size(); ++i) {
    Ghost& g = ghosts_[i];
    bool same_inode = g.offset > 0 && g.id.dev == f.identity().dev && g.id.ino == f.identity().ino &&
                      fingerprint_matches(f.fd(), 0, g.id.head) && f.last_size >= g.offset;
    if (same_inode || is_copy_of(f, g.id.head, g.tail, g.offset)) {
      prog_.report().info(f.path() + ": continuing at byte " + std::to_string(g.offset) + " (it holds the data of " +
                          g.path + ")");
      f.start_at(g.offset, g.line, g.line > 0);
      ghosts_.erase(ghosts_.begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

// A new file, before its first read: is it a copy of data already read? A copy made by
// copytruncate holds the live file's lines (wait for the truncation, then continue in the copy
// where the live file stopped); a copy of a truncated file continues at the old position. A
// file still being written that starts like one of those is decided once it is complete.
bool Tailer::decide_fresh(TailFile& f) {
  if (f.kind() != FileKind::kPlain || f.last_size == 0) {
    if (f.kind() != FileKind::kPlain) f.fresh = false;
    return !f.fresh;
  }
  bool maybe = false;
  for (size_t i = 0; i < ghosts_.size(); ++i) {
    Ghost& g = ghosts_[i];
    if (is_copy_of(f, g.id.head, g.tail, g.offset)) {
      prog_.report().info(f.path() + ": continuing at byte " + std::to_string(g.offset) + " (a copy of " + g.path + ")");
      f.fresh = false;
      f.start_at(g.offset, g.line, g.line > 0);
      ghosts_.erase(ghosts_.begin() + static_cast<long>(i));
      return true;
    }
    if (g.offset > f.last_size && g.id.head.length > 0 &&
        (f.last_size < g.id.head.length || fingerprint_matches(f.fd(), 0, g.id.head)))
      maybe = true;
  }
  for (auto& live : files_) {
    TailFile& l = *live;
    if (&l == &f || l.kind() != FileKind::kPlain || l.fresh || l.copy_of || l.identity().head.length == 0) continue;
    // Compare with what was read from the live file (its fingerprints), not with its bytes
    // now: it may have been truncated a moment ago.
    if (f.last_size < l.identity().head.length) {
      maybe = true;  // too short to tell yet
      continue;
    }
    if (!fingerprint_matches(f.fd(), 0, l.identity().head)) continue;
    if (is_copy_of(f, l.identity().head, l.tail_fingerprint(), l.position())) {
      prog_.report().info(f.path() + ": a copy of " + l.path() + "; read once that one is truncated or finished");
      f.fresh = false;
      f.copy_of = &l;
      return false;
    }
    if (f.last_size < l.position()) maybe = true;
  }
  if (maybe && opts_.follow && idle_seconds(f.fd()) < std::min(1.0, opts_.rotate_wait)) return false;  // being copied
  f.fresh = false;
  f.start_at(0, 0, true);
  return true;
}

// Looks in the directory of a position's file for where its data went: the file itself under
// another name (continue at the position; if its content was replaced, it is decided like a
// new file: returned fresh), and else the largest copy holding the bytes up to the position
// (logrotate's copy).
std::vector<std::unique_ptr<TailFile>> Tailer::find_in_directory(const Ghost& g) {
  std::vector<std::unique_ptr<TailFile>> found;
  std::string dir = dir_of(g.path);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return found;
  std::vector<std::string> candidates;
  std::string by_inode;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    std::string path = dir == "/" ? "/" + name : dir == "." ? name : dir + "/" + name;
    if (static_cast<uint64_t>(e->d_ino) == g.id.ino) by_inode = path;
    else candidates.push_back(path);
  }
  ::closedir(d);
  auto open_candidate = [&](const std::string& path) -> std::unique_ptr<TailFile> {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    auto key = std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
    if (tracked(key.first, key.second) || opts_.exclude.count(key)) return nullptr;
    std::string error;
    auto f = TailFile::open(path, error);
    if (f) f->decoder = std::make_unique<StreamDecoder>(pipeline_, path, &f->identity(), &f->ack_partition());
    return f;
  };
  auto adopt = [&](std::unique_ptr<TailFile> f, uint64_t offset, uint64_t line, const char* how) {
    f->start_at(offset, line, offset == 0 || line > 0);
    f->matched = false;  // draining, unless a pattern matches it at the next scan
    prog_.report().info(f->path() + ": reading from byte " + std::to_string(offset) + " (" + how + g.path + ")");
    found.push_back(std::move(f));
  };
  if (!by_inode.empty()) {
    auto f = open_candidate(by_inode);
    // The name may have been given to another file since the directory was read.
    if (f && f->identity().dev == g.id.dev && f->identity().ino == g.id.ino) {
      if (g.offset > 0 && fingerprint_matches(f->fd(), 0, g.id.head) && f->last_size >= g.offset) {
        adopt(std::move(f), g.offset, g.line, "renamed from ");
        return found;
      }
      // The inode holds other content now, or nothing was read from it (its empty fingerprint
      // matches any content: a deleted empty file's inode is soon reused, e.g. by the copy
      // copytruncate makes while sp-ingest is stopped): decided like a new file (it may be a
      // copy of data already read), not read from 0 at once.
      prog_.report().info(f->path() + ": new content of " + g.path);
      f->fresh = true;
      f->matched = false;
      found.push_back(std::move(f));
    } else if (f) {
      candidates.push_back(by_inode);
    }
  }
  if (g.offset == 0) return found;
  std::unique_ptr<TailFile> best;
  size_t tried = 0;
  for (const auto& path : candidates) {
    if (++tried > 2000) break;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < g.offset) continue;
    auto f = open_candidate(path);
    if (!f || !is_copy_of(*f, g.id.head, g.tail, g.offset)) continue;
    if (!best || f->last_size > best->last_size) best = std::move(f);  // the latest copy is the largest
  }
  if (best) adopt(std::move(best), g.offset, g.line, "a copy of ");
  return found;
}

void Tailer::startup() {
  if (checkpoint_.enabled()) {
    first_run_ = ::access(checkpoint_.path().c_str(), F_OK) != 0;
    entries_ = checkpoint_.load();
  }
  if (stdin_) {
    auto f = TailFile::open_stdin();
    f->decoder = std::make_unique<StreamDecoder>(pipeline_, "-", nullptr);
    watcher_.watch_fd(0);
    files_.push_back(std::move(f));
  }
  for (auto& p : patterns_) watcher_.watch_directory(base_dir(p.text));
  std::vector<std::unique_ptr<TailFile>> fresh;
  scan(true, &fresh);
  // Entries whose file was not found by inode: the file was rotated or truncated while we were
  // away. Their positions may continue in a file of the same directory.
  auto now = Clock::now();
  for (auto& e : entries_)
    ghosts_.push_back({e.path, e.id, e.tail, e.offset, e.line,
                       now + std::chrono::seconds(static_cast<int>(kGhostLifetime)), true, {}, 0});
  entries_.clear();
  for (auto& f : fresh) {
    if (!resume_from_ghost(*f)) {
      if (opts_.from_end && first_run_ && f->kind() == FileKind::kPlain) f->start_at(end_of_last_line(f->fd(), f->last_size), 0, false);
      else f->fresh = true;
    }
    attach(std::move(f));
  }
  for (size_t i = 0; i < ghosts_.size();) {
    bool found = false;
    for (auto& f : find_in_directory(ghosts_[i])) {
      if (!f->fresh) found = true;  // a fresh one is new content: the position may be in a copy yet
      attach(std::move(f), true);   // older data first
    }
    if (found) ghosts_.erase(ghosts_.begin() + static_cast<long>(i));
    else ++i;
  }
}

void Tailer::scan(bool startup, std::vector<std::unique_ptr<TailFile>>* fresh) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (auto& p : patterns_) {
    if (opts_.follow) watcher_.watch_directory(base_dir(p.text));
    for (const auto& path : expand(p)) {
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) continue;
      if (!S_ISREG(st.st_mode)) {
        failed(path + (S_ISDIR(st.st_mode) ? ": is a directory" : ": not a regular file"), nullptr);
        continue;
      }
      auto key = std::make_pair(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
      if (seen.count(key) || opts_.exclude.count(key)) continue;
      if (TailFile* f = tracked(key.first, key.second)) {
        seen.insert(key);
        if (f->path() != path) f->set_path(path);
        f->matched = true;
        continue;
      }
      if (fresh)
        for (auto& pending : *fresh)
          if (pending->identity().dev == key.first && pending->identity().ino == key.second) goto next;
      {
        auto f = open_file(path);
        if (!f) continue;
        // The descriptor's identity is what counts (the path may have been replaced meanwhile).
        if (tracked(f->identity().dev, f->identity().ino)) continue;
        seen.insert({f->identity().dev, f->identity().ino});
        if (startup) {
          if (resume_from_entry(*f)) attach(std::move(f));
          else fresh->push_back(std::move(f));
          continue;
        }
        if (!resume_from_ghost(*f)) f->fresh = true;
        prog_.report().info(path + ": new file");
        attach(std::move(f));
      }
    next:;
    }
  }
  if (fresh)
    for (auto& f : *fresh) seen.insert({f->identity().dev, f->identity().ino});
  for (auto& f : files_) {
    if (f->kind() == FileKind::kStream) continue;
    bool now_matched = seen.count({f->identity().dev, f->identity().ino}) > 0;
    if (f->matched && !now_matched) prog_.report().info(f->path() + ": rotated away or deleted; finishing it");
    f->matched = now_matched;
  }
}

// Growth and truncation of a file that was at its end. True when there is something to read.
bool Tailer::check_file(TailFile& f) {
  if (f.failed || f.copy_of) return false;
  if (f.kind() == FileKind::kStream) return !f.eof && stdin_readable();
  if (!f.eof && !f.fresh) return true;
  struct stat st;
  if (fstat(f.fd(), &st) != 0) return false;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (f.fresh) {
    f.last_size = size;
    if (!decide_fresh(f)) return false;
    if (size > 0 && f.identity().head.length < kFingerprintBytes) head_fingerprint(f.fd(), size, f.identity().head);
    return true;
  }
  if (f.kind() == FileKind::kCompressed) {
    if (size == f.last_size) return false;
    f.last_size = size;
    f.reopen_compressed();  // e.g. a .gz still being written when we read it
    return true;
  }
  f.last_size = size;
  if (size < f.read_pos()) {
    truncated(f);
    return true;
  }
  const Fingerprint& head = f.identity().head;
  if (size > f.read_pos() && head.length > 0 && !fingerprint_matches(f.fd(), 0, head)) {
    truncated(f);
    return true;
  }
  // A short fingerprint grows with the file (what is already there does not change), so that
  // copies and truncations of it are recognized.
  if (head.length < kFingerprintBytes && size > head.length && fingerprint_matches(f.fd(), 0, head))
    head_fingerprint(f.fd(), size, f.identity().head);
  return size > f.read_pos();
}

void Tailer::truncated(TailFile& f) {
  Ghost g = ghost_of(f, f.offset(), f.line_known() ? f.lines() : 0);
  g.tail = fingerprint_of({});
  {
    std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
    f.decoder->flush();  // the held lines were read before the truncation
    g.tail = f.tail_fingerprint();
  }
  bool found = false;
  for (auto& other : files_) {
    if (other->copy_of == &f) {
      // A copy made before the truncation; one made earlier may be shorter than the position.
      other->copy_of = nullptr;
      uint64_t size = current_size(*other);
      if (size >= g.offset) {
        other->start_at(g.offset, g.line, g.line > 0);
        found = true;
      } else {
        other->start_at(size, 0, false);
      }
    } else if (other->fresh && !found && is_copy_of(*other, g.id.head, g.tail, g.offset)) {
      other->fresh = false;
      other->start_at(g.offset, g.line, g.line > 0);
      found = true;
    }
  }
  if (!found && g.offset > 0) {
    for (auto& copy : find_in_directory(g)) {
      if (!copy->fresh) found = true;  // (a fresh one is new content, decided later)
      attach(std::move(copy));
    }
  }
  {
    std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
    if (found) {
      f.drop_partial();  // the copy holds it, with the rest of its line
    } else {
      f.flush_partial();
      f.decoder->flush();
      if (g.offset > 0) ghosts_.push_back(g);
    }
    f.decoder->reset();
  }
  prog_.report().info(f.path() + ": truncated at byte " + std::to_string(g.offset) + "; reading it from the start" +
                      (found ? " (the rest of the old content is read from its copy)" : ""));
  f.identity().head = {};
  f.restart();  // fingerprints the new content's first bytes
}

// A file that is done: its partial line and held record are written, copies waiting on it start.
void Tailer::finish_file(TailFile& f) {
  std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
  f.flush_partial();
  f.decoder->flush();
  for (auto& other : files_)
    if (other->copy_of == &f) {
      other->copy_of = nullptr;
      struct stat st;
      uint64_t size = fstat(other->fd(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      if (size >= f.offset()) other->start_at(f.offset(), f.lines(), f.line_known());
      else other->start_at(size, 0, false);
    }
}

bool Tailer::read_round() {
  bool any = false;
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!check_file(*files_[i])) continue;
    TailFile& f = *files_[i];  // check_file may have added a copy to files_
    size_t n = 0;
    {
      std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
      pipeline_.emitter().refresh_clock();
      try {
        n = f.read(buf_, opts_.ack ? kAckReadBudget : kReadBudget, opts_.max_line_bytes);
      } catch (const Error& e) {
        if (f.kind() == FileKind::kCompressed && opts_.follow) {
          // Possibly still being written: try again when it grows.
          f.eof = true;
          prog_.report().info(e.what());
        } else {
          f.eof = true;
          f.failed = true;
          if (reported_.insert(e.what()).second) prog_.input_failed(e.what());
        }
      }
      pipeline_.emitter().stats().bytes_in.add(n);
    }
    if (n > 0) {
      any = true;
      f.last_data = Clock::now();
    }
  }
  // Streams at their end are finished (and removed); so are failed files in batch mode.
  for (size_t i = 0; i < files_.size();) {
    TailFile& f = *files_[i];
    if (f.kind() == FileKind::kStream && f.eof) {
      finish_file(f);
      files_.erase(files_.begin() + static_cast<long>(i));
      continue;
    }
    ++i;
  }
  return any;
}

void Tailer::timeouts(bool final) {
  auto due = [&](const TailFile& f) {
    return !final && opts_.follow && !f.matched && f.eof && !f.copy_of && seconds_since(f.last_data) >= opts_.rotate_wait;
  };
  // A glob is expanded (readdir) before its names are stat()ed: a rotation that shifts names
  // (app.log.1 -> app.log.2) in between hides a file from that scan although a pattern still
  // names it. Before a file that still has a name is finished as rotated away, look again.
  bool any_glob = std::any_of(patterns_.begin(), patterns_.end(), [](const Pattern& p) { return p.glob; });
  if (any_glob && std::any_of(files_.begin(), files_.end(), [&](const auto& f) { return due(*f) && linked(*f); }))
    scan(false, nullptr);
  for (size_t i = 0; i < files_.size();) {
    TailFile& f = *files_[i];
    if (due(f)) {
      prog_.report().info(f.path() + ": finished (rotated away, no longer written)");
      finish_file(f);
      // Still on disk: should a glob name it again (a scan that raced with a rotation, a
      // restart), it continues at its end rather than being read again from its start. With
      // an exact path too: a restart may meet it through an older position of its inode (the
      // content it held before a truncation, whose copy is still looked for) and would take
      // what it holds now for new content, read from 0. With --ack its position is kept until
      // acknowledged, for a restart to find it.
      if (linked(f) || opts_.ack) ghosts_.push_back(ghost_of(f, f.position(), f.position_line()));
      files_.erase(files_.begin() + static_cast<long>(i));
      continue;
    }
    if (f.eof) {
      std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
      if (opts_.flush_partial_after > 0 && f.has_partial() && seconds_since(f.last_data) >= opts_.flush_partial_after)
        f.flush_partial();
      if (opts_.multiline && f.decoder->holding() && seconds_since(f.decoder->last_line()) >= opts_.multiline_timeout)
        f.decoder->flush();
    }
    ++i;
  }
}

bool Tailer::all_done() const {
  for (const auto& f : files_)
    if (!f->eof && !f->failed && !f->copy_of && !f->fresh) return false;
  return true;
}

double Tailer::wait_timeout() const {
  double t = opts_.poll_interval;
  if (checkpoint_.enabled()) t = std::min(t, std::max(0.01, opts_.checkpoint_interval - seconds_since(last_commit_)));
  for (const auto& f : files_)
    if (!f->matched || f->fresh || (opts_.multiline && f->decoder->holding()) ||
        (opts_.flush_partial_after > 0 && f->has_partial()))
      t = std::min(t, 0.1);
  return t;
}

std::vector<CheckpointEntry> Tailer::snapshot() const {
  std::vector<CheckpointEntry> out;
  for (const auto& f : files_) {
    // A new file not decided yet may be a copy of data already read: it is left out, unless it
    // is still empty (then it holds nothing to repeat, and a restart must know it).
    if (f->kind() == FileKind::kStream || f->copy_of || (f->fresh && f->last_size > 0)) continue;
    CheckpointEntry e;
    e.path = f->path();
    e.id = f->identity();
    e.offset = f->position();
    e.line = f->position_line();
    e.tail = f->tail_fingerprint();
    if (opts_.ack) acknowledged(f->ack_partition(), f->ack_base(), f->fd(), f->kind() == FileKind::kPlain, e);
    out.push_back(std::move(e));
  }
  // Positions still waiting for their copy, so that a copy found after a restart resumes too.
  for (const auto& g : ghosts_) {
    if (g.from_checkpoint) continue;
    out.push_back({g.path, g.id, g.tail, g.offset, g.line});
    if (opts_.ack && !g.ack_partition.empty()) acknowledged(g.ack_partition, g.ack_base, -1, false, out.back());
  }
  return out;
}

Tailer::Ghost Tailer::ghost_of(TailFile& f, uint64_t offset, uint64_t line) const {
  return {f.path(),          f.identity(),      f.tail_fingerprint(),
          offset,            line,              Clock::now() + std::chrono::seconds(static_cast<int>(kGhostLifetime)),
          false,             f.ack_partition(), f.ack_base()};
}

// --ack: the checkpoint holds what the sink acknowledged, not what was written: the position
// acknowledged for the content (at least where reading it started), with the fingerprint of
// the bytes before it read again from the file (`fd` < 0: gone; an empty one matches any).
void Tailer::acknowledged(const std::string& partition, uint64_t base, int fd, bool plain, CheckpointEntry& e) const {
  uint64_t off = base, acked;
  if (opts_.ack->acked(partition, acked)) off = std::max(off, acked);
  off = std::min(off, e.offset);
  if (off == e.offset) return;
  e.offset = off;
  e.line = 0;  // unknown
  e.tail = {};
  size_t n = static_cast<size_t>(std::min<uint64_t>(off, kFingerprintBytes));
  if (fd >= 0 && plain && n > 0 && !fingerprint_at(fd, off - n, n, e.tail)) e.tail = {};
}

void Tailer::commit(bool final) {
  last_commit_ = Clock::now();
  if (!checkpoint_.enabled()) return;
  std::vector<CheckpointEntry> entries;
  {
    // Positions are committed only for records handed to the kernel (with --ack: only those
    // acknowledged, so a broken pipe does not stop the commit).
    std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
    try {
      pipeline_.emitter().flush();
    } catch (const BrokenPipe&) {
      if (!opts_.ack) throw;
    }
    entries = snapshot();
  }
  try {
    checkpoint_.save(entries);
  } catch (const Error& e) {
    if (final) throw;
    if (reported_.insert(e.what()).second) prog_.report().error(e.what());
  }
}

void Tailer::run() {
  try {
    read_all();
  } catch (const BrokenPipe&) {
    // The next stage is gone. With --ack, what the sink acknowledged (it may still report the
    // records it holds) is committed before leaving.
    if (!opts_.ack) throw;
    if (opts_.before_final_commit) opts_.before_final_commit();
    commit(true);
    throw;
  }
}

void Tailer::read_all() {
  startup();
  last_commit_ = Clock::now();
  auto last_scan = Clock::now();
  while (!io::stop_requested()) {
    bool any = read_round();
    if (!opts_.follow) {
      if (!any && all_done()) break;
      if (!any) watcher_.wait(opts_.poll_interval);  // stdin with nothing yet
      if (checkpoint_.enabled() && seconds_since(last_commit_) >= opts_.checkpoint_interval) commit(false);
      continue;
    }
    if (stdin_ && patterns_.empty() && files_.empty()) break;  // only stdin, and it ended
    timeouts(false);
    if (checkpoint_.enabled() && seconds_since(last_commit_) >= opts_.checkpoint_interval) commit(false);
    Watcher::Events ev;
    if (any) {
      ev = watcher_.wait(0);
    } else {
      {
        std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
        pipeline_.emitter().flush();
      }
      ev = watcher_.wait(wait_timeout());
    }
    if (ev.changed || seconds_since(last_scan) >= opts_.poll_interval) {
      scan(false, nullptr);
      last_scan = Clock::now();
    }
    auto now = Clock::now();
    ghosts_.erase(std::remove_if(ghosts_.begin(), ghosts_.end(), [&](const Ghost& g) { return g.expires < now; }),
                  ghosts_.end());
  }
  // A last look at the patterns: a file that got a name since the last scan (polling, or an
  // event not handled yet) is in the checkpoint, so that a restart finds it by its inode even
  // if it is rotated while sp-ingest is stopped (an exact path names only the file after it).
  if (opts_.follow && checkpoint_.enabled()) scan(false, nullptr);
  // The end: what is held is written unless a checkpoint lets the next run finish it (a line
  // still being written, a multiline record that may continue).
  for (auto& f : files_) {
    std::lock_guard<std::mutex> lock(pipeline_.emitter().mutex());
    bool keep = checkpoint_.enabled() && f->kind() != FileKind::kStream;
    double idle = keep ? idle_seconds(f->fd()) : 0;
    if (!keep || (opts_.flush_partial_after > 0 && idle >= opts_.flush_partial_after)) f->flush_partial();
    if (!keep || (!f->has_partial() && idle >= opts_.multiline_timeout)) f->decoder->flush();
  }
  if (opts_.before_final_commit) opts_.before_final_commit();
  commit(true);
}

}  // namespace sp::ingest
