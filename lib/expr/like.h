// SQL LIKE: '%' matches any run of characters, '_' exactly one (UTF-8) character, and a
// backslash makes the next character literal ('50\%'). Case-sensitive; ILIKE folds ASCII case.
#pragma once
#include <string>
#include <string_view>

#include "expr/ast.h"

namespace sp::expr {

// Matches without any preparation (for patterns computed per record).
bool like_match(std::string_view pattern, std::string_view text, bool fold_case);

// A literal pattern, analysed once: the common shapes ('abc', 'abc%', '%abc', '%abc%',
// 'ab%yz') become plain comparisons; anything else falls back to like_match.
class LikePattern : public Prepared {
 public:
  LikePattern(std::string_view pattern, bool fold_case);
  bool matches(std::string_view text) const;

 private:
  enum class Shape { Exact, Prefix, Suffix, Contains, PrefixSuffix, Any, General };
  Shape shape_ = Shape::General;
  std::string pattern_;
  std::string a_, b_;  // the literal parts of the simple shapes
  bool fold_case_;
};

}  // namespace sp::expr
