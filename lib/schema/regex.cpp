#include "schema/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>
#include <cstdint>

namespace sp::schema {

namespace {

// ECMA-262 \s: WhiteSpace and LineTerminator, Unicode-wide (PCRE2 without UCP knows only ASCII).
constexpr std::string_view kEcmaSpace =
    "\\t\\n\\x0B\\f\\r \\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

// ECMA-262 property names (long General_Category values, Script=, sc=, gc=) in PCRE2's spelling.
std::string property_name(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kCategories[] = {
      {"Letter", "L"}, {"Cased_Letter", "L&"}, {"Uppercase_Letter", "Lu"}, {"Lowercase_Letter", "Ll"},
      {"Titlecase_Letter", "Lt"}, {"Modifier_Letter", "Lm"}, {"Other_Letter", "Lo"}, {"Mark", "M"},
      {"Nonspacing_Mark", "Mn"}, {"Spacing_Mark", "Mc"}, {"Enclosing_Mark", "Me"}, {"Number", "N"},
      {"Decimal_Number", "Nd"}, {"Letter_Number", "Nl"}, {"Other_Number", "No"}, {"Punctuation", "P"},
      {"Connector_Punctuation", "Pc"}, {"Dash_Punctuation", "Pd"}, {"Open_Punctuation", "Ps"},
      {"Close_Punctuation", "Pe"}, {"Initial_Punctuation", "Pi"}, {"Final_Punctuation", "Pf"},
      {"Other_Punctuation", "Po"}, {"Symbol", "S"}, {"Math_Symbol", "Sm"}, {"Currency_Symbol", "Sc"},
      {"Modifier_Symbol", "Sk"}, {"Other_Symbol", "So"}, {"Separator", "Z"}, {"Space_Separator", "Zs"},
      {"Line_Separator", "Zl"}, {"Paragraph_Separator", "Zp"}, {"Other", "C"}, {"Control", "Cc"},
      {"Format", "Cf"}, {"Surrogate", "Cs"}, {"Private_Use", "Co"}, {"Unassigned", "Cn"},
  };
  size_t eq = name.find('=');
  if (eq != std::string_view::npos) {
    std::string_view key = name.substr(0, eq), value = name.substr(eq + 1);
    if (key == "Script_Extensions" || key == "scx") return "scx:" + std::string(value);
    if (key == "Script" || key == "sc") return std::string(value);
    name = value;  // General_Category= / gc=
  }
  auto same = [](std::string_view a, std::string_view b) {  // loose matching: case and '_' ignored
    size_t i = 0, j = 0;
    while (true) {
      while (i < a.size() && (a[i] == '_' || a[i] == ' ' || a[i] == '-')) i++;
      while (j < b.size() && (b[j] == '_' || b[j] == ' ' || b[j] == '-')) j++;
      if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[j]))) return false;
      i++;
      j++;
    }
  };
  if (same(name, "digit")) return "Nd";
  for (const auto& [long_name, short_name] : kCategories)
    if (same(name, long_name)) return std::string(short_name);
  return std::string(name);
}

// Rewrites the ECMA-262 constructs whose meaning differs in PCRE2: \s/\S (Unicode-wide in ECMA),
// \uXXXX and \u{X} escapes. \d, \w, \b stay ASCII because PCRE2_UCP is off, as in ECMA.
std::string translate(std::string_view p, bool& ok) {
  ok = true;
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == 's' || n == 'S') {
        if (in_class) {
          if (n == 'S') {
            out += "\\S";  // rare inside a class; keep PCRE's ASCII notion
          } else {
            out += kEcmaSpace;
          }
        } else {
          out += n == 's' ? "[" : "[^";
          out += kEcmaSpace;
          out += "]";
        }
        i++;
        continue;
      }
      if ((n == 'p' || n == 'P') && i + 2 < p.size() && p[i + 2] == '{') {
        size_t close = p.find('}', i + 3);
        if (close == std::string_view::npos) {
          ok = false;
          return out;
        }
        out += '\\';
        out += n;
        out += '{';
        out += property_name(p.substr(i + 3, close - i - 3));
        out += '}';
        i = close;
        continue;
      }
      if (n == 'u') {
        if (i + 2 < p.size() && p[i + 2] == '{') {
          size_t close = p.find('}', i + 3);
          if (close == std::string_view::npos) {
            ok = false;
            return out;
          }
          out += "\\x{";
          out += p.substr(i + 3, close - i - 3);
          out += "}";
          i = close;
          continue;
        }
        if (i + 6 <= p.size()) {
          std::string_view hex = p.substr(i + 2, 4);
          bool all_hex = hex.size() == 4;
          for (char h : hex) all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(h));
          if (all_hex) {
            out += "\\x{";
            out += hex;
            out += "}";
            i += 5;
            continue;
          }
        }
        ok = false;
        return out;
      }
      out += c;
      out += n;
      i++;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' closes an empty class in ECMA; PCRE2_ALLOW_EMPTY_CLASS agrees.
      continue;
    }
    out += c;
  }
  return out;
}

pcre2_code* compile_pcre(std::string_view pattern, std::string& error) {
  bool ok = false;
  std::string translated = translate(pattern, ok);
  if (!ok) {
    error = "invalid \\u escape";
    return nullptr;
  }
  int code = 0;
  PCRE2_SIZE offset = 0;
  uint32_t options = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS | PCRE2_MATCH_UNSET_BACKREF;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(), options, &code,
                                 &offset, nullptr);
  if (!re) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    error = reinterpret_cast<char*>(buf);
    error += " at offset " + std::to_string(offset);
    return nullptr;
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  return re;
}

struct MatchData {
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(md); }
};

}  // namespace

Regex::~Regex() {
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

std::unique_ptr<Regex> Regex::compile(std::string_view pattern, std::string& error) {
  std::unique_ptr<Regex> r(new Regex());
  r->source_ = std::string(pattern);
  pcre2_code* re = compile_pcre(pattern, error);
  if (!re) return nullptr;
  r->code_ = re;
  r->simple_ = r->compile_simple(pattern);
  return r;
}

bool Regex::search(std::string_view s) const {
  if (simple_) {
    if (anchored_start_) return simple_match_at(s, 0);
    for (size_t i = 0; i <= s.size(); i++)
      if (simple_match_at(s, i)) return true;
    return false;
  }
  static thread_local MatchData data;
  int rc = pcre2_match(static_cast<pcre2_code*>(code_), reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0,
                       PCRE2_NO_UTF_CHECK, data.md, nullptr);
  return rc >= 0;
}

// The built-in matcher accepts a sequence of atoms (an ASCII literal or class) each with a
// repeat count. Repeats are matched greedily without backtracking, which is exact when
// no variable repeat could give back a character that the atoms after it would accept;
// compile_simple() checks that and otherwise leaves the pattern to PCRE2.
bool Regex::compile_simple(std::string_view p) {
  size_t i = 0;
  if (!p.empty() && p[0] == '^') {
    anchored_start_ = true;
    i = 1;
  }
  auto escape_set = [](char e, std::bitset<128>& set) -> bool {
    if (e == 'd') {
      for (char c = '0'; c <= '9'; c++) set.set(c);
      return true;
    }
    if (e == 'w') {
      for (int c = 0; c < 128; c++)
        if (std::isalnum(c) || c == '_') set.set(c);
      return true;
    }
    if (std::ispunct(static_cast<unsigned char>(e))) {
      set.set(static_cast<unsigned char>(e));
      return true;
    }
    return false;
  };
  while (i < p.size()) {
    char c = p[i];
    Atom a;
    if (c == '$' && i + 1 == p.size()) {
      anchored_end_ = true;
      i++;
      break;
    }
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    if (c == '[') {
      i++;
      if (i < p.size() && p[i] == '^') return false;
      bool first = true;
      while (i < p.size() && (p[i] != ']' || first)) {
        first = false;
        unsigned char lo = static_cast<unsigned char>(p[i]);
        if (lo >= 0x80 || lo == '[') return false;
        if (lo == '\\') {
          if (i + 1 >= p.size() || !escape_set(p[i + 1], a.set)) return false;
          i += 2;
          continue;
        }
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
          unsigned char hi = static_cast<unsigned char>(p[i + 2]);
          if (hi >= 0x80 || hi == '\\' || hi < lo) return false;
          for (unsigned v = lo; v <= hi; v++) a.set.set(v);
          i += 3;
          continue;
        }
        a.set.set(lo);
        i++;
      }
      if (i >= p.size()) return false;
      i++;  // ']'
    } else if (c == '\\') {
      if (i + 1 >= p.size() || !escape_set(p[i + 1], a.set)) return false;
      i += 2;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '/' || c == ':' || c == '_' ||
               c == ' ' || c == '@' || c == '=' || c == ',' || c == '#' || c == '%' || c == '&' || c == '~' ||
               c == '!' || c == '"' || c == '\'' || c == ';' || c == '<' || c == '>' || c == '`') {
      a.set.set(static_cast<unsigned char>(c));
      i++;
    } else {
      return false;
    }
    // quantifier
    if (i < p.size()) {
      char q = p[i];
      if (q == '?' || q == '*' || q == '+') {
        a.min = q == '+' ? 1 : 0;
        a.max = q == '?' ? 1 : UINT32_MAX;
        i++;
      } else if (q == '{') {
        size_t close = p.find('}', i);
        if (close == std::string_view::npos) return false;
        std::string_view body = p.substr(i + 1, close - i - 1);
        size_t comma = body.find(',');
        auto num = [](std::string_view d, uint32_t& out) {
          if (d.empty() || d.size() > 6) return false;
          out = 0;
          for (char ch : d) {
            if (ch < '0' || ch > '9') return false;
            out = out * 10 + static_cast<uint32_t>(ch - '0');
          }
          return true;
        };
        if (comma == std::string_view::npos) {
          if (!num(body, a.min)) return false;
          a.max = a.min;
        } else {
          if (!num(body.substr(0, comma), a.min)) return false;
          if (comma + 1 == body.size()) {
            a.max = UINT32_MAX;
          } else if (!num(body.substr(comma + 1), a.max) || a.max < a.min) {
            return false;
          }
        }
        i = close + 1;
      }
      if (i < p.size() && (p[i] == '?' || p[i] == '+' || p[i] == '*' || p[i] == '{')) return false;  // lazy etc.
    }
    atoms_.push_back(a);
  }
  if (i != p.size()) return false;
  // Greedy without backtracking is exact when what a variable repeat accepts is disjoint
  // from what can come right after it.
  for (size_t k = 0; k < atoms_.size(); k++) {
    if (atoms_[k].min == atoms_[k].max) continue;
    std::bitset<128> follow;
    for (size_t m = k + 1; m < atoms_.size(); m++) {
      follow |= atoms_[m].set;
      if (atoms_[m].min > 0) break;
    }
    if ((follow & atoms_[k].set).any()) return false;
  }
  return true;
}

bool Regex::simple_match_at(std::string_view s, size_t pos) const {
  for (const Atom& a : atoms_) {
    uint32_t n = 0;
    while (n < a.max && pos < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[pos]);
      if (c >= 128 || !a.set.test(c)) break;
      pos++;
      n++;
    }
    if (n < a.min) return false;
  }
  return !anchored_end_ || pos == s.size();
}

bool is_ecma_regex(std::string_view pattern) {
  // ECMA-262 (with the u flag, as JSON Schema intends) rejects identity escapes of letters
  // that PCRE2 gives a meaning to, such as \a (bell) or \Z.
  for (size_t i = 0; i + 1 < pattern.size(); i++) {
    if (pattern[i] == '(' && pattern[i + 1] == '?' && i + 2 < pattern.size()) {
      // Python/PCRE groups: (?P<name>, (?P=name), (?#comment), and global flags like (?i)
      char k = pattern[i + 2];
      if (k == 'P' || k == '#') return false;
      size_t j = i + 2;
      while (j < pattern.size() && std::isalpha(static_cast<unsigned char>(pattern[j]))) j++;
      if (j > i + 2 && j < pattern.size() && pattern[j] == ')') return false;
    }
    if (pattern[i] != '\\') continue;
    char n = pattern[i + 1];
    if (n == 'a' || n == 'e' || n == 'Z' || n == 'z' || n == 'A' || n == 'Q' || n == 'E' || n == 'G' || n == 'h' ||
        n == 'H' || n == 'R' || n == 'X' || n == 'K' || n == 'N' || n == 'V' || n == 'C' || n == 'o' || n == 'g')
      return false;
    i++;
  }
  std::string error;
  pcre2_code* re = compile_pcre(pattern, error);
  if (!re) return false;
  pcre2_code_free(re);
  return true;
}

}  // namespace sp::schema
