#include "expr/lexer.h"

#include <charconv>

#include "expr/time.h"
#include "io/error.h"
#include "json/writer.h"

namespace sp::expr {
namespace {

bool ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@' || c == '$' || c >= 0x80;
}
bool ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void fail(std::string_view src, size_t col, const std::string& msg) {
  throw UsageError(msg, std::string(src), col);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool hex4(std::string_view s, size_t i, uint32_t& out) {
  if (i + 4 > s.size()) return false;
  auto r = std::from_chars(s.data() + i, s.data() + i + 4, out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + i + 4;
}

// 'single quotes': SQL rules, the only escape is '' for a quote, backslashes are literal (so
// regular expressions need no doubling). "double quotes": JSON escapes; an unknown escape such
// as \d keeps its backslash.
size_t lex_string(std::string_view s, size_t i, Token& t) {
  char q = s[i];
  size_t open = i++;
  for (;;) {
    if (i >= s.size()) fail(s, open, "unterminated string");
    char c = s[i];
    if (c == q) {
      if (q == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        t.text += '\'';
        i += 2;
        continue;
      }
      // Records are UTF-8, and so is what a stage writes: a literal in another encoding (a
      // shell in Latin-1) would compare unequal to everything and put bad bytes in the output.
      if (!json::is_valid_utf8(s.substr(open, i - open)))
        fail(s, open, "string is not valid UTF-8 (records and output are UTF-8)");
      return i + 1;
    }
    if (c == '\\' && q == '"' && i + 1 < s.size()) {
      char e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': t.text += '"'; break;
        case '\\': t.text += '\\'; break;
        case '/': t.text += '/'; break;
        case 'b': t.text += '\b'; break;
        case 'f': t.text += '\f'; break;
        case 'n': t.text += '\n'; break;
        case 'r': t.text += '\r'; break;
        case 't': t.text += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(s, i, cp)) fail(s, i - 2, "bad \\u escape: expected four hex digits");
          i += 4;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t lo;
            if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u' && hex4(s, i + 2, lo) && lo >= 0xDC00 &&
                lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              i += 6;
            } else {
              fail(s, i - 6, "unpaired surrogate in \\u escape");
            }
          }
          append_utf8(t.text, cp);
          break;
        }
        default:
          t.text += '\\';
          t.text += e;
      }
      continue;
    }
    t.text += c;
    ++i;
  }
}

// A field path, scanned with the same grammar as json::FieldPath (the parser hands the text to
// FieldPath::parse). A '[' that does not hold digits or a quoted name ends the path, so that
// `tags[-1]` or `arr[i]` are parsed as index expressions.
size_t lex_path(std::string_view s, size_t i, Token& t) {
  size_t start = i;
  t.starts_plain = s[i] != '`';
  int segments = 0;
  bool plain = true;
  for (;;) {
    // one name segment
    if (s[i] == '`') {
      size_t open = i++;
      while (i < s.size() && s[i] != '`') ++i;
      if (i >= s.size()) fail(s, open, "unterminated `name`");
      ++i;
      plain = false;
    } else if (digit(s[i])) {
      while (i < s.size() && digit(s[i])) ++i;
      plain = false;
    } else {
      while (i < s.size() && ident_char(static_cast<unsigned char>(s[i]))) ++i;
    }
    ++segments;
    // brackets after the segment
    while (i < s.size() && s[i] == '[') {
      size_t j = i + 1;
      if (j < s.size() && digit(s[j])) {
        while (j < s.size() && digit(s[j])) ++j;
      } else if (j < s.size() && (s[j] == '"' || s[j] == '\'')) {
        char q = s[j++];
        while (j < s.size() && s[j] != q) j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
        if (j >= s.size()) break;
        ++j;
      } else {
        break;
      }
      if (j >= s.size() || s[j] != ']') break;
      i = j + 1;
      plain = false;
    }
    if (i + 1 < s.size() && s[i] == '.' &&
        (ident_start(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '`' || digit(s[i + 1]))) {
      ++i;
      plain = false;
      continue;
    }
    break;
  }
  t.kind = Tok::Path;
  t.text.assign(s.substr(start, i - start));
  t.word = plain && segments == 1;
  return i;
}

size_t lex_number(std::string_view s, size_t i, Token& t) {
  size_t start = i;
  while (i < s.size() && digit(s[i])) ++i;
  bool exponent = false;
  if (i + 1 < s.size() && s[i] == '.' && digit(s[i + 1])) {
    ++i;
    while (i < s.size() && digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && digit(s[j])) {
      while (j < s.size() && digit(s[j])) ++j;
      i = j;
      exponent = true;
    }
  }
  if (i < s.size() && ident_char(static_cast<unsigned char>(s[i])) && !exponent) {
    // A duration: number+unit groups, e.g. 1h30m, 250ms, 1.5s.
    while (i < s.size() && (ident_char(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    std::string_view text = s.substr(start, i - start);
    size_t bad = 0;
    auto d = parse_duration(text, &bad);
    if (!d) {
      size_t at = start + bad;
      size_t unit_end = at;
      while (unit_end < i && !digit(s[unit_end]) && s[unit_end] != '.') ++unit_end;
      if (unit_end > at)
        fail(s, at, "unknown duration unit '" + std::string(s.substr(at, unit_end - at)) +
                        "' (units: ns, us, ms, s, m, h, d)");
      fail(s, at, "malformed duration '" + std::string(text) + "'");
    }
    t.kind = Tok::Duration;
    t.nanos = *d;
    t.text.assign(text);
    return i;
  }
  t.kind = Tok::Number;
  t.text.assign(s.substr(start, i - start));
  auto r = std::from_chars(s.data() + start, s.data() + i, t.number);
  if (r.ec != std::errc()) fail(s, start, "number out of range: " + t.text);
  return i;
}

}  // namespace

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    Token t;
    t.pos = static_cast<uint32_t>(i);
    if (i >= s.size()) {
      t.kind = Tok::End;
      out.push_back(std::move(t));
      return out;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    char n = i + 1 < s.size() ? s[i + 1] : '\0';
    size_t next = i + 1;
    auto two = [&](Tok k) {
      t.kind = k;
      next = i + 2;
    };
    if (ident_start(c) || c == '`') {
      next = lex_path(s, i, t);
    } else if (digit(static_cast<char>(c))) {
      next = lex_number(s, i, t);
    } else if (c == '\'' || c == '"') {
      t.kind = Tok::String;
      next = lex_string(s, i, t);
    } else {
      switch (c) {
        case '(': t.kind = Tok::LParen; break;
        case ')': t.kind = Tok::RParen; break;
        case '[': t.kind = Tok::LBracket; break;
        case ']': t.kind = Tok::RBracket; break;
        case ',': t.kind = Tok::Comma; break;
        case '*': t.kind = Tok::Star; break;
        case '+': t.kind = Tok::Plus; break;
        case '-': t.kind = Tok::Minus; break;
        case '/': t.kind = Tok::Slash; break;
        case '%': t.kind = Tok::Percent; break;
        case '=':
          if (n == '=') two(Tok::Eq);
          else if (n == '~') two(Tok::Match);
          else t.kind = Tok::Eq;
          break;
        case '!':
          if (n == '=') two(Tok::Ne);
          else if (n == '~') two(Tok::NotMatch);
          else t.kind = Tok::Bang;
          break;
        case '<':
          if (n == '=') two(Tok::Le);
          else if (n == '>') two(Tok::Ne);
          else t.kind = Tok::Lt;
          break;
        case '>':
          if (n == '=') two(Tok::Ge);
          else t.kind = Tok::Gt;
          break;
        case '&':
          if (n != '&') fail(s, i, "unexpected '&' (use 'and' or '&&')");
          two(Tok::AndAnd);
          break;
        case '|':
          if (n != '|') fail(s, i, "unexpected '|' (use 'or' or '||')");
          two(Tok::OrOr);
          break;
        case '.':
          if (digit(n)) fail(s, i, "a number needs a digit before the '.' (write 0.5)");
          fail(s, i, "unexpected '.'");
        default:
          fail(s, i, std::string("unexpected character '") + static_cast<char>(c) + "'");
      }
    }
    t.len = static_cast<uint32_t>(next - i);
    i = next;
    out.push_back(std::move(t));
  }
}

bool is_word(const Token& tok, std::string_view kw) {
  if (tok.kind != Tok::Path || !tok.word || tok.text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    char c = tok.text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kw[i]) return false;
  }
  return true;
}

std::string describe(const Token& tok, std::string_view source) {
  if (tok.kind == Tok::End) return "the end of the expression";
  return "'" + std::string(source.substr(tok.pos, tok.len)) + "'";
}

}  // namespace sp::expr
