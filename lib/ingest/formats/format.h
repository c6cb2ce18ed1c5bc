// Line formats: each turns the text of one record (a line, or lines joined by --multiline-start
// or by a quoted CSV field) into one JSON object. Formats are used by one thread at a time and
// keep their buffers between records: no allocation per record once they are warm.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sp::ingest {

struct FormatOptions {
  std::string spec = "json";         // json|raw|logfmt|csv|tsv|combined|common|syslog|regex:PATTERN
  std::vector<std::string> columns;  // csv/tsv: names instead of a header row
  std::string time_field;            // the field holding the event time ("" = default per format)
  bool valid_utf8 = true;            // records are checked for valid UTF-8 before parse()
};

// The text of one record. At least `capacity` bytes are readable from `data` (>= size +
// SIMDJSON_PADDING), so the json format can parse it in place.
struct RecordText {
  const char* data = nullptr;
  size_t size = 0;
  size_t capacity = 0;
  std::string_view view() const { return {data, size}; }
};

// Per-source state of a format (the header row of a CSV file). Most formats have none.
class FormatState {
 public:
  virtual ~FormatState() = default;
};

class Format {
 public:
  virtual ~Format() = default;
  // Builds the format named by opts.spec; throws sp::UsageError for an unknown name or a bad
  // pattern (with the column of the problem).
  static std::unique_ptr<Format> create(const FormatOptions& opts);

  virtual std::unique_ptr<FormatState> new_state() const { return nullptr; }
  // Parses one record. On success returns true and sets `json` to the record's JSON text: a
  // view of the input (pass-through) or of `out` (which the format may clear and fill). An
  // empty `json` means the text was consumed without making a record (a CSV header row).
  // On failure returns false with the reason in `error`.
  virtual bool parse(const RecordText& text, FormatState* state, std::string& out, std::string_view& json,
                     std::string& error) = 0;
  // csv/tsv: the field delimiter, so that a quoted field may span lines; 0 for other formats.
  virtual char quoted_field_delimiter() const { return 0; }
  // csv/tsv without --columns: the first record of each file is its header, needed again
  // when reading resumes in the middle of a file.
  virtual bool has_header_row() const { return false; }
  // True when a line that is not valid UTF-8 needs no check before parse() (json checks itself).
  virtual bool checks_utf8() const { return false; }
};

}  // namespace sp::ingest
