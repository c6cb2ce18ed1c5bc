// Tokens of the expression language. The whole expression is tokenized up front (expressions
// are short), so the parser can look ahead freely. Columns are 0-based byte offsets.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sp::expr {

enum class Tok : uint8_t {
  End,
  Path,      // a field path or a bare word: ua.browser, tags[0], `odd name`, and, lower
  String,    // 'text' or "text" (text holds the unescaped content)
  Number,    // 12, 0.5, 1e-3
  Duration,  // 5m, 1h30m, 250ms
  LParen, RParen, LBracket, RBracket, Comma,
  Star, Plus, Minus, Slash, Percent,
  Eq, Ne, Lt, Le, Gt, Ge, Match, NotMatch,
  AndAnd, OrOr, Bang,
};

struct Token {
  Tok kind = Tok::End;
  uint32_t pos = 0;  // column of the first byte
  uint32_t len = 0;  // bytes of source text
  std::string text;  // Path: the source text; String: the content
  double number = 0;
  int64_t nanos = 0;  // Duration
  bool word = false;  // Path: a single plain identifier (may be a keyword or function name)
  bool starts_plain = false;  // Path: the first segment is a plain identifier (not `quoted`)
};

// Tokenizes `text`; throws sp::UsageError with the column on a malformed token.
std::vector<Token> tokenize(std::string_view text);

// True when `tok` is the bare word `kw` (ASCII case-insensitive), e.g. is_word(t, "and").
bool is_word(const Token& tok, std::string_view kw);

// A short description for error messages: "'foo'", "the end of the expression", "'>='".
std::string describe(const Token& tok, std::string_view source);

}  // namespace sp::expr
