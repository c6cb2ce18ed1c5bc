// Regular expressions for =~ and !~: PCRE2 with UTF-8 and JIT. A pattern is compiled once
// (at compile time when it is a literal); matching needs a MatchScratch per evaluator.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "expr/ast.h"

namespace sp::expr {

class MatchScratch {
 public:
  MatchScratch();
  ~MatchScratch();
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
  void* data() const { return data_; }

 private:
  void* data_;  // pcre2_match_data*
};

class Regex : public Prepared {
 public:
  // Compiles `pattern`; on failure returns nullptr and sets `error` and `offset` (the byte
  // offset in the pattern where PCRE2 gave up).
  static std::unique_ptr<Regex> compile(std::string_view pattern, std::string& error, size_t& offset);
  ~Regex() override;
  // 1 match, 0 no match, -1 error (e.g. the match limit was hit).
  int match(std::string_view subject, const MatchScratch& scratch) const;

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code*
  bool jit_ = false;
};

}  // namespace sp::expr
