#define PCRE2_CODE_UNIT_WIDTH 8
#include "ingest/formats/regex.h"

#include <pcre2.h>

#include <algorithm>

#include "ingest/formats/formats.h"
#include "io/error.h"

namespace sp::ingest {

Regex::Regex(const std::string& pattern, const std::string& option) {
  int err = 0;
  PCRE2_SIZE off = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
  if (!code_) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw UsageError(option + ": bad regular expression: " + reinterpret_cast<char*>(msg), pattern, off);
  }
  pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  md_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  uint32_t count = 0, entry = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code_, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code_, PCRE2_INFO_NAMEENTRYSIZE, &entry);
  pcre2_pattern_info(code_, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < count; ++i) {
    const unsigned char* e = table + i * entry;
    size_t n = (static_cast<size_t>(e[0]) << 8) | e[1];
    names_.emplace_back(reinterpret_cast<const char*>(e + 2), n);
  }
  std::sort(names_.begin(), names_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
}

Regex::~Regex() {
  pcre2_match_data_free(md_);
  pcre2_code_free(code_);
}

bool Regex::match(std::string_view subject) {
  int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md_, nullptr);
  return rc >= 0;
}

bool Regex::group(size_t n, std::string_view subject, std::string_view& out) const {
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_);
  if (n >= pcre2_get_ovector_count(md_) || ov[2 * n] == PCRE2_UNSET) return false;
  out = subject.substr(ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
  return true;
}

namespace {

// --format regex:PATTERN: the named groups of the pattern become the fields (unquoted numbers
// become numbers); a line that does not match is rejected.
class RegexFormat : public Format {
 public:
  RegexFormat(const FormatOptions& o, const std::string& pattern)
      : re_(pattern, "--format regex"), builder_(o.time_field) {
    if (re_.names().empty())
      throw UsageError("--format regex: the pattern has no named groups; name the fields with (?<name>…)", pattern,
                       0);
    builder_.set_valid_utf8(o.valid_utf8);
  }
  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    std::string_view s = text.view();
    if (!re_.match(s)) {
      error = "line does not match the pattern";
      return false;
    }
    builder_.begin(out);
    std::string_view v;
    for (const auto& [name, n] : re_.names())
      if (re_.group(n, s, v)) builder_.inferred(name, v);
    if (!builder_.end(error)) return false;
    json = out;
    return true;
  }

 private:
  Regex re_;
  RecordBuilder builder_;
};

}  // namespace

std::unique_ptr<Format> make_regex_format(const FormatOptions& o, const std::string& pattern) {
  return std::make_unique<RegexFormat>(o, pattern);
}

}  // namespace sp::ingest
