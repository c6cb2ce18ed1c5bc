#include "enrich/lookup.h"

#include <sys/stat.h>

#include <chrono>

#include "enrich/remote.h"
#include "enrich/table.h"
#include "io/error.h"

namespace sp::enrich {
namespace {

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What identifies a version of a file: a rename over it changes the inode, an edit the mtime.
struct FileVersion {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  int64_t mtime_ns = -1;
  bool operator==(const FileVersion&) const = default;
};

bool file_version(const std::string& path, FileVersion& v) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  v.dev = st.st_dev;
  v.ino = st.st_ino;
  v.size = st.st_size;
  v.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

// A table held in memory, loaded from a file and loaded again when the file changes.
template <class Table>
class FileLookup : public Lookup {
 public:
  using Loader = std::shared_ptr<const Table> (*)(const std::string&, const std::string&, const RowFormat&);
  FileLookup(const LookupSpec& spec, std::string key_column, Loader loader)
      : spec_(spec), key_column_(std::move(key_column)), loader_(loader) {
    file_version(spec_.source, version_);
    try {
      table_ = loader_(spec_.source, key_column_, spec_.format);
    } catch (const Error& e) {
      const char* option = spec.kind == LookupSpec::Kind::kIpRanges ? "--ip-ranges: " : "--lookup: ";
      throw UsageError(option + std::string(e.what()));
    }
    last_check_ = monotonic_seconds();
  }

  Match find(std::string_view key) override { return table_->find(key); }

  bool refresh(bool force, cli::Reporter& report) override {
    double now = monotonic_seconds();
    if (!force && now - last_check_ < 1.0) return false;
    last_check_ = now;
    FileVersion v;
    if (!file_version(spec_.source, v)) {
      if (force) report.warn(spec_.source + ": cannot reload (" + errno_text(errno) + "); keeping the table read before");
      return false;
    }
    if (!force && v == version_) return false;
    version_ = v;  // a version that fails to load is not tried again until it changes
    try {
      table_ = loader_(spec_.source, key_column_, spec_.format);
    } catch (const std::exception& e) {
      ++failures_;
      report.warn(std::string("reloading failed, keeping the table read before: ") + e.what());
      return false;
    }
    report.info(spec_.source + ": reloaded, " + std::to_string(table_->size()) + " rows");
    return true;
  }

  uint64_t reload_failures() const override { return failures_; }
  std::vector<std::string> value_names() const override { return table_->value_names(); }
  std::string name() const override { return spec_.source; }

 private:
  LookupSpec spec_;
  std::string key_column_;
  Loader loader_;
  std::shared_ptr<const Table> table_;
  FileVersion version_;
  double last_check_ = 0;
  uint64_t failures_ = 0;
};

std::string last_member(const std::string& path) {
  size_t dot = path.find_last_of("./");
  std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
  if (size_t br = leaf.find('['); br != std::string::npos) leaf.resize(br);
  if (leaf.size() >= 2 && leaf.front() == '`' && leaf.back() == '`') leaf = leaf.substr(1, leaf.size() - 2);
  return leaf;
}

}  // namespace

std::unique_ptr<Lookup> open_lookup(const LookupSpec& spec) {
  std::string key_column = spec.key_column.empty() ? last_member(spec.on) : spec.key_column;
  if (spec.kind == LookupSpec::Kind::kIpRanges)
    return std::make_unique<FileLookup<IpTable>>(spec, spec.key_column, &load_ip_table);
  if (spec.source.rfind("sqlite://", 0) == 0) return open_sqlite_lookup(spec, key_column);
  if (spec.source.rfind("redis://", 0) == 0) return open_redis_lookup(spec, key_column);
  if (spec.source.find("://") != std::string::npos && spec.source.rfind("file://", 0) != 0)
    throw UsageError("--lookup " + spec.source + ": unknown kind of source (use a CSV, TSV or NDJSON file, "
                     "sqlite:///path.db?table=T or redis://host:port?key=...)");
  LookupSpec s = spec;
  if (s.source.rfind("file://", 0) == 0) s.source = s.source.substr(7);
  return std::make_unique<FileLookup<KeyedTable>>(s, key_column, &load_keyed_table);
}

}  // namespace sp::enrich
