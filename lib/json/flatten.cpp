#include "json/flatten.h"

#include <vector>

#include "json/splice.h"
#include "json/writer.h"

namespace sp::json {
namespace {

bool nested(std::string_view value) {
  if (value.empty() || value[0] != '{') return false;
  for (size_t i = 1; i < value.size(); ++i) {
    char c = value[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c != '}';
  }
  return false;
}

// Deeper objects than this are kept as values: a hostile record cannot exhaust the stack.
constexpr size_t kMaxDepth = 64;

void flatten_into(std::string_view obj, std::string& prefix, std::string_view sep, std::string& out, bool& first,
                  size_t depth) {
  std::vector<MemberSpan> members;
  scan_object(obj, members);
  std::string name;
  for (const auto& m : members) {
    size_t keep = prefix.size();
    if (!prefix.empty()) prefix += sep;
    if (!unescape_string(m.key_raw, name)) name.assign(m.key_raw.substr(1, m.key_raw.size() - 2));
    prefix += name;
    // The reserved top-level member _sp (source positions) stays as it is.
    bool reserved = depth == 0 && name == "_sp";
    if (!reserved && depth < kMaxDepth && nested(m.value)) {
      flatten_into(m.value, prefix, sep, out, first, depth + 1);
    } else {
      if (!first) out += ',';
      first = false;
      append_string(out, prefix);
      out += ':';
      out += m.value;
    }
    prefix.resize(keep);
  }
}

}  // namespace

bool flatten(std::string_view record, std::string_view separator, std::string& out) {
  std::vector<MemberSpan> members;
  if (!scan_object(record, members)) return false;
  bool any = false;
  for (const auto& m : members) any = any || (nested(m.value) && m.key_raw != "\"_sp\"");
  if (!any) return false;
  std::string prefix;
  bool first = true;
  out += '{';
  flatten_into(record, prefix, separator, out, first, 0);
  out += '}';
  return true;
}

}  // namespace sp::json
