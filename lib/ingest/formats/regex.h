// A compiled PCRE2 pattern (JIT when available) with its reused match data. Subjects need not
// be valid UTF-8 (PCRE2_MATCH_INVALID_UTF): a bad byte never matches a character class but does
// not make the match fail with an error.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace sp::ingest {

class Regex {
 public:
  // Throws sp::UsageError naming `option` with the column of the problem in `pattern`.
  Regex(const std::string& pattern, const std::string& option);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  bool match(std::string_view subject);
  // After a successful match: group n's span, or false when it did not take part.
  bool group(size_t n, std::string_view subject, std::string_view& out) const;
  // Named groups (name, number) in the order of the pattern.
  const std::vector<std::pair<std::string, size_t>>& names() const { return names_; }

 private:
  pcre2_real_code_8* code_ = nullptr;
  pcre2_real_match_data_8* md_ = nullptr;
  std::vector<std::pair<std::string, size_t>> names_;
};

}  // namespace sp::ingest
