#include "json/check.h"

#include <vector>

namespace sp::json {
namespace {

class Scanner {
 public:
  Scanner(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  Diagnosis run() {
    skip_ws();
    if (pos_ >= s_.size()) return fail("expected a JSON value, got an empty line");
    if (!value()) return d_;
    skip_ws();
    if (pos_ < s_.size()) return fail("unexpected " + describe_char() + " after the JSON value");
    return d_;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  size_t max_depth_;
  Diagnosis d_;

  Diagnosis fail(std::string msg) {
    d_.ok = false;
    d_.byte = pos_ + 1;
    d_.message = std::move(msg) + " (byte " + std::to_string(d_.byte) + ")";
    return d_;
  }
  bool failed(std::string msg) {
    fail(std::move(msg));
    return false;
  }

  std::string describe_char() const {
    if (pos_ >= s_.size()) return "end of line";
    unsigned char c = s_[pos_];
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  // Containers are handled with an explicit stack so that deep nesting cannot overflow ours.
  bool value() {
    std::vector<char> stack;  // '{' or '['
    while (true) {
      skip_ws();
      if (pos_ >= s_.size())
        return failed(stack.empty() ? "expected a JSON value, got end of line"
                                    : std::string("truncated: end of line inside ") +
                                          (stack.back() == '{' ? "an object" : "an array"));
      char c = s_[pos_];
      bool scalar_done = false;
      if (c == '{' || c == '[') {
        if (stack.size() >= max_depth_)
          return failed("nesting deeper than " + std::to_string(max_depth_) + " levels");
        stack.push_back(c);
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == (c == '{' ? '}' : ']')) {
          ++pos_;
          stack.pop_back();
          scalar_done = true;
        } else if (c == '{') {
          if (!member_key()) return false;
          continue;
        } else {
          continue;
        }
      } else if (c == '"') {
        if (!string()) return false;
        scalar_done = true;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!number()) return false;
        scalar_done = true;
      } else if (c == 't' || c == 'f' || c == 'n') {
        if (!literal()) return false;
        scalar_done = true;
      } else {
        return failed("unexpected " + describe_char() + ", expected a JSON value");
      }
      // After a complete value: close containers or move to the next element.
      (void)scalar_done;
      while (true) {
        if (stack.empty()) return true;
        skip_ws();
        if (pos_ >= s_.size())
          return failed(std::string("truncated: end of line inside ") +
                        (stack.back() == '{' ? "an object" : "an array"));
        char d = s_[pos_];
        if (stack.back() == '{') {
          if (d == '}') { ++pos_; stack.pop_back(); continue; }
          if (d != ',') return failed("expected ',' or '}' after an object member, got " + describe_char());
          ++pos_;
          skip_ws();
          if (!member_key()) return false;
          break;
        } else {
          if (d == ']') { ++pos_; stack.pop_back(); continue; }
          if (d != ',') return failed("expected ',' or ']' after an array element, got " + describe_char());
          ++pos_;
          skip_ws();
          if (pos_ < s_.size() && s_[pos_] == ']') return failed("trailing ',' before ']'");
          break;
        }
      }
    }
  }

  // Reads `"key" :` and leaves pos_ at the value.
  bool member_key() {
    skip_ws();
    if (pos_ >= s_.size()) return failed("truncated: end of line inside an object");
    if (s_[pos_] == '}') return failed("trailing ',' before '}'");
    if (s_[pos_] != '"') return failed("expected a quoted object key, got " + describe_char());
    if (!string()) return false;
    skip_ws();
    if (pos_ >= s_.size()) return failed("truncated: end of line after an object key");
    if (s_[pos_] != ':') return failed("expected ':' after an object key, got " + describe_char());
    ++pos_;
    return true;
  }

  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t& out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= s_.size()) return failed("truncated \\u escape");
      int v = hexval(s_[pos_]);
      if (v < 0) return failed("invalid \\u escape: expected 4 hex digits");
      out = out * 16 + v;
      ++pos_;
    }
    return true;
  }

  bool string() {
    size_t start = pos_++;
    while (true) {
      if (pos_ >= s_.size()) {
        pos_ = start;
        return failed("unterminated string");
      }
      unsigned char c = s_[pos_];
      if (c == '"') { ++pos_; return true; }
      if (c < 0x20) {
        char buf[64];
        snprintf(buf, sizeof buf, "control character U+%04X must be escaped in a string", c);
        return failed(buf);
      }
      if (c == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) { pos_ = start; return failed("unterminated string"); }
        char e = s_[pos_];
        if (e == 'u') {
          ++pos_;
          uint32_t cp;
          size_t esc = pos_ - 2;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
              pos_ += 2;
              if (!hex4(lo)) return false;
            }
            if (lo < 0xDC00 || lo > 0xDFFF) {
              pos_ = esc;
              return failed("invalid \\u escape: unpaired surrogate");
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            pos_ = esc;
            return failed("invalid \\u escape: unpaired surrogate");
          }
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          --pos_;
          return failed(std::string("invalid escape '\\") + (e >= 0x20 && e < 0x7f ? std::string(1, e) : "?") +
                        "' in a string");
        }
        ++pos_;
        continue;
      }
      if (c < 0x80) { ++pos_; continue; }
      size_t n = utf8_len();
      if (!n) return failed("invalid UTF-8 in a string");
      pos_ += n;
    }
  }

  size_t utf8_len() const {
    const auto* p = reinterpret_cast<const unsigned char*>(s_.data()) + pos_;
    size_t left = s_.size() - pos_;
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    return n;
  }

  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool number() {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') {
      pos_ = start;
      return failed("invalid number: expected a digit after '-'");
    }
    if (s_[pos_] == '0') {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        pos_ = start;
        return failed("invalid number: leading zero");
      }
    } else {
      digits();
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) { pos_ = start; return failed("invalid number: expected a digit after '.'"); }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) { pos_ = start; return failed("invalid number: expected a digit in the exponent"); }
    }
    return true;
  }

  bool literal() {
    static constexpr std::string_view kWords[] = {"true", "false", "null"};
    for (auto w : kWords) {
      if (s_[pos_] == w[0]) {
        if (s_.substr(pos_, w.size()) == w) {
          pos_ += w.size();
          return true;
        }
        return failed("invalid literal, expected '" + std::string(w) + "'");
      }
    }
    return failed("unexpected " + describe_char());
  }
};

}  // namespace

Diagnosis diagnose(std::string_view text, size_t max_depth) { return Scanner(text, max_depth).run(); }

std::string too_deep(std::string_view text, size_t max_depth) {
  if (text.size() <= max_depth) return {};
  // Depth N needs N opening brackets: a count (which the compiler vectorizes) clears nearly
  // every line; only those with more brackets than the limit are scanned.
  size_t opening = 0;
  for (char c : text) opening += static_cast<size_t>(c == '[') + static_cast<size_t>(c == '{');
  if (opening <= max_depth) return {};
  size_t depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return "nesting deeper than " + std::to_string(max_depth) + " levels (byte " + std::to_string(i + 1) + ")";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {};
}

bool WellFormedChecker::check(const char* data, size_t len) {
  has_document_ = false;
  auto err = parser_.parse(data, len, false).get(doc_);
  if (!err) {
    has_document_ = true;
    return true;
  }
  Diagnosis d = diagnose(std::string_view(data, len));
  bool number_trouble = err == simdjson::NUMBER_ERROR ||
                        err == simdjson::NUMBER_OUT_OF_RANGE;
  if (d.ok && number_trouble) return true;  // valid JSON that simdjson cannot hold as numbers
  error_ = d.ok ? std::string(simdjson::error_message(err)) : std::move(d.message);
  return false;
}

}  // namespace sp::json
