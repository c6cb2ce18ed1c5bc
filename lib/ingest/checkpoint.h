// The checkpoint file: where reading stopped in each file, so that a restart resumes exactly
// there. It is JSON, rewritten atomically (a temporary file in the same directory, fsync,
// rename, fsync of the directory; mode 0600), and locked (PATH.lock) so that two processes
// cannot share it by mistake:
//   {"version":1,"files":[{"path":"/var/log/app.log","dev":2049,"ino":1234,
//     "head_len":256,"head":"…16 hex…","tail_len":256,"tail":"…","offset":81920,"line":1024}]}
// "head" fingerprints the first bytes of the file, "tail" the bytes just before "offset";
// "line" counts the lines before "offset" (0 when unknown, e.g. after --from-end).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/file_identity.h"

namespace sp::ingest {

struct CheckpointEntry {
  std::string path;
  FileIdentity id;
  Fingerprint tail;
  uint64_t offset = 0;
  uint64_t line = 0;
};

class Checkpoint {
 public:
  // An empty path disables checkpoints: load() finds nothing and save() does nothing.
  explicit Checkpoint(std::string path);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // Takes the lock and reads the file (a missing file is an empty checkpoint). Throws
  // sp::Error when the lock is held by another process or the file is not a checkpoint.
  std::vector<CheckpointEntry> load();
  // Replaces the file atomically. Throws sp::Error on an I/O error.
  void save(const std::vector<CheckpointEntry>& entries);
  // The JSON text save() writes (for tests and messages).
  static std::string serialize(const std::vector<CheckpointEntry>& entries);

 private:
  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace sp::ingest
