#include "cli/report.h"

#include <unistd.h>

#include <string>

#include "cli/redact.h"

namespace sp::cli {
namespace {

void emit(const std::string& program, std::string_view text) {
  // Whatever a message quotes (a URI, a server's answer), no credential reaches stderr.
  std::string redacted;
  std::string_view msg = text;
  if (needs_redaction(text)) msg = redacted = redact(text);
  std::string line;
  line.reserve(program.size() + msg.size() + 3);
  line += program;
  line += ": ";
  line += msg;
  line += '\n';
  // One write per message so that lines from parallel stages do not interleave.
  const char* p = line.data();
  size_t n = line.size();
  while (n) {
    ssize_t w = ::write(2, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

void Reporter::error(std::string_view msg) const { emit(program_, msg); }
void Reporter::warn(std::string_view msg) const {
  if (verbosity_ >= 0) emit(program_, msg);
}
void Reporter::info(std::string_view msg) const {
  if (verbosity_ >= 1) emit(program_, msg);
}

void Reporter::record_error(std::string_view source, uint64_t line, std::string_view msg) {
  ++record_errors_;
  if (verbosity_ < 0) return;
  if (verbosity_ == 0 && record_errors_ > limit_) return;
  std::string text;
  if (!source.empty()) {
    text += source;
    text += ": ";
  }
  text += "line ";
  text += std::to_string(line);
  text += ": ";
  text += msg;
  emit(program_, text);
}

void Reporter::finish() {
  if (verbosity_ == 0 && record_errors_ > limit_)
    emit(program_, std::to_string(record_errors_ - limit_) + " more record errors not shown (-v shows all)");
}

}  // namespace sp::cli
