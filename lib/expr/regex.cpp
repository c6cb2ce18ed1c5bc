#define PCRE2_CODE_UNIT_WIDTH 8
#include "expr/regex.h"

#include <pcre2.h>

namespace sp::expr {

MatchScratch::MatchScratch() : data_(pcre2_match_data_create(1, nullptr)) {}
MatchScratch::~MatchScratch() { pcre2_match_data_free(static_cast<pcre2_match_data*>(data_)); }

std::unique_ptr<Regex> Regex::compile(std::string_view pattern, std::string& error, size_t& offset) {
  int code = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, nullptr);
  if (!re) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    error = reinterpret_cast<const char*>(buf);
    offset = off;
    return nullptr;
  }
  std::unique_ptr<Regex> r(new Regex());
  r->code_ = re;
  r->jit_ = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
  return r;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

int Regex::match(std::string_view subject, const MatchScratch& scratch) const {
  auto* re = static_cast<pcre2_code*>(code_);
  auto* md = static_cast<pcre2_match_data*>(scratch.data());
  auto s = reinterpret_cast<PCRE2_SPTR>(subject.data() ? subject.data() : "");
  int rc = jit_ ? pcre2_jit_match(re, s, subject.size(), 0, 0, md, nullptr)
                : pcre2_match(re, s, subject.size(), 0, 0, md, nullptr);
  if (rc >= 0) return 1;
  return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

}  // namespace sp::expr
