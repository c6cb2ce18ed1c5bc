// Messages on stderr, as `sp-NAME: what happened (where)`. Record errors are limited so that a
// flood of bad input does not drown the terminal: the first few are shown, the rest counted.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::cli {

class Reporter {
 public:
  explicit Reporter(std::string program) : program_(std::move(program)) {}
  // -q: -1, default 0, -v: 1, -vv: 2
  void set_verbosity(int v) { verbosity_ = v; }
  int verbosity() const { return verbosity_; }
  const std::string& program() const { return program_; }

  void error(std::string_view msg) const;  // always shown
  void warn(std::string_view msg) const;   // hidden by -q
  void info(std::string_view msg) const;   // shown with -v

  // A record-level problem. `source` is a file name ("" for stdin), `line` 1-based.
  void record_error(std::string_view source, uint64_t line, std::string_view msg);
  uint64_t record_errors() const { return record_errors_; }
  // Prints how many record errors were not shown (if any).
  void finish();
  // How many record errors are shown before the rest are only counted.
  void set_record_error_limit(uint64_t n) { limit_ = n; }

 private:
  std::string program_;
  int verbosity_ = 0;
  uint64_t record_errors_ = 0;
  uint64_t limit_ = 10;
};

}  // namespace sp::cli
