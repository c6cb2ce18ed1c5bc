#include "ingest/formats/builder.h"

#include <simdjson.h>

#include "ingest/formats/timestamp.h"
#include "io/error.h"
#include "json/writer.h"

namespace sp::ingest {

void append_utf8_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (p < end && static_cast<unsigned char>(*p) >= 0x20 && *p != '"' && *p != '\\') ++p;
    out.append(run, static_cast<size_t>(p - run));
    if (p >= end) break;
    unsigned char c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out += '"';
}

std::string_view name_as_written(std::string_view s, std::string& out) {
  if (json::is_valid_utf8(s)) return s;
  std::string quoted;
  json::append_string(quoted, s);
  simdjson::padded_string padded(quoted);
  simdjson::dom::parser parser;
  std::string_view text;
  if (parser.parse(padded).get_string().get(text)) text = {};  // (the writer writes JSON strings)
  out.assign(text);
  return out;
}

bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  if (n == 0 || n > 40) return false;
  if (s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i == n;
}

void check_time_field(std::string_view format, std::string_view time_field,
                      std::initializer_list<std::string_view> fields) {
  for (std::string_view f : fields)
    if (time_field == f)
      throw UsageError("--time-field " + std::string(time_field) + ": --format " + std::string(format) +
                       " records have a '" + std::string(f) +
                       "' field of their own; the time needs another name (default ts)");
}

void RecordBuilder::begin(std::string& out) {
  out_ = &out;
  out.clear();
  out += '{';
  first_ = true;
  time_seen_ = false;
  time_error_.clear();
}

void RecordBuilder::key(std::string_view k) {
  if (!first_) *out_ += ',';
  first_ = false;
  if (valid_utf8_) append_utf8_string(*out_, k);
  else json::append_string(*out_, k);
  *out_ += ':';
}

bool RecordBuilder::time_value(std::string_view k, std::string_view value) {
  if (time_field_.empty() || k != time_field_) return false;
  int64_t ms;
  time_seen_ = true;
  key(k);
  if (parse_timestamp(value, ms)) {
    *out_ += '"';
    append_rfc3339_ms(*out_, ms);
    *out_ += '"';
  } else {
    json::append_string(*out_, value);
    if (time_error_.empty()) {
      time_error_ = "time field '" + time_field_ + "': cannot read '";
      time_error_.append(value.substr(0, 64));
      time_error_ += "' as a timestamp";
    }
  }
  return true;
}

void RecordBuilder::string(std::string_view k, std::string_view value) {
  if (time_value(k, value)) return;
  key(k);
  if (valid_utf8_) append_utf8_string(*out_, value);
  else json::append_string(*out_, value);
}

void RecordBuilder::inferred(std::string_view k, std::string_view value) {
  if (time_value(k, value)) return;
  key(k);
  if (is_json_number(value)) *out_ += value;
  else if (valid_utf8_) append_utf8_string(*out_, value);
  else json::append_string(*out_, value);
}

void RecordBuilder::raw(std::string_view k, std::string_view json) {
  if (k == time_field_) time_seen_ = true;
  key(k);
  *out_ += json;
}

void RecordBuilder::null(std::string_view k) {
  key(k);
  *out_ += "null";
}

void RecordBuilder::time(std::string_view k, int64_t ms) {
  if (k == time_field_) time_seen_ = true;
  key(k);
  *out_ += '"';
  append_rfc3339_ms(*out_, ms);
  *out_ += '"';
}

bool RecordBuilder::end(std::string& error) {
  *out_ += '}';
  if (!time_error_.empty()) {
    error = time_error_;
    return false;
  }
  if (!time_field_.empty() && !time_seen_) {
    error = "no time field '" + time_field_ + "'";
    return false;
  }
  return true;
}

}  // namespace sp::ingest
