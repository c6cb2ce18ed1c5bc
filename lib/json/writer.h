// A small JSON writer: correct string escaping, numbers that round-trip, and an object
// builder for the records a program makes itself (dead-letter entries, stats, aggregates).
// Everything appends to a caller-owned std::string so that buffers are reused.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::json {

// Appends `s` as a quoted JSON string. Valid UTF-8 is copied; control characters are escaped.
// Bytes that are not valid UTF-8 become U+FFFD (use append_base64 to keep exact bytes).
void append_string(std::string& out, std::string_view s);
// The shortest text that reads back as the same double; integral values within 2^53 print
// without a fraction ("3", not "3.0"). NaN and infinities, which JSON lacks, print as null.
void append_number(std::string& out, double v);
void append_int(std::string& out, int64_t v);
void append_uint(std::string& out, uint64_t v);
void append_base64(std::string& out, std::string_view bytes);  // quoted, standard alphabet

// True when `s` is valid UTF-8 (simdjson's validator).
bool is_valid_utf8(std::string_view s);

// Builds one JSON object: ObjectWriter w(out); w.key("a").value(1); w.close();
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter& key(std::string_view k);
  ObjectWriter& str(std::string_view k, std::string_view v) { key(k); append_string(out_, v); return *this; }
  ObjectWriter& num(std::string_view k, double v) { key(k); append_number(out_, v); return *this; }
  ObjectWriter& integer(std::string_view k, int64_t v) { key(k); append_int(out_, v); return *this; }
  ObjectWriter& uinteger(std::string_view k, uint64_t v) { key(k); append_uint(out_, v); return *this; }
  ObjectWriter& boolean(std::string_view k, bool v) { key(k); out_ += v ? "true" : "false"; return *this; }
  ObjectWriter& null(std::string_view k) { key(k); out_ += "null"; return *this; }
  // `json` must already be valid JSON text.
  ObjectWriter& raw(std::string_view k, std::string_view json) { key(k); out_ += json; return *this; }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace sp::json
