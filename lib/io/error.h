// Error types shared by every module. The entry wrapper (cli/run) maps them to exit codes:
// Error -> 1 (runtime failure), UsageError -> 2 (usage or configuration error).
#pragma once
#include <stdexcept>
#include <string>

namespace sp {

// A runtime failure: I/O, a connection that stays down. Exit status 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A usage or configuration error: a bad flag value, a bad expression, a bad schema. Exit status 2.
// When the error points into a piece of user text (an expression, a path, a pattern), `source`
// holds that text and `column` (0-based) the position; the entry wrapper draws a caret under it.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
  UsageError(const std::string& what, std::string source, size_t column)
      : std::runtime_error(what), source(std::move(source)), column(column), has_position(true) {}
  std::string source;
  size_t column = 0;
  bool has_position = false;
};

// Thrown by output code when the reader of stdout went away (EPIPE). Ends the program quietly, exit 0.
class BrokenPipe : public std::exception {
 public:
  const char* what() const noexcept override { return "broken pipe"; }
};

// errno text, e.g. "No space left on device".
std::string errno_text(int err);

}  // namespace sp
