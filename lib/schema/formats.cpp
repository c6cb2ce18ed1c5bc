// `format` checks (RFC 3339 dates and times, ISO 8601 durations, RFC 5321 e-mail,
// RFC 1123 host names, IP addresses, RFC 3986 URIs, RFC 6901 pointers, ...).
#include "schema/formats.h"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "schema/regex.h"

namespace sp::schema {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads exactly n digits at s[i..].
bool num(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; k++) {
    if (!digit(s[i + k])) return false;
    out = out * 10 + (s[i + k] - '0');
  }
  i += n;
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool parse_date(std::string_view s, size_t& i) {
  int y, m, d;
  if (!num(s, i, 4, y) || i >= s.size() || s[i++] != '-' || !num(s, i, 2, m) || i >= s.size() || s[i++] != '-' ||
      !num(s, i, 2, d))
    return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int max = days[m - 1] + (m == 2 && leap(y));
  return d <= max;
}

bool parse_time(std::string_view s, size_t& i) {
  int h, m, sec;
  if (!num(s, i, 2, h) || i >= s.size() || s[i++] != ':' || !num(s, i, 2, m) || i >= s.size() || s[i++] != ':' ||
      !num(s, i, 2, sec))
    return false;
  if (h > 23 || m > 59 || sec > 60) return false;
  if (i < s.size() && s[i] == '.') {
    i++;
    size_t start = i;
    while (i < s.size() && digit(s[i])) i++;
    if (i == start) return false;
  }
  if (i >= s.size()) return false;
  int offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    int sign = s[i] == '+' ? 1 : -1;
    i++;
    int oh, om;
    if (!num(s, i, 2, oh) || i >= s.size() || s[i++] != ':' || !num(s, i, 2, om)) return false;
    if (oh > 23 || om > 59) return false;
    offset = sign * (oh * 60 + om);
  } else {
    return false;
  }
  if (sec == 60) {
    int utc = ((h * 60 + m - offset) % 1440 + 1440) % 1440;
    if (utc != 23 * 60 + 59) return false;
  }
  return true;
}

bool is_date(std::string_view s) {
  size_t i = 0;
  return parse_date(s, i) && i == s.size();
}

bool is_time(std::string_view s) {
  size_t i = 0;
  return parse_time(s, i) && i == s.size();
}

bool is_date_time(std::string_view s) {
  size_t i = 0;
  if (!parse_date(s, i) || i >= s.size() || (s[i] != 'T' && s[i] != 't')) return false;
  i++;
  return parse_time(s, i) && i == s.size();
}

// RFC 3339 appendix A: P(nY)(nM)(nD)(T(nH)(nM)(nS)) or PnW, at least one element, in order.
bool is_duration(std::string_view s) {
  if (s.size() < 2 || s[0] != 'P') return false;
  size_t i = 1;
  auto elements = [&](std::string_view units) {
    int count = 0;
    size_t next = 0;
    while (i < s.size() && digit(s[i])) {
      while (i < s.size() && digit(s[i])) i++;
      if (i >= s.size()) return -1;
      size_t u = units.find(s[i], next);
      if (u == std::string_view::npos || (count > 0 && u != next)) return -1;
      next = u + 1;
      i++;
      count++;
    }
    return count;
  };
  if (s[i] != 'T') {
    // weeks stand alone
    size_t j = i;
    while (j < s.size() && digit(s[j])) j++;
    if (j > i && j + 1 == s.size() && s[j] == 'W') return true;
    int n = elements("YMD");
    if (n < 0) return false;
    if (i == s.size()) return n > 0;
  }
  if (s[i] != 'T') return false;
  i++;
  int n = elements("HMS");
  return n > 0 && i == s.size();
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && digit(s[i]) && i - start < 4) v = v * 10 + (s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || len > 3 || v > 255 || (len > 1 && s[start] == '0')) return false;
    parts++;
    if (parts == 4) return i == s.size();
    if (i >= s.size() || s[i] != '.') return false;
    i++;
  }
}

bool is_ipv6(std::string_view s) {
  if (s.size() > 45) return false;
  for (char c : s)
    if (!hex(c) && c != ':' && c != '.') return false;
  std::string z(s);
  unsigned char buf[16];
  return inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool is_email_local(std::string_view l, bool intl) {
  if (l.empty() || l.size() > 64) return false;
  if (l.front() == '"') {
    if (l.size() < 2 || l.back() != '"') return false;
    for (size_t i = 1; i + 1 < l.size(); i++) {
      if (l[i] == '\\') i++;
      else if (l[i] == '"') return false;
    }
    return true;
  }
  if (l.front() == '.' || l.back() == '.' || l.find("..") != std::string_view::npos) return false;
  for (unsigned char c : l) {
    if (alpha(c) || digit(c) || (intl && c >= 0x80)) continue;
    if (std::string_view("!#$%&'*+-/=?^_`{|}~.").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

bool is_email(std::string_view s, bool intl) {
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (!is_email_local(local, intl)) return false;
  if (domain.size() >= 2 && domain.front() == '[' && domain.back() == ']') {
    std::string_view lit = domain.substr(1, domain.size() - 2);
    if (lit.substr(0, 5) == "IPv6:") return is_ipv6(lit.substr(5));
    return is_ipv4(lit);
  }
  return check_hostname(domain, intl);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !hex(s[i])) return false;
  }
  return true;
}

bool is_json_pointer(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != '/') return false;
  for (size_t i = 0; i < s.size(); i++)
    if (s[i] == '~' && (i + 1 >= s.size() || (s[i + 1] != '0' && s[i + 1] != '1'))) return false;
  return true;
}

bool is_relative_json_pointer(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && digit(s[i])) i++;
  if (i == 0 || (i > 1 && s[0] == '0')) return false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    size_t j = ++i;
    while (i < s.size() && digit(s[i])) i++;
    if (i == j || (i - j > 1 && s[j] == '0') || (s[j] == '0' && i - j == 1 && s[j - 1] == '-')) return false;
  }
  std::string_view rest = s.substr(i);
  return rest == "#" || is_json_pointer(rest);
}

// RFC 3986 characters; `intl` also accepts any non-ASCII (RFC 3987 ucschar, approximately).
bool uri_chars(std::string_view s, std::string_view extra, bool intl) {
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    if (c >= 0x80) {
      if (!intl) return false;
      continue;
    }
    if (alpha(c) || digit(c) || std::string_view("-._~!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos ||
        extra.find(static_cast<char>(c)) != std::string_view::npos)
      continue;
    return false;
  }
  return true;
}

bool is_uri_like(std::string_view s, bool need_scheme, bool intl) {
  size_t i = 0;
  bool has_scheme = false;
  if (!s.empty() && alpha(s[0])) {
    size_t j = 1;
    while (j < s.size() && (alpha(s[j]) || digit(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.')) j++;
    if (j < s.size() && s[j] == ':') {
      has_scheme = true;
      i = j + 1;
    }
  }
  if (need_scheme && !has_scheme) return false;
  std::string_view rest = s.substr(i);
  size_t hash = rest.find('#');
  std::string_view frag;
  if (hash != std::string_view::npos) {
    frag = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (!uri_chars(frag, ":@/?", intl)) return false;
  }
  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    if (!uri_chars(rest.substr(q + 1), ":@/?", intl)) return false;
    rest = rest.substr(0, q);
  }
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    std::string_view auth = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    size_t at = auth.rfind('@');
    if (at != std::string_view::npos) {
      if (!uri_chars(auth.substr(0, at), ":", intl)) return false;
      auth = auth.substr(at + 1);
    }
    std::string_view host = auth, port;
    if (!auth.empty() && auth[0] == '[') {
      size_t close = auth.find(']');
      if (close == std::string_view::npos) return false;
      std::string_view lit = auth.substr(1, close - 1);
      if (!is_ipv6(lit) && !(lit.size() > 1 && (lit[0] == 'v' || lit[0] == 'V'))) return false;
      host = {};
      std::string_view after = auth.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') return false;
        port = after.substr(1);
      }
    } else {
      size_t colon = auth.rfind(':');
      if (colon != std::string_view::npos) {
        port = auth.substr(colon + 1);
        host = auth.substr(0, colon);
      }
    }
    for (char c : port)
      if (!digit(c)) return false;
    if (!uri_chars(host, "", intl)) return false;
  } else if (has_scheme == false && !rest.empty()) {
    // a relative path: its first segment has no ':'
    size_t slash = rest.find('/');
    if (rest.substr(0, slash).find(':') != std::string_view::npos) return false;
  }
  return uri_chars(rest, ":@/", intl);
}

// RFC 6570: literals and {expressions} with an optional operator and varspecs.
bool is_uri_template(std::string_view s) {
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos) return false;
      std::string_view e = s.substr(i + 1, close - i - 1);
      i = close;
      if (!e.empty() && std::string_view("+#./;?&").find(e[0]) != std::string_view::npos) e.remove_prefix(1);
      if (e.empty()) return false;
      size_t start = 0;
      while (true) {
        size_t comma = e.find(',', start);
        std::string_view spec = e.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (spec.empty()) return false;
        size_t colon = spec.find(':');
        std::string_view name = spec.substr(0, colon);
        if (colon != std::string_view::npos) {
          std::string_view len = spec.substr(colon + 1);
          if (len.empty() || len.size() > 4 || len[0] == '0') return false;
          for (char d : len)
            if (!digit(d)) return false;
        } else if (!name.empty() && name.back() == '*') {
          name.remove_suffix(1);
        }
        if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
          return false;
        for (size_t k = 0; k < name.size(); k++) {
          char ch = name[k];
          if (ch == '%') {
            if (k + 2 >= name.size() || !hex(name[k + 1]) || !hex(name[k + 2])) return false;
            k += 2;
          } else if (!alpha(ch) && !digit(ch) && ch != '_' && ch != '.') {
            return false;
          }
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      continue;
    }
    if (c == '}' || c <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' ||
        c == '^' || c == '`' || c == '|')
      return false;
    if (c == '%' && (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2]))) return false;
  }
  return true;
}

}  // namespace

Format format_from_name(std::string_view n) {
  if (n == "date-time") return Format::date_time;
  if (n == "date") return Format::date;
  if (n == "time") return Format::time;
  if (n == "duration") return Format::duration;
  if (n == "email") return Format::email;
  if (n == "idn-email") return Format::idn_email;
  if (n == "hostname") return Format::hostname;
  if (n == "idn-hostname") return Format::idn_hostname;
  if (n == "ipv4") return Format::ipv4;
  if (n == "ipv6") return Format::ipv6;
  if (n == "uri") return Format::uri;
  if (n == "uri-reference") return Format::uri_reference;
  if (n == "iri") return Format::iri;
  if (n == "iri-reference") return Format::iri_reference;
  if (n == "uri-template") return Format::uri_template;
  if (n == "uuid") return Format::uuid;
  if (n == "regex") return Format::regex;
  if (n == "json-pointer") return Format::json_pointer;
  if (n == "relative-json-pointer") return Format::relative_json_pointer;
  return Format::none;
}

bool check_format(Format f, std::string_view v) {
  switch (f) {
    case Format::none: return true;
    case Format::date_time: return is_date_time(v);
    case Format::date: return is_date(v);
    case Format::time: return is_time(v);
    case Format::duration: return is_duration(v);
    case Format::email: return is_email(v, false);
    case Format::idn_email: return is_email(v, true);
    case Format::hostname: return check_hostname(v, false);
    case Format::idn_hostname: return check_hostname(v, true);
    case Format::ipv4: return is_ipv4(v);
    case Format::ipv6: return is_ipv6(v);
    case Format::uri: return is_uri_like(v, true, false);
    case Format::uri_reference: return is_uri_like(v, false, false);
    case Format::iri: return is_uri_like(v, true, true);
    case Format::iri_reference: return is_uri_like(v, false, true);
    case Format::uri_template: return is_uri_template(v);
    case Format::uuid: return is_uuid(v);
    case Format::regex: return is_ecma_regex(v);
    case Format::json_pointer: return is_json_pointer(v);
    case Format::relative_json_pointer: return is_relative_json_pointer(v);
  }
  return true;
}

}  // namespace sp::schema
