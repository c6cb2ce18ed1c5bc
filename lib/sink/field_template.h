// Templates filled from a record's fields: "user:{user_id}", "{service}/{ua.browser}".
// A string value is used as is, any other value as its JSON text.
#pragma once
#include <simdjson.h>

#include <string>
#include <vector>

#include "json/path.h"

namespace sp::sink {

class FieldTemplate {
 public:
  FieldTemplate() = default;
  // Throws sp::UsageError on an unclosed '{' or a bad field path.
  explicit FieldTemplate(const std::string& text);
  bool empty() const { return parts_.empty(); }
  bool has_fields() const;
  const std::string& text() const { return text_; }
  // Appends the rendering to `out`; false (and `missing` set) when a field is absent.
  bool render(simdjson::dom::element record, std::string& out, std::string& missing) const;

 private:
  struct Part {
    std::string literal;
    json::FieldPath field;
    bool is_field = false;
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace sp::sink
