// Where records leave sp-ingest: one Output shared by every source (files, stdin, HTTP, Kafka,
// MQTT), behind
// one mutex that a source holds for a batch of records, not per record. Adds the --add-meta
// member and sends rejected records to the program's dead-letter output.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "cli/program.h"
#include "ingest/file_identity.h"
#include "io/output.h"

namespace sp::ingest {

// Where a record came from: for --add-meta, for dead letters and (later) for acknowledgements.
struct RecordOrigin {
  std::string_view source;               // the file's path, "-" for stdin, or the URL
  bool is_url = false;
  const FileIdentity* identity = nullptr;  // files only
  uint64_t offset = 0;                   // byte offset of the record's first byte
  uint64_t end = 0;                      // offset just after the record (and its newline)
  uint64_t line = 0;                     // 1-based line number; 0 when unknown (after --from-end)
  // Other sources (Kafka, MQTT): the members of the metadata object, ready-made JSON ("topic":…),
  // written instead of the file/url members.
  std::string_view meta_members;
  // --ack: the input's partition name and where it resumes once this record is safe (see
  // ack/ack.h). Empty for inputs that cannot resume (stdin, HTTP, MQTT).
  std::string_view ack_partition;
  uint64_t ack_offset = 0;
};

struct EmitterOptions {
  bool add_meta = false;
  std::string meta_field = "_src";
  std::string host;  // for the metadata; defaults to the host name
  bool positions = false;  // --ack: "_sp" positions in every record
};

class Emitter {
 public:
  Emitter(cli::Program& prog, io::Output& out, EmitterOptions opts);
  // Held while writing a batch of records (and by flush()).
  std::mutex& mutex() { return mu_; }
  // Takes the time used for "ingest_ts" of the records that follow (once per batch).
  void refresh_clock();
  // Writes one record (JSON text without its newline). Requires the mutex.
  void write(std::string_view json, const RecordOrigin& origin);
  // Rejects one record: counted, dead-lettered with its source, line, offset and reason.
  void reject(const RecordOrigin& origin, std::string_view error, std::string_view raw, bool truncated = false,
              uint64_t total_bytes = 0);
  // Hands the written records to the kernel. Requires the mutex.
  void flush();
  bool add_meta() const { return opts_.add_meta; }
  bool positions() const { return opts_.positions; }
  // --ack: the position of the last record written, per partition. Requires the mutex.
  const std::map<std::string, uint64_t, std::less<>>& emitted() const { return emitted_; }
  // Ends the output (downstream stages see its end). Requires the mutex.
  void close();
  cli::Stats& stats() { return prog_.stats(); }
  cli::Program& program() { return prog_; }

 private:
  void append_meta(const RecordOrigin& o);

  cli::Program& prog_;
  io::Output& out_;
  EmitterOptions opts_;
  std::mutex mu_;
  std::string line_;
  std::string ingest_ts_;
  std::string host_json_;
  std::map<std::string, uint64_t, std::less<>> emitted_;
  std::string last_partition_;
  uint64_t* last_emitted_ = nullptr;
};

}  // namespace sp::ingest
