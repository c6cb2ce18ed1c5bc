// Building the JSON object of a parsed line: field by field into a reused string, with
// the typing rule the text formats share (logfmt, csv/tsv, regex): an unquoted value whose
// text is a JSON number becomes a number, everything else a string. When a time field is
// named, its value is normalized to RFC 3339 UTC (or the record is rejected).
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>

namespace sp::ingest {

// Appends `s`, which must be valid UTF-8, as a quoted JSON string.
void append_utf8_string(std::string& out, std::string_view s);

// A member name as a reader of the record will see it: `s` itself when it is valid UTF-8,
// else with U+FFFD where the JSON writer puts one, into `out`. Names that are to be unique
// (CSV headers, logfmt keys, syslog structured data) are compared in this form: "\xc2" and
// "\xd6" are two names in the input but the same one in the output.
std::string_view name_as_written(std::string_view s, std::string& out);

// True when `s` is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s);

// For the formats whose records have fixed field names and a time field named by --time-field
// (syslog, access logs): throws sp::UsageError when `time_field` is one of `fields`, which would
// give the record that name twice (and read the other field as a time).
void check_time_field(std::string_view format, std::string_view time_field,
                      std::initializer_list<std::string_view> fields);

class RecordBuilder {
 public:
  explicit RecordBuilder(std::string time_field = "") : time_field_(std::move(time_field)) {}
  const std::string& time_field() const { return time_field_; }
  // When the record's text is known to be valid UTF-8 (checked before parsing), strings are
  // escaped without validating them again; otherwise invalid bytes become U+FFFD.
  void set_valid_utf8(bool v) { valid_utf8_ = v; }

  void begin(std::string& out);
  void string(std::string_view key, std::string_view value);
  // A number when `value` is one, else a string.
  void inferred(std::string_view key, std::string_view value);
  void raw(std::string_view key, std::string_view json);  // `json` must be JSON text
  void null(std::string_view key);
  void time(std::string_view key, int64_t ms);            // RFC 3339 string
  // Closes the object. False (with `error`) when the time field is missing or unparseable.
  bool end(std::string& error);

 private:
  void key(std::string_view k);
  bool time_value(std::string_view key, std::string_view value);
  std::string time_field_;
  std::string* out_ = nullptr;
  bool first_ = true;
  bool valid_utf8_ = false;
  bool time_seen_ = false;
  std::string time_error_;
};

}  // namespace sp::ingest
