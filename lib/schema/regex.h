// Regular expressions for `pattern`, `patternProperties` and format "regex": ECMA-262
// syntax and semantics as far as PCRE2 allows, matched as an unanchored search.
// Simple anchored patterns (literals, ASCII classes, counted repeats, as in
// `^[0-9]{4}-[0-9]{2}$` or `^u[0-9]{6}$`) run on a small built-in matcher; the rest on PCRE2 JIT.
#pragma once
#include <bitset>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sp::schema {

class Regex {
 public:
  // Compiles `pattern`; on a syntax error returns null and sets `error`.
  static std::unique_ptr<Regex> compile(std::string_view pattern, std::string& error);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // True when the pattern matches somewhere in `subject` (valid UTF-8 expected).
  bool search(std::string_view subject) const;
  const std::string& source() const { return source_; }

 private:
  Regex() = default;
  struct Atom {
    std::bitset<128> set;  // ASCII bytes this atom accepts
    uint32_t min = 1, max = 1;
  };
  bool simple_match_at(std::string_view s, size_t pos) const;
  bool compile_simple(std::string_view pattern);

  std::string source_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool simple_ = false, anchored_start_ = false, anchored_end_ = false;
  std::vector<Atom> atoms_;
};

// True when `pattern` is a valid ECMA-262 regular expression (format "regex").
bool is_ecma_regex(std::string_view pattern);

}  // namespace sp::schema
