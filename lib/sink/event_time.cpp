#include "sink/event_time.h"

#include <cmath>

#include "expr/time.h"

namespace sp::sink {

// Civil-date arithmetic is shared with the expression language.
using expr::days_from_civil;
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}


}  // namespace

bool parse_rfc3339_ms(std::string_view s, int64_t& ms) {
  int Y, M, D, h = 0, m = 0, sec = 0;
  if (!digits(s, 0, 4, Y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, M) || s[7] != '-' ||
      !digits(s, 8, 2, D))
    return false;
  if (M < 1 || M > 12 || D < 1 || D > 31) return false;
  size_t i = 10;
  int64_t frac_ms = 0;
  int64_t offset_s = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    if (!digits(s, i + 1, 2, h) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, m)) return false;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, sec)) return false;
      i += 3;
    }
    if (h > 23 || m > 59 || sec > 60) return false;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int n = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0) return false;
      for (int k = n; k < 3; ++k) frac_ms *= 10;
    }
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (!digits(s, i + 1, 2, oh)) return false;
        size_t j = i + 3;
        if (j < s.size() && s[j] == ':') ++j;
        if (!digits(s, j, 2, om)) return false;
        offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i = j + 2;
      } else {
        return false;
      }
    }
    if (i != s.size()) return false;
  }
  int64_t days = days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D));
  ms = ((days * 86400 + h * 3600 + m * 60 + sec) - offset_s) * 1000 + frac_ms;
  return true;
}

int64_t epoch_number_to_ms(double v) {
  if (std::fabs(v) >= 1e11) return static_cast<int64_t>(std::llround(v));
  return static_cast<int64_t>(std::llround(v * 1000.0));
}

}  // namespace sp::sink
