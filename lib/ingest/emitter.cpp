#include "ingest/emitter.h"

#include <unistd.h>

#include "ack/ack.h"
#include "ingest/formats/timestamp.h"
#include "json/writer.h"

namespace sp::ingest {

Emitter::Emitter(cli::Program& prog, io::Output& out, EmitterOptions opts)
    : prog_(prog), out_(out), opts_(std::move(opts)) {
  if (opts_.host.empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0) opts_.host = buf;
  }
  json::append_string(host_json_, opts_.host);
  refresh_clock();
}

void Emitter::refresh_clock() {
  if (!opts_.add_meta) return;
  ingest_ts_.clear();
  append_rfc3339_ms(ingest_ts_, now_ms());
}

void Emitter::write(std::string_view json, const RecordOrigin& o) {
  prog_.stats().records_out.add();
  bool position = opts_.positions && !o.ack_partition.empty();
  if (position) {
    if (!last_emitted_ || o.ack_partition != last_partition_) {
      auto it = emitted_.find(o.ack_partition);
      if (it == emitted_.end()) it = emitted_.emplace(std::string(o.ack_partition), 0).first;
      last_partition_.assign(o.ack_partition);
      last_emitted_ = &it->second;
    }
    *last_emitted_ = o.ack_offset;
  }
  if (!opts_.add_meta && !position) {
    out_.write_line(json);
    return;
  }
  // Splice the members in before the object's closing brace.
  size_t close = json.find_last_not_of(" \t\r\n");
  size_t open = json.find_first_not_of(" \t\r\n");
  if (close == std::string_view::npos || json[close] != '}' || json[open] != '{') {
    // Not an object: nowhere to put them (a later record's position covers this one).
    out_.write_line(json);
    return;
  }
  size_t before = json.find_last_not_of(" \t\r\n", close - 1);
  line_.assign(json.data(), close);
  bool empty = json[before] == '{';
  if (opts_.add_meta) {
    if (!empty) line_ += ',';
    empty = false;
    append_meta(o);
  }
  if (position) {
    if (!empty) line_ += ',';
    line_ += "\"_sp\":\"";
    ack::append_position(line_, o.ack_partition, o.ack_offset);
    line_ += '"';
  }
  line_ += '}';
  out_.write_line(line_);
}

void Emitter::append_meta(const RecordOrigin& o) {
  json::append_string(line_, opts_.meta_field);
  line_ += ":{";
  if (!o.meta_members.empty()) {
    line_ += o.meta_members;
  } else {
    line_ += o.is_url ? "\"url\":" : "\"file\":";
    json::append_string(line_, o.source);
  }
  if (!o.is_url && o.meta_members.empty()) {
    line_ += ",\"offset\":";
    json::append_uint(line_, o.offset);
    if (o.line) {
      line_ += ",\"line\":";
      json::append_uint(line_, o.line);
    }
  }
  line_ += ",\"host\":";
  line_ += host_json_;
  line_ += ",\"ingest_ts\":\"";
  line_ += ingest_ts_;
  line_ += "\"}";
}

void Emitter::reject(const RecordOrigin& o, std::string_view error, std::string_view raw, bool truncated,
                     uint64_t total_bytes) {
  std::string_view source = o.source == "-" ? std::string_view() : o.source;
  prog_.reject({source, o.line, o.offset, error, raw, truncated, total_bytes, {}});
}

void Emitter::flush() { out_.flush(); }

void Emitter::close() { out_.close(); }

}  // namespace sp::ingest
