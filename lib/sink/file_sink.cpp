#include "sink/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <map>

#include "io/error.h"
#include "io/output.h"

namespace sp::sink {

PathTemplate::PathTemplate(std::string text, bool rotating) : text_(std::move(text)) {
  for (size_t i = 0; i + 1 < text_.size(); ++i)
    if (text_[i] == '%' && text_[i + 1] != '%' && isalpha(static_cast<unsigned char>(text_[i + 1]))) has_time_ = true;
  bool has_seq = text_.find("{seq}") != std::string::npos;
  segmented_ = rotating || has_time_ || has_seq;
  if (segmented_ && !has_seq) {
    // Before the first extension of the file name: events.ndjson.zst -> events-{seq}.ndjson.zst
    size_t slash = text_.rfind('/');
    size_t base = slash == std::string::npos ? 0 : slash + 1;
    size_t dot = text_.find('.', base + 1);
    if (dot == std::string::npos) dot = text_.size();
    text_.insert(dot, "-{seq}");
  }
}

const std::string& PathTemplate::partition(int64_t time_ms) {
  if (!has_time_) {
    cached_ = text_;
    return cached_;
  }
  int64_t sec = time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);
  if (sec == cached_sec_) return cached_;
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[4096];
  size_t n = strftime(buf, sizeof buf, text_.c_str(), &tm);
  if (n == 0) throw UsageError("path template too long: " + text_);
  cached_.assign(buf, n);
  cached_sec_ = sec;
  return cached_;
}

std::string PathTemplate::with_seq(const std::string& partition, uint64_t seq) {
  char num[32];
  snprintf(num, sizeof num, "%06llu", static_cast<unsigned long long>(seq));
  std::string out = partition;
  size_t pos;
  while ((pos = out.find("{seq}")) != std::string::npos) out.replace(pos, 5, num);
  return out;
}

namespace {

bool exists(const std::string& path) {
  struct stat sb;
  return ::stat(path.c_str(), &sb) == 0;
}

void make_dirs(const std::string& file) {
  size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = file.substr(0, slash);
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      std::string part = dir.substr(0, i);
      if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
        throw Error(part + ": cannot create directory: " + errno_text(errno));
    }
  }
}

void sync_dir_of(const std::string& file) {
  size_t slash = file.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool wants_zstd(const Options& opts, const std::string& name) {
  if (opts.compress == "zstd") return true;
  if (opts.compress == "none") return false;
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".zst") == 0;
}

// "-": records to standard output, durable (for our purposes) once written to the pipe.
class StdoutSink : public Sink {
 public:
  explicit StdoutSink(const Options& opts) {
    io::OutputOptions o;
    o.compression = opts.compress == "zstd" ? io::Compression::kZstd : io::Compression::kNone;
    o.zstd_level = opts.zstd_level;
    out_ = io::Output::open("-", o);
  }
  std::string describe() const override { return "stdout"; }
  void write(Batch& batch) override {
    out_->write(batch.text_from(batch.confirmed));
    out_->flush();
    batch.confirmed = batch.size();
  }
  void close() override { out_->close(); }

 private:
  std::unique_ptr<io::Output> out_;
};

// One file appended to; fsync'd at exit.
class AppendFileSink : public Sink {
 public:
  AppendFileSink(const std::string& path, const Options& opts) : path_(path), sync_each_second_(!opts.ack.empty()) {
    io::OutputOptions o;
    o.append = true;
    o.sync_on_close = true;
    o.zstd_level = opts.zstd_level;
    o.compression = wants_zstd(opts, path) ? io::Compression::kZstd : io::Compression::kNone;
    make_dirs(path);
    out_ = io::Output::open(path, o);
  }
  std::string describe() const override { return path_; }
  void write(Batch& batch) override {
    out_->write(batch.text_from(batch.confirmed));
    out_->flush();
    batch.confirmed = batch.size();
    last_seq_ = batch.seq;
  }
  bool durable_on_write() const override { return false; }
  // --ack: fsync'd once a second, so that acknowledgements do not wait for the end.
  void tick(std::chrono::system_clock::time_point) override {
    if (!sync_each_second_ || last_seq_ == synced_) return;
    out_->sync();
    synced_ = last_seq_;
    mark_durable(synced_);
  }
  void close() override {
    out_->close();
    mark_durable(last_seq_);
  }

 private:
  std::string path_;
  bool sync_each_second_;
  uint64_t synced_ = 0;
  std::unique_ptr<io::Output> out_;
  uint64_t last_seq_ = 0;
};

// Segments: NAME.tmp while open, NAME once complete.
class SegmentSink : public Sink {
 public:
  SegmentSink(const std::string& path, const Options& opts)
      : opts_(opts), template_(path, opts.rotate_size > 0 || opts.rotate_interval > 0) {
    idle_close_s_ = opts.rotate_interval > 0 ? opts.rotate_interval : 60.0;
  }
  std::string describe() const override { return template_.text(); }
  bool durable_on_write() const override { return false; }

  void write(Batch& batch) override {
    auto now = std::chrono::system_clock::now();
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    last_seq_ = batch.seq;
    for (size_t i = batch.confirmed; i < batch.size(); ++i) {
      int64_t t = batch.info(i).time_ms;
      if (t == kNoTime) t = now_ms;
      const std::string& part = template_.partition(t);
      Segment* seg;
      if (last_ && last_part_ == part) {
        seg = last_;
      } else {
        seg = &segment_for(part, now);
        last_ = seg;
        last_part_ = part;
      }
      if (seg->first_seq == 0) seg->first_seq = batch.seq;
      std::string_view rec = batch.record(i);
      seg->out->write_line(rec);
      seg->bytes += rec.size() + 1;
      seg->last_write = now;
      if (opts_.rotate_size > 0 && seg->bytes >= opts_.rotate_size) finish(part);
    }
    for (auto& [part, seg] : open_) seg.out->flush();
    batch.confirmed = batch.size();
    report_durable();
  }

  void tick(std::chrono::system_clock::time_point now) override {
    std::vector<std::string> done;
    for (auto& [part, seg] : open_) {
      double age = std::chrono::duration<double>(now - seg.opened).count();
      double idle = std::chrono::duration<double>(now - seg.last_write).count();
      if ((opts_.rotate_interval > 0 && age >= opts_.rotate_interval) ||
          (template_.has_time_codes() && idle >= idle_close_s_))
        done.push_back(part);
    }
    for (const auto& p : done) finish(p);
    report_durable();
  }

  void close() override {
    while (!open_.empty()) finish(open_.begin()->first);
    mark_durable(last_seq_);
  }

 private:
  struct Segment {
    std::string final_path, tmp_path;
    std::unique_ptr<io::Output> out;
    uint64_t bytes = 0;
    uint64_t first_seq = 0;  // the first batch with records in it: not durable before it is closed
    std::chrono::system_clock::time_point opened, last_write;
  };

  Segment& segment_for(const std::string& part, std::chrono::system_clock::time_point now) {
    auto it = open_.find(part);
    if (it != open_.end()) return it->second;
    if (open_.size() >= kMaxOpen) {
      // Too many partitions at once (a replay of old data): close the one idle longest.
      auto oldest = open_.begin();
      for (auto j = open_.begin(); j != open_.end(); ++j)
        if (j->second.last_write < oldest->second.last_write) oldest = j;
      finish(oldest->first);
    }
    uint64_t& seq = next_seq_[part];
    std::string final_path, tmp_path;
    do {
      ++seq;
      final_path = PathTemplate::with_seq(part, seq);
      tmp_path = final_path + ".tmp";
    } while (exists(final_path) || exists(tmp_path));
    make_dirs(final_path);
    io::OutputOptions o;
    o.append = false;
    o.sync_on_close = true;
    o.zstd_level = opts_.zstd_level;
    o.compression = wants_zstd(opts_, final_path) ? io::Compression::kZstd : io::Compression::kNone;
    Segment seg;
    seg.final_path = final_path;
    seg.tmp_path = tmp_path;
    seg.out = io::Output::open(tmp_path, o);
    seg.opened = seg.last_write = now;
    return open_.emplace(part, std::move(seg)).first->second;
  }

  void finish(const std::string& part) {
    auto it = open_.find(part);
    if (it == open_.end()) return;
    if (last_ == &it->second) last_ = nullptr;
    Segment& seg = it->second;
    seg.out->close();  // flush, end the zstd frame, fsync
    if (::rename(seg.tmp_path.c_str(), seg.final_path.c_str()) != 0)
      throw Error(seg.tmp_path + ": cannot rename to " + seg.final_path + ": " + errno_text(errno));
    sync_dir_of(seg.final_path);
    open_.erase(it);
  }

  void report_durable() {
    uint64_t through = last_seq_;
    for (const auto& [part, seg] : open_)
      if (seg.first_seq != 0 && seg.first_seq - 1 < through) through = seg.first_seq - 1;
    if (through > durable_) {
      durable_ = through;
      mark_durable(through);
    }
  }

  static constexpr size_t kMaxOpen = 32;
  Options opts_;
  PathTemplate template_;
  double idle_close_s_;
  std::map<std::string, Segment> open_;
  std::map<std::string, uint64_t> next_seq_;
  Segment* last_ = nullptr;
  std::string last_part_;
  uint64_t last_seq_ = 0, durable_ = 0;
};

}  // namespace

std::unique_ptr<Sink> open_file_sink(const Endpoint& endpoint, const Options& opts) {
  const std::string& path = endpoint.location();
  if (path == "-" || path.empty()) {
    if (opts.rotate_size || opts.rotate_interval)
      throw UsageError("--rotate-size and --rotate-interval need a file destination, not stdout");
    return std::make_unique<StdoutSink>(opts);
  }
  PathTemplate probe(path, opts.rotate_size > 0 || opts.rotate_interval > 0);
  if (probe.is_segmented()) return std::make_unique<SegmentSink>(path, opts);
  return std::make_unique<AppendFileSink>(path, opts);
}

}  // namespace sp::sink
