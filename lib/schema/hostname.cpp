// Host names for format "hostname" (RFC 1123, with A-labels checked as IDNA2008) and
// "idn-hostname" (RFC 5890: U-labels too). The IDNA2008 tables are approximated by the
// rules that matter in practice: Punycode round trip, no leading combining mark, the
// contextual rules of RFC 5892 appendix A, a short list of disallowed code points, and
// the RFC 5893 Bidi rule for Hebrew/Arabic-script labels.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/formats.h"

namespace sp::schema {

namespace {

constexpr uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;

uint32_t adapt(uint32_t delta, uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  uint32_t k = 0;
  while (delta > ((kBase - kTmin) * kTmax) / 2) {
    delta /= kBase - kTmin;
    k += kBase;
  }
  return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
}

bool punycode_decode(std::string_view in, std::vector<uint32_t>& out) {
  out.clear();
  size_t b = in.rfind('-');
  size_t pos = 0;
  if (b != std::string_view::npos) {
    for (size_t j = 0; j < b; j++) {
      if (static_cast<unsigned char>(in[j]) >= 0x80) return false;
      out.push_back(static_cast<unsigned char>(in[j]));
    }
    pos = b + 1;
  }
  uint64_t n = 128, i = 0, bias = 72;
  while (pos < in.size()) {
    uint64_t old = i, w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (pos >= in.size()) return false;
      char c = in[pos++];
      uint32_t digit = c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? c - 'A' : c >= '0' && c <= '9' ? c - '0' + 26 : 99;
      if (digit >= kBase) return false;
      i += digit * w;
      if (i > 0x10FFFF * 64) return false;
      uint32_t t = k <= bias ? kTmin : k >= bias + kTmax ? kTmax : k - static_cast<uint32_t>(bias);
      if (digit < t) break;
      w *= kBase - t;
    }
    uint32_t len = static_cast<uint32_t>(out.size()) + 1;
    bias = adapt(static_cast<uint32_t>(i - old), len, old == 0);
    n += i / len;
    i %= len;
    if (n > 0x10FFFF) return false;
    out.insert(out.begin() + static_cast<ptrdiff_t>(i), static_cast<uint32_t>(n));
    i++;
  }
  return true;
}

std::string punycode_encode(const std::vector<uint32_t>& in) {
  std::string out;
  for (uint32_t c : in)
    if (c < 0x80) out += static_cast<char>(c);
  uint32_t b = static_cast<uint32_t>(out.size()), h = b;
  if (b > 0) out += '-';
  uint64_t n = 128, delta = 0, bias = 72;
  auto digit = [](uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + d - 26); };
  while (h < in.size()) {
    uint64_t m = UINT64_MAX;
    for (uint32_t c : in)
      if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    n = m;
    for (uint32_t c : in) {
      if (c < n) delta++;
      if (c != n) continue;
      uint64_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        uint32_t t = k <= bias ? kTmin : k >= bias + kTmax ? kTmax : k - static_cast<uint32_t>(bias);
        if (q < t) break;
        out += digit(static_cast<uint32_t>(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out += digit(static_cast<uint32_t>(q));
      bias = adapt(static_cast<uint32_t>(delta), h + 1, h == b);
      delta = 0;
      h++;
    }
    delta++;
    n++;
  }
  return out;
}

bool decode_utf8(std::string_view s, std::vector<uint32_t>& out) {
  out.clear();
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; k++) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return true;
}

bool in(uint32_t c, uint32_t lo, uint32_t hi) { return c >= lo && c <= hi; }

bool combining_mark(uint32_t c) {
  return in(c, 0x0300, 0x036F) || in(c, 0x0483, 0x0489) || in(c, 0x0591, 0x05BD) || in(c, 0x0610, 0x061A) ||
         in(c, 0x064B, 0x065F) || c == 0x0670 || in(c, 0x06D6, 0x06DC) || in(c, 0x06DF, 0x06E4) ||
         in(c, 0x0900, 0x0903) || (in(c, 0x093A, 0x094F) && c != 0x093D) || in(c, 0x0951, 0x0957) ||
         in(c, 0x0981, 0x0983) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) || in(c, 0x20D0, 0x20FF) ||
         in(c, 0xFE20, 0xFE2F);
}

bool virama(uint32_t c) {
  return c == 0x094D || c == 0x09CD || c == 0x0A4D || c == 0x0ACD || c == 0x0B4D || c == 0x0BCD || c == 0x0C4D ||
         c == 0x0CCD || c == 0x0D4D || c == 0x0DCA || c == 0x0E3A || c == 0x1039 || c == 0x17D2;
}

bool rtl(uint32_t c) {  // Bidi classes R and AL, roughly
  return (in(c, 0x0590, 0x08FF) && !in(c, 0x0660, 0x0669) && !in(c, 0x06F0, 0x06F9) && !combining_mark(c)) ||
         in(c, 0xFB1D, 0xFDFF) || in(c, 0xFE70, 0xFEFF);
}

bool disallowed(uint32_t c) {
  return (in(c, 0x80, 0xBF) && c != 0xB7) || in(c, 0xC0, 0xDE) || c == 0xF7 || c == 0x0640 || c == 0x07FA ||
         in(c, 0x302E, 0x302F) || in(c, 0x3031, 0x3035) || c == 0x303B || in(c, 0x2000, 0x200B) ||
         in(c, 0x200E, 0x206F) || in(c, 0xFFF0, 0xFFFF);
}

bool ldh_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char c : l)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// RFC 5891 section 5.4 checks on a U-label's code points.
bool u_label_ok(const std::vector<uint32_t>& l) {
  if (l.empty()) return false;
  if (l.front() == '-' || l.back() == '-') return false;
  if (l.size() >= 4 && l[2] == '-' && l[3] == '-') return false;
  if (combining_mark(l[0])) return false;
  bool arabic_digits = false, extended_digits = false;
  for (size_t i = 0; i < l.size(); i++) {
    uint32_t c = l[i];
    if (c >= 'A' && c <= 'Z') return false;
    if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    if (disallowed(c)) return false;
    uint32_t prev = i ? l[i - 1] : 0, next = i + 1 < l.size() ? l[i + 1] : 0;
    switch (c) {
      case 0x200C:
      case 0x200D:
        if (!virama(prev)) return false;
        break;
      case 0x00B7:
        if (prev != 'l' || next != 'l') return false;
        break;
      case 0x0375:
        if (!(in(next, 0x0370, 0x03FF) || in(next, 0x1F00, 0x1FFF))) return false;
        break;
      case 0x05F3:
      case 0x05F4:
        if (!in(prev, 0x0590, 0x05FF)) return false;
        break;
      case 0x30FB: {
        bool ok = false;
        for (uint32_t o : l)
          if (o != 0x30FB && (in(o, 0x3040, 0x30FF) || in(o, 0x3400, 0x4DBF) || in(o, 0x4E00, 0x9FFF))) ok = true;
        if (!ok) return false;
        break;
      }
      default:
        break;
    }
    arabic_digits |= in(c, 0x0660, 0x0669);
    extended_digits |= in(c, 0x06F0, 0x06F9);
  }
  return !(arabic_digits && extended_digits);
}

// RFC 5893 section 2, for a label of a domain that has right-to-left labels.
bool bidi_ok(const std::vector<uint32_t>& l) {
  if (l.empty()) return true;
  bool is_rtl = rtl(l[0]);
  bool en = false, an = false;
  for (uint32_t c : l) {
    bool digit = c >= '0' && c <= '9';
    en |= digit || in(c, 0x06F0, 0x06F9);
    an |= in(c, 0x0660, 0x0669);
    if (is_rtl) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return false;
    } else if (rtl(c) || in(c, 0x0660, 0x0669)) {
      return false;
    }
  }
  if (is_rtl) return !(en && an);
  uint32_t first = l[0];
  return !(first >= '0' && first <= '9') && first != '-';
}

}  // namespace

bool check_hostname(std::string_view s, bool unicode) {
  if (s.empty()) return false;
  std::vector<std::vector<uint32_t>> labels;
  std::vector<uint32_t> cps;
  if (!decode_utf8(s, cps)) return false;
  labels.emplace_back();
  for (uint32_t c : cps) {
    if (c == '.' || (unicode && (c == 0x3002 || c == 0xFF0E || c == 0xFF61))) {
      labels.emplace_back();
    } else {
      if (c >= 0x80 && !unicode) return false;
      labels.back().push_back(c);
    }
  }
  size_t total = 0;
  bool any_rtl = false;
  std::vector<std::vector<uint32_t>> ulabels;
  for (const auto& l : labels) {
    if (l.empty()) return false;
    bool ascii = true;
    for (uint32_t c : l) ascii = ascii && c < 0x80;
    std::vector<uint32_t> u;
    if (ascii) {
      std::string a(l.begin(), l.end());
      if (!ldh_label(a)) return false;
      total += a.size() + 1;
      if (a.size() >= 4 && (a[0] == 'x' || a[0] == 'X') && (a[1] == 'n' || a[1] == 'N') && a[2] == '-' && a[3] == '-') {
        std::string lower;
        for (size_t k = 4; k < a.size(); k++) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(a[k])));
        if (!punycode_decode(a.substr(4), u) || u.empty() || punycode_encode(u) != lower) return false;
        bool non_ascii = false;
        for (uint32_t c : u) non_ascii |= c >= 0x80;
        if (!non_ascii || !u_label_ok(u)) return false;
      } else {
        if (a.size() >= 4 && a[2] == '-' && a[3] == '-') return false;  // reserved for other ACE prefixes
        u = l;
      }
    } else {
      if (!u_label_ok(l)) return false;
      size_t alen = 4 + punycode_encode(l).size();
      if (alen > 63) return false;
      total += alen + 1;
      u = l;
    }
    for (uint32_t c : u) any_rtl |= rtl(c) || in(c, 0x0660, 0x0669);
    ulabels.push_back(std::move(u));
  }
  if (total - 1 > 253) return false;
  if (any_rtl) {
    for (const auto& u : ulabels)
      if (!bidi_ok(u)) return false;
  }
  return true;
}

}  // namespace sp::schema
