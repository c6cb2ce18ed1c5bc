#include "sink/s3_sink.h"

#include <zstd.h>

#include <cstdlib>
#include <deque>
#include <map>

#include "cli/program.h"
#include "connect/s3/client.h"
#include "sink/file_sink.h"

namespace sp::sink {
namespace {

using Clock = std::chrono::system_clock;

std::string env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

// One object being assembled: its bytes (compressed when asked) wait in `buf` until a part
// or the whole object is uploaded.
struct Object {
  std::string partition;
  std::string key;  // chosen at the first upload (a free {seq})
  std::string buf;
  ZSTD_CStream* zs = nullptr;
  bool ended = false;  // the zstd frame is closed
  uint64_t raw_bytes = 0;
  uint64_t first_seq = 0;
  Clock::time_point opened, last_write;
  std::string upload_id;
  std::vector<std::string> etags;
  ~Object() {
    if (zs) ZSTD_freeCStream(zs);
  }
};

class S3Sink : public Sink {
 public:
  S3Sink(const Endpoint& endpoint, const Options& opts)
      : where_(endpoint.redacted()),
        opts_(opts),
        template_(key_template(endpoint), true) {
    connect::s3::Location loc;
    loc.bucket = endpoint.host();
    if (loc.bucket.empty()) throw UsageError(where_ + ": no bucket (s3://BUCKET/key-template)");
    loc.endpoint = endpoint.param("endpoint");
    loc.ca_file = opts.mqtt.cafile;
    loc.region = endpoint.param("region", env("AWS_REGION").empty() ? (env("AWS_DEFAULT_REGION").empty() ? "us-east-1" : env("AWS_DEFAULT_REGION")) : env("AWS_REGION"));
    std::string part = endpoint.param("part_size", "8M");
    part_size_ = cli::parse_size(part, "part_size");
    if (part_size_ < (5u << 20)) throw UsageError(where_ + ": part_size must be at least 5M (S3's smallest part)");
    connect::s3::Credentials cred{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
    if (cred.access_key.empty() || cred.secret_key.empty())
      throw UsageError(where_ + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if any)");
    client_ = std::make_unique<connect::s3::Client>(loc, cred, opts.timeout, where_);
    zstd_ = opts.compress == "zstd" ||
            (opts.compress == "auto" && template_.text().size() > 4 &&
             template_.text().compare(template_.text().size() - 4, 4, ".zst") == 0);
    // Objects are cut by time even when no rotation was asked for, so that records become
    // durable (and visible) within a minute.
    rotate_interval_ = opts.rotate_interval > 0 ? opts.rotate_interval : (opts.rotate_size > 0 ? 0 : 60.0);
  }

  std::string describe() const override { return where_; }
  bool durable_on_write() const override { return false; }

  void write(Batch& batch) override {
    if (batch.confirmed < batch.size()) {
      auto now = Clock::now();
      int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
      last_seq_ = batch.seq;
      for (size_t i = batch.confirmed; i < batch.size(); ++i) {
        int64_t t = batch.info(i).time_ms;
        const std::string& part = template_.partition(t == kNoTime ? now_ms : t);
        Object& o = object_for(part, now);
        if (o.first_seq == 0) o.first_seq = batch.seq;
        std::string_view rec = batch.record(i);
        append(o, rec.data(), rec.size());
        append(o, "\n", 1);
        o.raw_bytes += rec.size() + 1;
        o.last_write = now;
        if (opts_.rotate_size > 0 && o.raw_bytes >= opts_.rotate_size) retire(part);
      }
      // Records are in memory from here on: a retry only repeats the uploads below.
      batch.confirmed = batch.size();
    }
    upload();
  }

  void tick(Clock::time_point now) override {
    std::vector<std::string> done;
    for (auto& [part, o] : open_) {
      double age = std::chrono::duration<double>(now - o->opened).count();
      double idle = std::chrono::duration<double>(now - o->last_write).count();
      if ((rotate_interval_ > 0 && age >= rotate_interval_) || (template_.has_time_codes() && idle >= 60.0))
        done.push_back(part);
    }
    for (const auto& p : done) retire(p);
    upload();
  }

  void close() override {
    while (!open_.empty()) retire(open_.begin()->first);
    upload();
    mark_durable(last_seq_);
  }

 private:
  static std::string key_template(const Endpoint& e) {
    std::string k = e.path();
    while (!k.empty() && k[0] == '/') k.erase(0, 1);
    if (k.empty() || k.back() == '/') k += "events-{seq}.ndjson";
    return k;
  }

  Object& object_for(const std::string& part, Clock::time_point now) {
    auto it = open_.find(part);
    if (it != open_.end()) return *it->second;
    if (open_.size() >= 32) {
      auto oldest = open_.begin();
      for (auto j = open_.begin(); j != open_.end(); ++j)
        if (j->second->last_write < oldest->second->last_write) oldest = j;
      retire(oldest->first);
    }
    auto o = std::make_unique<Object>();
    o->partition = part;
    o->opened = o->last_write = now;
    if (zstd_) {
      o->zs = ZSTD_createCStream();
      ZSTD_CCtx_setParameter(o->zs, ZSTD_c_compressionLevel, opts_.zstd_level);
    }
    return *open_.emplace(part, std::move(o)).first->second;
  }

  void append(Object& o, const char* p, size_t n) {
    if (!o.zs) {
      o.buf.append(p, n);
      return;
    }
    compress(o, p, n, ZSTD_e_continue);
  }

  void compress(Object& o, const char* p, size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{p, n, 0};
    char out[1 << 16];
    while (true) {
      ZSTD_outBuffer ob{out, sizeof out, 0};
      size_t left = ZSTD_compressStream2(o.zs, &ob, &in, mode);
      if (ZSTD_isError(left)) throw Error(where_ + ": zstd: " + ZSTD_getErrorName(left));
      o.buf.append(out, ob.pos);
      if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) break;
    }
  }

  // The object is complete: it will be uploaded (its last part, or whole) by upload().
  void retire(const std::string& part) {
    auto it = open_.find(part);
    if (it == open_.end()) return;
    Object& o = *it->second;
    if (o.zs && !o.ended) compress(o, "", 0, ZSTD_e_end);
    o.ended = true;
    closing_.push_back(std::move(it->second));
    open_.erase(it);
  }

  void choose_key(Object& o) {
    if (!o.key.empty()) return;
    uint64_t& seq = next_seq_[o.partition];
    std::string key;
    do key = PathTemplate::with_seq(o.partition, ++seq);
    while (client_->exists(key));
    o.key = key;
  }

  // Every upload that is due: full parts of open objects, then completed objects. Each step
  // leaves the state consistent, so a retry after a Transient goes on where this stopped.
  void upload() {
    for (auto& [part, op] : open_) {
      Object& o = *op;
      if (o.buf.size() < part_size_) continue;
      choose_key(o);
      if (o.upload_id.empty()) o.upload_id = client_->create_multipart(o.key);
      o.etags.push_back(client_->upload_part(o.key, o.upload_id, static_cast<int>(o.etags.size() + 1), o.buf));
      o.buf.clear();
    }
    while (!closing_.empty()) {
      Object& o = *closing_.front();
      choose_key(o);
      if (o.upload_id.empty()) {
        client_->put_object(o.key, o.buf);
      } else {
        if (!o.buf.empty()) {
          o.etags.push_back(client_->upload_part(o.key, o.upload_id, static_cast<int>(o.etags.size() + 1), o.buf));
          o.buf.clear();
        }
        client_->complete_multipart(o.key, o.upload_id, o.etags);
      }
      closing_.pop_front();
    }
    report_durable();
  }

  void report_durable() {
    uint64_t through = last_seq_;
    for (const auto& [part, o] : open_)
      if (o->first_seq != 0 && o->first_seq - 1 < through) through = o->first_seq - 1;
    if (through > durable_) {
      durable_ = through;
      mark_durable(through);
    }
  }

  std::string where_;
  Options opts_;
  PathTemplate template_;
  std::unique_ptr<connect::s3::Client> client_;
  size_t part_size_ = 8u << 20;
  bool zstd_ = false;
  double rotate_interval_ = 60;
  std::map<std::string, std::unique_ptr<Object>> open_;
  std::deque<std::unique_ptr<Object>> closing_;
  std::map<std::string, uint64_t> next_seq_;
  uint64_t last_seq_ = 0, durable_ = 0;
};

}  // namespace

std::unique_ptr<Sink> open_s3_sink(const Endpoint& endpoint, const Options& opts) {
  return std::make_unique<S3Sink>(endpoint, opts);
}

}  // namespace sp::sink
