#include "cli/dead_letter.h"

#include "cli/redact.h"
#include "json/writer.h"

namespace sp::cli {

DeadLetter::DeadLetter(const std::string& path) : path_(path) {
  if (path.empty()) return;
  io::OutputOptions opts;
  opts.append = true;
  opts.mode = 0600;  // rejected records may hold anything: keep them private
  opts.sync_on_close = true;
  out_ = io::Output::open(path, opts);
}

void DeadLetter::write(const Rejection& r) {
  ++written_;
  if (!out_) return;
  line_.clear();
  json::ObjectWriter w(line_);
  // The raw text is the record as it came; what the program says about it is redacted.
  if (!r.source.empty()) w.str("source", needs_redaction(r.source) ? redact(r.source) : r.source);
  w.uinteger("line", r.line);
  w.uinteger("offset", r.offset);
  w.str("error", needs_redaction(r.error) ? redact(r.error) : r.error);
  w.str("raw", r.raw);
  if (!json::is_valid_utf8(r.raw)) {
    w.key("raw_base64");
    json::append_base64(line_, r.raw);
  }
  if (r.raw_truncated) {
    w.boolean("raw_truncated", true);
    w.uinteger("raw_bytes", r.raw_bytes);
  }
  line_ += r.extra_members;
  w.close();
  out_->write_line(line_);
}

void DeadLetter::close() {
  if (out_) out_->close();
}

}  // namespace sp::cli
