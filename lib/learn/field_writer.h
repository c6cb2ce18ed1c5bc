// FieldWriter: writes a record with a few fields added (a score, a class, an anomaly flag),
// spliced into its original text. When the new fields are top-level and not yet in the record
// (the normal case) they are inserted before its closing brace with no allocation; when one
// already exists or is nested, json::Splicer replaces it (allocating, but rare).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "io/output.h"
#include "json/path.h"
#include "json/splice.h"

namespace sp::learn {

class FieldWriter {
 public:
  // Declares an output field; returns its index.
  size_t add_field(const json::FieldPath& path);
  const json::FieldPath& path(size_t i) const { return fields_[i].path; }

  // Per record: set the values (JSON text), then write.
  void clear();
  void set_number(size_t i, double v, int digits);
  void set_bool(size_t i, bool v);
  void set_null(size_t i);
  void set_json(size_t i, std::string_view json);
  // `exists[i]` tells whether the record already has field i (the scanner knows). Returns
  // false, writing nothing, when the record is not a JSON object.
  bool write(io::Output& out, std::string_view record, const std::vector<bool>& exists);

 private:
  struct Field {
    json::FieldPath path;
    std::string key_json;  // ,"name":
    bool top_level;
    std::string value;     // JSON text for this record ("" = not set)
  };
  std::vector<Field> fields_;
  json::Splicer splicer_;
  std::string buf_;
};

}  // namespace sp::learn
