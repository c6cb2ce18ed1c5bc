// Lookup sources for sp-enrich: a key in, a Row (the members to add) or nothing out.
//   file tables   CSV/TSV/NDJSON in memory, reloaded when the file changes (or on request)
//   IP ranges     CSV/TSV of CIDR blocks or start-end ranges, reloaded the same way
//   sqlite:///db?table=t             one indexed query per key, through an LRU cache with TTL
//   redis://host:port?cmd=...&key=   one command per key, through an LRU cache with TTL
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/report.h"
#include "enrich/row.h"

namespace sp::enrich {

struct LookupSpec {
  enum class Kind { kTable, kIpRanges };
  Kind kind = Kind::kTable;
  std::string source;      // path or URI
  std::string on;          // the record's field path ("" until --on is given)
  std::string key_column;  // the table's column; "" means the same name as `on`'s last member
  RowFormat format;
  // LRU cache of the server lookups.
  size_t cache_size = 100000;
  double cache_ttl = 60;
};

class Lookup {
 public:
  virtual ~Lookup() = default;
  // The row for `key`, or an empty Match. Valid until the next find() or refresh() of this lookup.
  virtual Match find(std::string_view key) = 0;
  // File tables: reloads when the file changed since it was read (checked only when at least
  // a second has passed since the last check, unless `force`, which reloads in any case).
  // A table that fails to load is not used: the previous one stays and a warning is given.
  // Returns true when a new table was loaded.
  virtual bool refresh(bool /*force*/, cli::Reporter& /*report*/) { return false; }
  virtual uint64_t reload_failures() const { return 0; }
  // Lookups that ask a server: batches() says that prefetch() is worth calling with the keys
  // of the next records, which it asks for in one round trip and caches for find().
  virtual bool batches() const { return false; }
  virtual void prefetch(const std::vector<std::string>& /*keys*/) {}
  // The member names rows add when there is no row: for --on-miss default:VALUE.
  virtual std::vector<std::string> value_names() const = 0;
  // A name for messages: the file or the URI without its password.
  virtual std::string name() const = 0;
  // True when the key is built from a template of its own (redis key=...{field}...).
  virtual const std::string& key_template() const {
    static const std::string none;
    return none;
  }
};

// Opens or loads the source. Throws sp::UsageError when it cannot be used (a missing or
// malformed file, an unknown column, a bad URI) so that the program exits with status 2.
std::unique_ptr<Lookup> open_lookup(const LookupSpec& spec);

}  // namespace sp::enrich
