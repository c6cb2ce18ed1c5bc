#include "validate/timestamp.h"

#include <cstdlib>
#include <ctime>

#include "io/error.h"

#include "expr/time.h"

namespace sp::validate {

// Civil-date arithmetic is shared with the expression language.
using expr::civil_from_days;
using expr::days_from_civil;
namespace {



bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "+02:00", "-0530", "Z"; sets offset in ms east of UTC; returns chars used (0 on failure).
size_t parse_offset(std::string_view s, size_t pos, int64_t& offset_ms) {
  if (pos >= s.size()) return 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    offset_ms = 0;
    return 1;
  }
  if (s[pos] != '+' && s[pos] != '-') return 0;
  int h, m;
  size_t used;
  if (!digits(s, pos + 1, 2, h)) return 0;
  if (pos + 3 < s.size() && s[pos + 3] == ':') {
    if (!digits(s, pos + 4, 2, m)) return 0;
    used = 6;
  } else {
    if (!digits(s, pos + 3, 2, m)) return 0;
    used = 5;
  }
  if (h > 23 || m > 59) return 0;
  offset_ms = (h * 60 + m) * 60000LL * (s[pos] == '-' ? -1 : 1);
  return used;
}

bool valid_date(int y, int mo, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[mo - 1] + (mo == 2 && leap);
}

}  // namespace

TimestampParser::TimestampParser(const std::string& zone) : zone_(zone) {
  if (zone.empty() || zone == "UTC" || zone == "Z") return;
  if (parse_offset(zone, 0, offset_ms_) == zone.size()) return;
  std::string path = "/usr/share/zoneinfo/" + zone;
  FILE* f = fopen(path.c_str(), "rb");
  if (zone.find("..") != std::string::npos || !f) {
    if (f) fclose(f);
    throw UsageError("--tz: unknown time zone '" + zone + "' (use UTC, an offset like +02:00, or a name like Europe/Berlin)");
  }
  fclose(f);
  fixed_ = false;
  setenv("TZ", zone.c_str(), 1);
  tzset();
}

int64_t TimestampParser::local_to_utc_ms(int64_t local_ms) const {
  if (fixed_) return local_ms - offset_ms_;
  int64_t secs = local_ms >= 0 ? local_ms / 1000 : (local_ms - 999) / 1000;
  int64_t ms = local_ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  struct tm tm = {};
  tm.tm_year = static_cast<int>(y - 1900);
  tm.tm_mon = static_cast<int>(m) - 1;
  tm.tm_mday = static_cast<int>(d);
  tm.tm_hour = static_cast<int>(rem / 3600);
  tm.tm_min = static_cast<int>(rem % 3600 / 60);
  tm.tm_sec = static_cast<int>(rem % 60);
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);  // TZ was set to the zone
  return static_cast<int64_t>(t) * 1000 + ms;
}

std::optional<int64_t> TimestampParser::parse_text(std::string_view s) const {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  int y, mo, d, h, mi, sec;
  int64_t frac_ms = 0;
  size_t pos;
  if (digits(s, 0, 4, y) && s.size() >= 10 && s[4] == '-' && digits(s, 5, 2, mo) && s[7] == '-' &&
      digits(s, 8, 2, d)) {
    // ISO 8601 / RFC 3339
    if (s.size() == 10) {
      h = mi = sec = 0;
      pos = 10;
    } else {
      if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
      if (!digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, mi)) return std::nullopt;
      pos = 16;
      sec = 0;
      if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
        pos += 3;
      }
    }
  } else {
    // Common Log Format: 04/Dec/2005:04:47:44 +0000
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() < 20 || !digits(s, 0, 2, d) || s[2] != '/' || s[6] != '/' || !digits(s, 7, 4, y) ||
        s[11] != ':' || !digits(s, 12, 2, h) || s[14] != ':' || !digits(s, 15, 2, mi) || s[17] != ':' ||
        !digits(s, 18, 2, sec))
      return std::nullopt;
    mo = 0;
    for (int i = 0; i < 12; ++i)
      if (s.substr(3, 3) == kMonths[i]) mo = i + 1;
    if (!mo) return std::nullopt;
    pos = 20;
  }
  if (!valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int n = 0;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale) frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (!n) return std::nullopt;
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  int64_t local = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + std::min(sec, 59)) * 1000 + frac_ms;
  if (pos == s.size()) return local_to_utc_ms(local);
  int64_t off;
  size_t used = parse_offset(s, pos, off);
  if (!used || pos + used != s.size()) return std::nullopt;
  return local - off;
}

int64_t TimestampParser::from_epoch(double v) {
  double a = v < 0 ? -v : v;
  if (a >= 1e14) return static_cast<int64_t>(v / 1000);  // microseconds
  if (a >= 1e11) return static_cast<int64_t>(v);         // milliseconds
  return static_cast<int64_t>(v * 1000);                 // seconds
}

void TimestampParser::format_rfc3339_ms(int64_t ms, std::string& out) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t frac = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[128];
  snprintf(buf, sizeof buf, "\"%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ\"", static_cast<long long>(y), m, d,
           static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
           static_cast<long long>(rem % 60), static_cast<long long>(frac));
  out += buf;
}

}  // namespace sp::validate
