#include "expr/like.h"

namespace sp::expr {
namespace {

size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

char fold(char c, bool on) { return on && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool like_match(std::string_view pat, std::string_view s, bool ci) {
  // The classic single-backtrack wildcard walk: on a mismatch, let the last '%' absorb one
  // more character. Correct because '_' and literals have a fixed length in characters.
  size_t p = 0, i = 0;
  size_t star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size()) {
      char c = pat[p];
      if (c == '%') {
        star_p = ++p;
        star_i = i;
        continue;
      }
      if (c == '_') {
        i += utf8_len(static_cast<unsigned char>(s[i]));
        ++p;
        continue;
      }
      size_t plen = 1;
      if (c == '\\' && p + 1 < pat.size()) {
        c = pat[p + 1];
        plen = 2;
      }
      if (fold(c, ci) == fold(s[i], ci)) {
        ++i;
        p += plen;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    star_i += utf8_len(static_cast<unsigned char>(s[star_i]));
    i = star_i;
    p = star_p;
  }
  while (p < pat.size() && pat[p] == '%') ++p;
  return p == pat.size();
}

LikePattern::LikePattern(std::string_view pattern, bool fold_case) : pattern_(pattern), fold_case_(fold_case) {
  if (fold_case) return;  // the general walk folds case; the fast shapes do not
  // Split into literal runs and '%'; any '_' makes the pattern general.
  std::string parts[3];
  int n = 0;  // literal runs seen
  bool star_before[4] = {false, false, false, false};
  std::string cur;
  bool in_lit = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '_') return;
    if (c == '%') {
      if (in_lit) {
        if (n >= 2) return;
        parts[n++] = cur;
        cur.clear();
        in_lit = false;
      }
      star_before[n] = true;
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
    cur += c;
    in_lit = true;
  }
  if (in_lit) {
    if (n >= 2) return;
    parts[n++] = cur;
  }
  bool lead = star_before[0], trail = star_before[n];
  if (n == 0) {
    shape_ = lead ? Shape::Any : Shape::Exact;  // '%' or ''
    return;
  }
  a_ = parts[0];
  if (n == 1) {
    shape_ = lead && trail ? Shape::Contains : lead ? Shape::Suffix : trail ? Shape::Prefix : Shape::Exact;
  } else if (!lead && !trail && star_before[1]) {
    b_ = parts[1];
    shape_ = Shape::PrefixSuffix;
  }
}

bool LikePattern::matches(std::string_view s) const {
  switch (shape_) {
    case Shape::Exact: return s == a_;
    case Shape::Prefix: return s.starts_with(a_);
    case Shape::Suffix: return s.ends_with(a_);
    case Shape::Contains: return s.find(a_) != std::string_view::npos;
    case Shape::PrefixSuffix: return s.size() >= a_.size() + b_.size() && s.starts_with(a_) && s.ends_with(b_);
    case Shape::Any: return true;
    case Shape::General: break;
  }
  return like_match(pattern_, s, fold_case_);
}

}  // namespace sp::expr
