// Helpers shared by the fuzz targets: splitting an input into its parts, and checking output.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "json/check.h"

namespace sp::fuzz {

// Takes the next line off `rest` (without its '\n').
inline std::string_view next_line(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

// An input made of a head (a schema, an expression, a query, a model file), a NUL byte and a
// tail (records); without a NUL, all head.
struct Parts {
  std::string_view head, tail;
  bool has_tail = false;
};

inline Parts split_at_nul(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  if (nul == std::string_view::npos) return {in, {}, false};
  return {in.substr(0, nul), in.substr(nul + 1), true};
}

// Appends up to `max` lines of `text` to `lines`.
inline void add_lines(std::string_view text, std::vector<std::string_view>& lines, size_t max) {
  while (!text.empty() && lines.size() < max) lines.push_back(next_line(text));
}

// True when every line of `text` that is not blank is well-formed JSON (records or output).
// Stages read records with On-Demand, which checks only what they read: a stage that passes
// a record through unchanged (sp-filter) may pass a malformed one on, so an output is checked
// only when its input was well-formed.
inline bool every_line_json(std::string_view text) {
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos && !json::diagnose(line).ok) return false;
  }
  return true;
}

}  // namespace sp::fuzz
