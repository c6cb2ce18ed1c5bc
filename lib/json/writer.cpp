#include "json/writer.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

namespace sp::json {
namespace {

const char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at p (1..4), or 0 when it is not valid.
size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void append_string(std::string& out, std::string_view s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  bool valid = is_valid_utf8(s);
  while (p < end) {
    // Copy the longest run that needs no escaping in one go.
    const auto* run = p;
    while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && (valid || *p < 0x80)) ++p;
    out.append(reinterpret_cast<const char*>(run), p - run);
    if (p >= end) break;
    unsigned char c = *p;
    switch (c) {
      case '"': out += "\\\""; ++p; continue;
      case '\\': out += "\\\\"; ++p; continue;
      case '\n': out += "\\n"; ++p; continue;
      case '\r': out += "\\r"; ++p; continue;
      case '\t': out += "\\t"; ++p; continue;
      case '\b': out += "\\b"; ++p; continue;
      case '\f': out += "\\f"; ++p; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++p;
      continue;
    }
    // Only reached for input that is not valid UTF-8: keep valid sequences, replace the rest.
    size_t n = utf8_sequence_length(p, end);
    if (n) {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++p;
    }
  }
  out += '"';
}

void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    if (v == 0 && std::signbit(v)) out.insert(out.size() - 1, "-");
    return;
  }
  // Shortest text, but never a bare integer beyond 64 bits (2^64 would print as
  // "18446744073709551616", which simdjson, and so the next stage, rejects as a big integer).
  auto r = std::fabs(v) >= 9223372036854775808.0 ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific)
                                                 : std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_base64(std::string& out, std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = p[i] << 16;
    if (i + 1 < n) v |= p[i + 1] << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

ObjectWriter& ObjectWriter::key(std::string_view k) {
  if (!first_) out_ += ',';
  first_ = false;
  append_string(out_, k);
  out_ += ':';
  return *this;
}

}  // namespace sp::json
