// The tailer: reads every file that the source patterns (paths and globs) name, follows them
// through rotation, and keeps the checkpoint.
//
// Files are known by device + inode and a fingerprint of their first bytes. A file stays open
// while it is read, so a file that is renamed (logrotate `create`) or deleted is finished
// through its descriptor: it is read until it has not grown for --rotate-wait. A file that
// shrinks, or whose first bytes change, was truncated (copytruncate, `> file`): reading
// starts over at 0, and the lines that were written between the last read and the
// truncation are read from the copy when one is found in the same directory (a file whose
// first bytes and the bytes before the old position match: logrotate's copy). New files that
// match a glob are read from their start.
//
// With a checkpoint, a restart resumes every file where it stopped, including files rotated
// (renamed, or copied and truncated) while sp-ingest was not running, which are found in the
// directory of their last known path.
#pragma once
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ack/ack.h"
#include "cli/program.h"
#include "ingest/checkpoint.h"
#include "ingest/decoder.h"
#include "ingest/tail_file.h"
#include "ingest/watcher.h"

namespace sp::ingest {

struct TailerOptions {
  bool follow = false;
  bool from_end = false;                // files found at the first start (no checkpoint yet)
  double poll_interval = 1.0;           // seconds between checks of the files
  bool use_inotify = true;
  double rotate_wait = 5.0;             // a rotated-away file is finished after this long without growth
  double flush_partial_after = 0;       // 0: a partial line waits for its newline
  double checkpoint_interval = 5.0;
  double multiline_timeout = 1.0;       // a held multiline record is written after this long
  bool multiline = false;
  size_t max_line_bytes = 64u << 20;
  // Files never read (device, inode): our own output, dead letters and checkpoint, so that a
  // glob or a search for a rotated copy cannot pick them up.
  std::set<std::pair<uint64_t, uint64_t>> exclude;
  // --ack: the checkpoint keeps only positions the sink acknowledged.
  ack::AckServer* ack = nullptr;
  // Called after the last record is written, before the final checkpoint (--ack: end the
  // output and wait for the sink's last acknowledgements).
  std::function<void()> before_final_commit;
};

class Tailer {
 public:
  using Clock = std::chrono::steady_clock;
  // `sources`: paths, globs, file:// URIs, and "-" for stdin.
  Tailer(const TailerOptions& opts, std::vector<std::string> sources, Checkpoint& checkpoint, Pipeline& pipeline,
         cli::Program& prog);
  ~Tailer();
  // Reads until every source is at its end (batch) or a stop is requested (--follow); then
  // writes what may be written, flushes and saves the checkpoint.
  void run();

 private:
  struct Ghost {  // a position in content that has moved (truncated, rotated while stopped)
    std::string path;
    FileIdentity id;
    Fingerprint tail;
    uint64_t offset = 0, line = 0;
    Clock::time_point expires;
    bool from_checkpoint = false;  // not saved again: a restart does not keep it alive forever
    std::string ack_partition;     // --ack: the content it was, whose acknowledged position is saved
    uint64_t ack_base = 0;
  };
  struct Pattern {
    std::string text;
    bool glob = false;
    bool reported = false;
  };

  void read_all();
  void startup();
  void scan(bool startup, std::vector<std::unique_ptr<TailFile>>* fresh);
  std::vector<std::string> expand(Pattern& p);
  TailFile* tracked(uint64_t dev, uint64_t ino);
  std::unique_ptr<TailFile> open_file(const std::string& path);
  void attach(std::unique_ptr<TailFile> f, bool front = false);
  bool resume_from_entry(TailFile& f);
  bool resume_from_ghost(TailFile& f);
  bool is_copy_of(TailFile& f, const Fingerprint& head, const Fingerprint& tail, uint64_t offset);
  std::vector<std::unique_ptr<TailFile>> find_in_directory(const Ghost& g);
  bool decide_fresh(TailFile& f);
  bool read_round();
  bool check_file(TailFile& f);
  void truncated(TailFile& f);
  void finish_file(TailFile& f);
  void timeouts(bool final);
  bool all_done() const;
  double wait_timeout() const;
  std::vector<CheckpointEntry> snapshot() const;
  void acknowledged(const std::string& partition, uint64_t base, int fd, bool plain, CheckpointEntry& e) const;
  Ghost ghost_of(TailFile& f, uint64_t offset, uint64_t line) const;
  void commit(bool final);
  void failed(const std::string& what, TailFile* f);

  TailerOptions opts_;
  std::vector<Pattern> patterns_;
  bool stdin_ = false;
  Checkpoint& checkpoint_;
  Pipeline& pipeline_;
  cli::Program& prog_;
  Watcher watcher_;
  ReadBuffer buf_;
  std::vector<std::unique_ptr<TailFile>> files_;
  std::vector<Ghost> ghosts_;
  std::vector<CheckpointEntry> entries_;  // loaded, not yet matched to a file
  bool first_run_ = true;
  std::set<std::string> reported_;  // paths whose error was reported
  Clock::time_point last_commit_;
};

}  // namespace sp::ingest
