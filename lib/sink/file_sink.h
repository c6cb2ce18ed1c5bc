// Files: "-" (stdout), a plain path (appended to), or segments: a path template with event
// time codes and {seq}, cut by --rotate-size / --rotate-interval. A segment is written as
// NAME.tmp, fsync'd and renamed to NAME when complete, so a reader of the directory never
// sees a partial file under its final name.
#pragma once
#include <memory>
#include <string>

#include "sink/endpoint.h"
#include "sink/options.h"
#include "sink/sink.h"

namespace sp::sink {

std::unique_ptr<Sink> open_file_sink(const Endpoint& endpoint, const Options& opts);

// Path templates: strftime codes (%Y %m %d %H %M %S %j %%, UTC) from the record's event time
// and {seq}, a per-partition sequence number (000001, 000002...). Exposed for tests.
class PathTemplate {
 public:
  // `rotating`: segments are cut, so a {seq} is inserted when the template has none
  // ("out/events.ndjson" -> "out/events-{seq}.ndjson").
  PathTemplate(std::string text, bool rotating);
  bool has_time_codes() const { return has_time_; }
  bool is_segmented() const { return segmented_; }
  // The partition a time falls in: the template with the time codes filled in, {seq} kept.
  const std::string& partition(int64_t time_ms);
  // The partition with {seq} filled in.
  static std::string with_seq(const std::string& partition, uint64_t seq);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  bool has_time_ = false;
  bool segmented_ = false;
  int64_t cached_sec_ = -1;
  std::string cached_;
};

}  // namespace sp::sink
