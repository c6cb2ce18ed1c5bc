// Field paths: `a.b.c`, `a[0]`, `` `odd name`.x ``, `a["k.with.dots"]`, and JSON Pointer `/a/b/0`.
// A path is parsed once; resolving it against a record reads only what it needs
// through simdjson On-Demand (or a DOM element).
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sp::json {

struct PathSegment {
  std::string key;     // the member name (also set for numeric segments: "0")
  std::string escaped; // key as JSON writes it between quotes (k\"x): On-Demand compares raw keys
  int64_t index = -1;  // >= 0 when the segment may address an array element
  bool index_only = false;  // written as [N]: never a member name
};

class FieldPath {
 public:
  FieldPath() = default;
  // Parses `text`; throws sp::UsageError (with the column) on a malformed path.
  static FieldPath parse(std::string_view text);

  const std::vector<PathSegment>& segments() const { return segments_; }
  const std::string& text() const { return text_; }
  bool empty() const { return segments_.empty(); }
  // True for a path of one member name: the common case that can use find_field directly.
  bool is_top_level_key() const { return segments_.size() == 1 && !segments_[0].index_only; }
  // A name for the value in output records: the last member name ("b" for a.b, "a_0" for a[0]).
  std::string leaf_name() const;

  // Resolves the path in an On-Demand document. The document is rewound first, so several
  // paths can be resolved one after another in any order. NO_SUCH_FIELD when absent.
  simdjson::simdjson_result<simdjson::ondemand::value> find(simdjson::ondemand::document& doc) const;
  simdjson::simdjson_result<simdjson::dom::element> find(simdjson::dom::element root) const;

 private:
  std::string text_;
  std::vector<PathSegment> segments_;
};

}  // namespace sp::json
