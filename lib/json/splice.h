// Edits a record's original text: sets, removes and renames fields (top-level or nested)
// while every byte the edit does not touch stays as it was. The input must be well-formed
// JSON (a stage has parsed it already); values given to set() must be JSON text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "json/path.h"

namespace sp::json {

class Splicer {
 public:
  // Forgets the edits of the previous record; keeps buffers.
  void clear() { edits_.clear(); }
  // Adds or replaces the field at `path` (intermediate objects are created when missing).
  void set(const FieldPath& path, std::string_view json_value);
  void set(std::string_view top_level_key, std::string_view json_value);
  void remove(const FieldPath& path);
  void rename(const FieldPath& path, std::string_view new_name);
  bool empty() const { return edits_.empty(); }

  // Writes `record` with the edits applied to `out` (appends). Returns false, writing nothing,
  // when `record` is not a JSON object.
  bool apply(std::string_view record, std::string& out) const;

 private:
  enum class Op { kSet, kRemove, kRename };
  struct Edit {
    std::vector<PathSegment> path;
    Op op;
    std::string value;  // JSON text for kSet, the new name for kRename
  };
  std::vector<Edit> edits_;

  void apply_object(std::string_view obj, const std::vector<const Edit*>& edits, size_t depth,
                    std::string& out) const;
  void apply_array(std::string_view arr, const std::vector<const Edit*>& edits, size_t depth,
                   std::string& out) const;
};

// Positions of the members of a JSON object text: key (with quotes) and value spans.
struct MemberSpan {
  std::string_view key_raw;  // including quotes
  std::string_view value;
};
// Scans the top level of `obj` (which must start with '{'); false if it is not an object.
bool scan_object(std::string_view obj, std::vector<MemberSpan>& members);
// Copies `obj` without its top-level member `key_raw` (with quotes: "\"_sp\"") into `out`,
// keeping every other byte, and sets `value` to that member's value. False (nothing set) when
// `obj` is not an object or has no such member.
bool strip_member(std::string_view obj, std::string_view key_raw, std::vector<MemberSpan>& members, std::string& out,
                  std::string_view& value);
// The value of the top-level member `key_raw` of `obj`, or empty.
std::string_view member_value(std::string_view obj, std::string_view key_raw, std::vector<MemberSpan>& members);
bool scan_array(std::string_view arr, std::vector<std::string_view>& elements);
// Decodes a JSON string literal (with quotes) into `out`; false on a bad escape.
bool unescape_string(std::string_view quoted, std::string& out);

}  // namespace sp::json
