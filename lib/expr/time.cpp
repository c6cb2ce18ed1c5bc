#include "expr/time.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace sp::expr {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kNanosPerDay = kSecondsPerDay * kNanosPerSecond;

const char* const kMonths[12] = {"January", "February", "March",     "April",   "May",      "June",
                                 "July",    "August",   "September", "October", "November", "December"};
const char* const kDays[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Reads between 1 and `max` digits at text[i].
bool read_int(std::string_view text, size_t& i, int max, int64_t& out) {
  size_t start = i;
  int64_t v = 0;
  while (i < text.size() && is_digit(text[i]) && static_cast<int>(i - start) < max) v = v * 10 + (text[i++] - '0');
  out = v;
  return i > start;
}

// Reads fraction digits as nanoseconds; digits past the ninth are consumed and ignored.
bool read_fraction(std::string_view text, size_t& i, int64_t& nanos) {
  size_t start = i;
  int64_t v = 0;
  int n = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (n < 9) {
      v = v * 10 + (text[i] - '0');
      ++n;
    }
    ++i;
  }
  if (i == start) return false;
  for (; n < 9; ++n) v *= 10;
  nanos = v;
  return true;
}

// "+hh:mm", "+hhmm", "+hh", "Z": seconds east of UTC.
bool read_offset(std::string_view text, size_t& i, int64_t& offset) {
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
    offset = 0;
    return true;
  }
  if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return false;
  int sign = text[i] == '-' ? -1 : 1;
  ++i;
  if (i + 2 > text.size() || !is_digit(text[i]) || !is_digit(text[i + 1])) return false;
  int64_t hh = (text[i] - '0') * 10 + (text[i + 1] - '0');
  i += 2;
  int64_t mm = 0;
  if (i < text.size() && text[i] == ':') ++i;
  if (i + 2 <= text.size() && is_digit(text[i]) && is_digit(text[i + 1])) {
    mm = (text[i] - '0') * 10 + (text[i + 1] - '0');
    i += 2;
  }
  if (hh > 23 || mm > 59) return false;
  offset = sign * (hh * 3600 + mm * 60);
  return true;
}

// Combines calendar fields into nanoseconds; nullopt when a field is out of range.
std::optional<int64_t> make_time(int64_t y, int64_t mon, int64_t d, int64_t h, int64_t mi, int64_t s,
                                 int64_t nanos, int64_t offset) {
  if (y < 1 || y > 9999 || mon < 1 || mon > 12 || d < 1 ||
      d > static_cast<int64_t>(days_in_month(y, static_cast<unsigned>(mon))) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d));
  int64_t secs = days * kSecondsPerDay + h * 3600 + mi * 60 + s - offset;
  int64_t ns;
  if (__builtin_mul_overflow(secs, kNanosPerSecond, &ns) || __builtin_add_overflow(ns, nanos, &ns))
    return std::nullopt;
  return ns;
}

bool match_name(std::string_view text, size_t& i, const char* const* names, int count, int& found) {
  // Full names first, then three-letter abbreviations, case-insensitive.
  for (int pass = 0; pass < 2; ++pass) {
    for (int k = 0; k < count; ++k) {
      size_t len = pass == 0 ? std::strlen(names[k]) : 3;
      if (i + len > text.size()) continue;
      bool eq = true;
      for (size_t j = 0; j < len && eq; ++j) eq = lower_ascii(text[i + j]) == lower_ascii(names[k][j]);
      if (eq) {
        i += len;
        found = k;
        return true;
      }
    }
  }
  return false;
}

void put2(std::string& out, int64_t v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

void put_padded(std::string& out, int64_t v, int width) {
  char buf[24];
  int n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) out += '-';
  for (int k = n; k < width; ++k) out += '0';
  while (n) out += buf[--n];
}

// Appends the digits of a fraction `num/den` (0 < num < den, den a power of ten) without
// trailing zeros, after a '.'.
void put_fraction(std::string& out, uint64_t num, uint64_t den) {
  if (num == 0) return;
  out += '.';
  while (num) {
    den /= 10;
    out += static_cast<char>('0' + num / den);
    num %= den;
  }
}

struct Fields {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
  int64_t yday = -1;
  int64_t hour12 = -1;
  int pm = -1;
  bool epoch = false;
  int64_t epoch_ns = 0;
};

// Parses with `fmt`; `check_only` validates the format alone (text ignored). Returns an error
// message for a bad format, "" on success, and sets `ok` for the text.
std::string run_parse(std::string_view text, std::string_view fmt, Fields& f, bool& ok) {
  size_t i = 0;
  ok = true;
  auto fail = [&] { ok = false; };
  for (size_t k = 0; k < fmt.size() && ok; ++k) {
    char c = fmt[k];
    if (c == ' ' || c == '\t') {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      continue;
    }
    if (c != '%') {
      if (i < text.size() && text[i] == c)
        ++i;
      else
        fail();
      continue;
    }
    if (++k >= fmt.size()) return "time format ends with a lone '%'";
    int64_t v = 0;
    int found = 0;
    switch (fmt[k]) {
      case 'Y': {
        bool neg = i < text.size() && text[i] == '-';
        if (neg) ++i;
        if (!read_int(text, i, 4, v)) fail();
        f.year = neg ? -v : v;
        break;
      }
      case 'm': if (!read_int(text, i, 2, f.month)) fail(); break;
      case 'd': if (!read_int(text, i, 2, f.day)) fail(); break;
      case 'e':
        while (i < text.size() && text[i] == ' ') ++i;
        if (!read_int(text, i, 2, f.day)) fail();
        break;
      case 'H': if (!read_int(text, i, 2, f.hour)) fail(); break;
      case 'I': if (!read_int(text, i, 2, f.hour12)) fail(); break;
      case 'M': if (!read_int(text, i, 2, f.minute)) fail(); break;
      case 'S': if (!read_int(text, i, 2, f.second)) fail(); break;
      case 'j': if (!read_int(text, i, 3, f.yday)) fail(); break;
      case 'y':
        if (!read_int(text, i, 2, v)) fail();
        f.year = v < 69 ? 2000 + v : 1900 + v;
        break;
      case 'f': if (!read_fraction(text, i, f.nanos)) fail(); break;
      case 'z': if (!read_offset(text, i, f.offset)) fail(); break;
      case 'Z':
        if (text.substr(i, 3) == "UTC" || text.substr(i, 3) == "GMT")
          i += 3;
        else if (i < text.size() && text[i] == 'Z')
          ++i;
        else
          fail();
        break;
      case 'b': case 'h': case 'B':
        if (match_name(text, i, kMonths, 12, found))
          f.month = found + 1;
        else
          fail();
        break;
      case 'a': case 'A':
        if (!match_name(text, i, kDays, 7, found)) fail();
        break;
      case 'p':
        if (i + 2 <= text.size() && lower_ascii(text[i + 1]) == 'm' &&
            (lower_ascii(text[i]) == 'a' || lower_ascii(text[i]) == 'p')) {
          f.pm = lower_ascii(text[i]) == 'p';
          i += 2;
        } else {
          fail();
        }
        break;
      case 's': {
        bool neg = i < text.size() && text[i] == '-';
        if (neg) ++i;
        // Up to 12 digits, but only as many seconds as nanoseconds in 64 bits hold (year 2262).
        if (!read_int(text, i, 12, v) || v > (INT64_MAX - (kNanosPerSecond - 1)) / kNanosPerSecond) {
          fail();
          break;
        }
        int64_t frac = 0;
        if (i < text.size() && text[i] == '.') {
          ++i;
          if (!read_fraction(text, i, frac)) fail();
        }
        f.epoch = true;
        f.epoch_ns = (neg ? -1 : 1) * (v * kNanosPerSecond + frac);
        break;
      }
      case 'T': {
        if (!read_int(text, i, 2, f.hour) || i >= text.size() || text[i++] != ':' ||
            !read_int(text, i, 2, f.minute) || i >= text.size() || text[i++] != ':' ||
            !read_int(text, i, 2, f.second))
          fail();
        break;
      }
      case 'F':
        if (!read_int(text, i, 4, f.year) || i >= text.size() || text[i++] != '-' ||
            !read_int(text, i, 2, f.month) || i >= text.size() || text[i++] != '-' ||
            !read_int(text, i, 2, f.day))
          fail();
        break;
      case 'D':
        if (!read_int(text, i, 2, f.month) || i >= text.size() || text[i++] != '/' ||
            !read_int(text, i, 2, f.day) || i >= text.size() || text[i++] != '/' || !read_int(text, i, 2, v))
          fail();
        f.year = v < 69 ? 2000 + v : 1900 + v;
        break;
      case '%':
        if (i < text.size() && text[i] == '%')
          ++i;
        else
          fail();
        break;
      default:
        return std::string("unknown directive '%") + fmt[k] + "' in time format";
    }
  }
  if (i != text.size()) ok = false;
  return "";
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

std::optional<int64_t> parse_rfc3339(std::string_view t) {
  size_t i = 0;
  int64_t y, mo, d, h = 0, mi = 0, s = 0, nanos = 0, offset = 0;
  auto fixed = [&](int n, int64_t& out) {
    if (i + n > t.size()) return false;
    int64_t v = 0;
    for (int k = 0; k < n; ++k) {
      if (!is_digit(t[i + k])) return false;
      v = v * 10 + (t[i + k] - '0');
    }
    i += n;
    out = v;
    return true;
  };
  auto expect = [&](char c) { return i < t.size() && t[i] == c ? (++i, true) : false; };
  if (!fixed(4, y) || !expect('-') || !fixed(2, mo) || !expect('-') || !fixed(2, d)) return std::nullopt;
  if (i < t.size()) {
    if (t[i] != 'T' && t[i] != 't' && t[i] != ' ') return std::nullopt;
    ++i;
    if (!fixed(2, h) || !expect(':') || !fixed(2, mi) || !expect(':') || !fixed(2, s)) return std::nullopt;
    if (i < t.size() && t[i] == '.') {
      ++i;
      if (!read_fraction(t, i, nanos)) return std::nullopt;
    }
    if (i < t.size() && !read_offset(t, i, offset)) return std::nullopt;
    if (i != t.size()) return std::nullopt;
  }
  return make_time(y, mo, d, h, mi, s, nanos, offset);
}

std::optional<int64_t> time_from_epoch_number(double n) {
  if (!std::isfinite(n)) return std::nullopt;
  int64_t unit = std::fabs(n) < 1e11 ? kNanosPerSecond : 1'000'000;
  double ip = std::trunc(n);
  if (std::fabs(ip) > 9.2e18 / static_cast<double>(unit)) return std::nullopt;
  int64_t whole = static_cast<int64_t>(ip) * unit;
  int64_t frac = static_cast<int64_t>(std::llround((n - ip) * static_cast<double>(unit)));
  return whole + frac;
}

std::optional<int64_t> parse_time_format(std::string_view text, std::string_view fmt) {
  Fields f;
  bool ok;
  if (!run_parse(text, fmt, f, ok).empty() || !ok) return std::nullopt;
  if (f.epoch) return f.epoch_ns;
  if (f.hour12 >= 0) {
    if (f.hour12 < 1 || f.hour12 > 12) return std::nullopt;
    f.hour = f.hour12 % 12 + (f.pm == 1 ? 12 : 0);
  } else if (f.pm == 1 && f.hour < 12) {
    f.hour += 12;
  }
  if (f.yday >= 0) {
    int64_t ylen = is_leap(f.year) ? 366 : 365;
    if (f.yday < 1 || f.yday > ylen) return std::nullopt;
    auto start = make_time(f.year, 1, 1, f.hour, f.minute, f.second, f.nanos, f.offset);
    if (!start) return std::nullopt;
    return *start + (f.yday - 1) * kNanosPerDay;
  }
  return make_time(f.year, f.month, f.day, f.hour, f.minute, f.second, f.nanos, f.offset);
}

std::string check_time_format(std::string_view fmt, bool for_parsing) {
  const char* known = for_parsing ? "YmdeHIMSjyfzZbhBaApsTFD%" : "YmdeHIMSjyfLNzZbhBaApsTFD%";
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') continue;
    if (++k >= fmt.size()) return "time format ends with a lone '%'";
    if (!std::strchr(known, fmt[k]))
      return std::string("unknown directive '%") + fmt[k] + "' in time format";
  }
  return "";
}

void format_time(std::string& out, int64_t ns, std::string_view fmt) {
  int64_t days = floor_div(ns, kNanosPerDay);
  int64_t rem = ns - days * kNanosPerDay;
  int64_t secs_of_day = rem / kNanosPerSecond;
  int64_t sub = rem % kNanosPerSecond;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  int64_t hour = secs_of_day / 3600, minute = secs_of_day / 60 % 60, second = secs_of_day % 60;
  int64_t wday = ((days + 4) % 7 + 7) % 7;
  for (size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if (c != '%' || k + 1 >= fmt.size()) {
      out += c;
      continue;
    }
    switch (fmt[++k]) {
      case 'Y': put_padded(out, y, 4); break;
      case 'y': put2(out, (y % 100 + 100) % 100); break;
      case 'm': put2(out, m); break;
      case 'd': put2(out, d); break;
      case 'e':
        if (d < 10) out += ' ';
        put_padded(out, d, 1);
        break;
      case 'H': put2(out, hour); break;
      case 'I': put2(out, hour % 12 == 0 ? 12 : hour % 12); break;
      case 'p': out += hour < 12 ? "AM" : "PM"; break;
      case 'M': put2(out, minute); break;
      case 'S': put2(out, second); break;
      case 'j': put_padded(out, days - days_from_civil(y, 1, 1) + 1, 3); break;
      case 'L': put_padded(out, sub / 1'000'000, 3); break;
      case 'f': put_padded(out, sub / 1'000, 6); break;
      case 'N': put_padded(out, sub, 9); break;
      case 'z': out += "+0000"; break;
      case 'Z': out += "UTC"; break;
      case 'b': case 'h': out.append(kMonths[m - 1], 3); break;
      case 'B': out += kMonths[m - 1]; break;
      case 'a': out.append(kDays[wday], 3); break;
      case 'A': out += kDays[wday]; break;
      case 's': put_padded(out, floor_div(ns, kNanosPerSecond), 1); break;
      case 'T':
        put2(out, hour), out += ':', put2(out, minute), out += ':', put2(out, second);
        break;
      case 'F':
        put_padded(out, y, 4), out += '-', put2(out, m), out += '-', put2(out, d);
        break;
      case 'D':
        put2(out, m), out += '/', put2(out, d), out += '/', put2(out, (y % 100 + 100) % 100);
        break;
      case '%': out += '%'; break;
      default:
        out += '%';
        out += fmt[k];
    }
  }
}

void format_rfc3339_ms(std::string& out, int64_t ns) { format_time(out, ns, "%Y-%m-%dT%H:%M:%S.%LZ"); }

void format_duration(std::string& out, int64_t ns) {
  if (ns == 0) {
    out += "0s";
    return;
  }
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (ns < 0) out += '-';
  const uint64_t sec = kNanosPerSecond;
  if (u < 1000) {
    put_padded(out, static_cast<int64_t>(u), 1);
    out += "ns";
  } else if (u < 1'000'000) {
    put_padded(out, static_cast<int64_t>(u / 1000), 1);
    put_fraction(out, u % 1000, 1000);
    out += "us";
  } else if (u < sec) {
    put_padded(out, static_cast<int64_t>(u / 1'000'000), 1);
    put_fraction(out, u % 1'000'000, 1'000'000);
    out += "ms";
  } else {
    uint64_t s = u / sec, frac = u % sec;
    uint64_t dd = s / 86400, hh = s / 3600 % 24, mm = s / 60 % 60, ss = s % 60;
    if (dd) put_padded(out, static_cast<int64_t>(dd), 1), out += 'd';
    if (hh) put_padded(out, static_cast<int64_t>(hh), 1), out += 'h';
    if (mm) put_padded(out, static_cast<int64_t>(mm), 1), out += 'm';
    if (ss || frac) {
      put_padded(out, static_cast<int64_t>(ss), 1);
      put_fraction(out, frac, sec);
      out += 's';
    }
  }
}

std::optional<int64_t> parse_duration(std::string_view t, size_t* bad_at) {
  size_t i = 0;
  __int128 total = 0;
  auto fail = [&](size_t at) -> std::optional<int64_t> {
    if (bad_at) *bad_at = at;
    return std::nullopt;
  };
  if (t.empty()) return fail(0);
  while (i < t.size()) {
    size_t start = i;
    __int128 whole = 0;
    while (i < t.size() && is_digit(t[i])) {
      whole = whole * 10 + (t[i++] - '0');
      if (whole > (__int128)1 << 80) return fail(start);
    }
    if (i == start) return fail(i);
    __int128 frac_num = 0, frac_den = 1;
    if (i < t.size() && t[i] == '.') {
      ++i;
      size_t fs = i;
      while (i < t.size() && is_digit(t[i])) {
        if (frac_den < (__int128)1'000'000'000'000'000'000) {
          frac_num = frac_num * 10 + (t[i] - '0');
          frac_den *= 10;
        }
        ++i;
      }
      if (i == fs) return fail(i);
    }
    size_t us = i;
    int64_t unit = 0;
    auto rest = t.substr(i);
    if (rest.starts_with("ns")) unit = 1, i += 2;
    else if (rest.starts_with("us")) unit = 1000, i += 2;
    else if (rest.starts_with("\xC2\xB5s")) unit = 1000, i += 3;  // µs
    else if (rest.starts_with("ms")) unit = 1'000'000, i += 2;
    else if (rest.starts_with("s")) unit = kNanosPerSecond, i += 1;
    else if (rest.starts_with("m")) unit = 60 * kNanosPerSecond, i += 1;
    else if (rest.starts_with("h")) unit = 3600 * kNanosPerSecond, i += 1;
    else if (rest.starts_with("d")) unit = 86400 * kNanosPerSecond, i += 1;
    else return fail(us);
    total += whole * unit + (frac_num * unit + frac_den / 2) / frac_den;
    if (total > std::numeric_limits<int64_t>::max()) return fail(start);
  }
  return static_cast<int64_t>(total);
}

}  // namespace sp::expr
