#include "ingest/formats/timestamp.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include "expr/time.h"

namespace sp::ingest {

// Civil-date arithmetic is shared with the expression language.
using expr::civil_from_days;
using expr::days_from_civil;
namespace {



bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

int days_in_month(int y, int mo) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return mo == 2 && leap ? 29 : kDays[mo - 1];
}

// A day that the month has (2026-02-31 is not a date: it would read as March 3).
bool valid_fields(int y, int mo, int d, int h, int mi, int s) {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h <= 23 && mi <= 59 && s <= 60;
}

// Zone at s[pos..]: "Z", "+hh:mm", "+hhmm", "+hh", or nothing. Sets offset in minutes.
bool parse_zone(std::string_view s, size_t pos, int& offset_min) {
  offset_min = 0;
  if (pos == s.size()) return true;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if (s[pos] == ' ' && pos + 1 < s.size()) ++pos;  // "10:00:00 +0100"
  if (s[pos] != '+' && s[pos] != '-') return false;
  int sign = s[pos] == '-' ? -1 : 1;
  int hh, mm = 0;
  if (!digits(s, pos + 1, 2, hh)) return false;
  size_t p = pos + 3;
  if (p < s.size()) {
    if (s[p] == ':') ++p;
    if (!digits(s, p, 2, mm) || p + 2 != s.size()) return false;
  }
  if (hh > 23 || mm > 59) return false;
  offset_min = sign * (hh * 60 + mm);
  return true;
}

// Fraction after the seconds: ".123456" -> millis, returns the position after it.
size_t parse_fraction(std::string_view s, size_t pos, int& millis) {
  millis = 0;
  if (pos >= s.size() || (s[pos] != '.' && s[pos] != ',')) return pos;
  size_t p = pos + 1, n = 0;
  while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
    if (n < 3) millis = millis * 10 + (s[p] - '0');
    ++n;
    ++p;
  }
  if (n == 0) return std::string_view::npos;
  for (; n < 3; ++n) millis *= 10;
  return p;
}

bool parse_iso(std::string_view s, int64_t& ms) {
  int y, mo, d, h, mi, sec = 0, millis;
  if (!digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi))
    return false;
  size_t p = 16;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, 17, 2, sec)) return false;
    p = 19;
  }
  p = parse_fraction(s, p, millis);
  if (p == std::string_view::npos || !valid_fields(y, mo, d, h, mi, sec)) return false;
  int off;
  if (!parse_zone(s, p, off)) return false;
  ms = civil_to_ms(y, mo, d, h, mi, sec, millis) - static_cast<int64_t>(off) * 60000;
  return true;
}

bool parse_clf(std::string_view s, int64_t& ms) {
  // 24/Nov/2026:10:00:00 +0100
  int d, y, h, mi, sec, millis;
  if (s.size() < 20 || !digits(s, 0, 2, d) || s[2] != '/' || s[6] != '/' || !digits(s, 7, 4, y) || s[11] != ':' ||
      !digits(s, 12, 2, h) || s[14] != ':' || !digits(s, 15, 2, mi) || s[17] != ':' || !digits(s, 18, 2, sec))
    return false;
  int mo = month_from_abbrev(s.data() + 3);
  size_t p = parse_fraction(s, 20, millis);
  if (!mo || p == std::string_view::npos || !valid_fields(y, mo, d, h, mi, sec)) return false;
  int off;
  if (!parse_zone(s, p, off)) return false;
  ms = civil_to_ms(y, mo, d, h, mi, sec, millis) - static_cast<int64_t>(off) * 60000;
  return true;
}

bool parse_3164(std::string_view s, int64_t& ms) {
  // "Nov 24 10:00:00" or "Nov  4 10:00:00"
  if (s.size() < 15 || s[3] != ' ') return false;
  int mo = month_from_abbrev(s.data());
  int d, h, mi, sec, millis;
  size_t p = 4;
  if (s[p] == ' ') {
    if (!digits(s, 5, 1, d)) return false;
  } else if (!digits(s, 4, 2, d)) {
    return false;
  }
  if (s[6] != ' ' || !digits(s, 7, 2, h) || s[9] != ':' || !digits(s, 10, 2, mi) || s[12] != ':' ||
      !digits(s, 13, 2, sec))
    return false;
  p = parse_fraction(s, 15, millis);
  if (!mo || p != s.size() || !valid_fields(2000, mo, d, h, mi, sec)) return false;  // a leap year: Feb 29 may be
  int64_t now = now_ms();
  int64_t y;
  unsigned m_, d_;
  civil_from_days(now / 86400000, y, m_, d_);
  int year = static_cast<int>(y);
  if (civil_to_ms(year, mo, d, h, mi, sec, millis) > now + 86400000) --year;
  if (!valid_fields(year, mo, d, h, mi, sec)) return false;  // Feb 29 of a year that has none
  ms = civil_to_ms(year, mo, d, h, mi, sec, millis);
  return true;
}

bool parse_epoch(std::string_view s, int64_t& ms) {
  double v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  return epoch_to_ms(v, ms);
}

}  // namespace

int64_t civil_to_ms(int year, int month, int day, int hour, int minute, int second, int millis) {
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60000 + static_cast<int64_t>(second) * 1000 + millis;
}

int month_from_abbrev(const char* p) {
  static const char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int i = 0; i < 12; ++i)
    if (memcmp(p, kMonths + 3 * i, 3) == 0) return i + 1;
  return 0;
}

bool in_rfc3339_range(int64_t ms) {
  // 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z
  return ms >= -62167219200000 && ms <= 253402300799999;
}

bool epoch_to_ms(double v, int64_t& ms) {
  if (!(v >= 0) || v > 1e15) return false;  // (also NaN) 1e15 ms is past the year 9999 already
  ms = v >= 1e11 ? static_cast<int64_t>(v) : static_cast<int64_t>(v * 1000 + 0.5);
  return in_rfc3339_range(ms);
}

bool parse_timestamp(std::string_view text, int64_t& ms) {
  if (text.empty()) return false;
  char c = text[0];
  bool ok;
  if (c >= '0' && c <= '9') {
    if (text.size() >= 16 && text[4] == '-') ok = parse_iso(text, ms);
    else if (text.size() >= 20 && text[2] == '/') ok = parse_clf(text, ms);
    else ok = parse_epoch(text, ms);
  } else {
    ok = parse_3164(text, ms);
  }
  // A zone can move a time out of the range ("0000-01-01T00:30:00+01:00"), which RFC 3339 output
  // cannot show (append_rfc3339_ms would clamp the year).
  return ok && in_rfc3339_range(ms);
}

void append_rfc3339_ms(std::string& out, int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rem = ms - days * 86400000;
  int64_t y;
  unsigned mo, d;
  civil_from_days(days, y, mo, d);
  int h = static_cast<int>(rem / 3600000), mi = static_cast<int>(rem / 60000 % 60),
      s = static_cast<int>(rem / 1000 % 60), milli = static_cast<int>(rem % 1000);
  char buf[32];
  if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;
  buf[0] = static_cast<char>('0' + y / 1000);
  buf[1] = static_cast<char>('0' + y / 100 % 10);
  buf[2] = static_cast<char>('0' + y / 10 % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + mo / 10);
  buf[6] = static_cast<char>('0' + mo % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + d / 10);
  buf[9] = static_cast<char>('0' + d % 10);
  buf[10] = 'T';
  buf[11] = static_cast<char>('0' + h / 10);
  buf[12] = static_cast<char>('0' + h % 10);
  buf[13] = ':';
  buf[14] = static_cast<char>('0' + mi / 10);
  buf[15] = static_cast<char>('0' + mi % 10);
  buf[16] = ':';
  buf[17] = static_cast<char>('0' + s / 10);
  buf[18] = static_cast<char>('0' + s % 10);
  buf[19] = '.';
  buf[20] = static_cast<char>('0' + milli / 100);
  buf[21] = static_cast<char>('0' + milli / 10 % 10);
  buf[22] = static_cast<char>('0' + milli % 10);
  buf[23] = 'Z';
  out.append(buf, 24);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sp::ingest
