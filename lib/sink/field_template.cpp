#include "sink/field_template.h"

#include "io/error.h"

namespace sp::sink {

FieldTemplate::FieldTemplate(const std::string& text) : text_(text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) {
      parts_.push_back({text.substr(i), {}, false});
      break;
    }
    if (open > i) parts_.push_back({text.substr(i, open - i), {}, false});
    size_t close = text.find('}', open);
    if (close == std::string::npos) throw UsageError("template '" + text + "': '{' without '}'", text, open);
    std::string name = text.substr(open + 1, close - open - 1);
    if (name.empty()) throw UsageError("template '" + text + "': empty field name in {}", text, open);
    Part p;
    p.field = json::FieldPath::parse(name);
    p.is_field = true;
    p.literal = name;
    parts_.push_back(std::move(p));
    i = close + 1;
  }
}

bool FieldTemplate::has_fields() const {
  for (const auto& p : parts_)
    if (p.is_field) return true;
  return false;
}

bool FieldTemplate::render(simdjson::dom::element record, std::string& out, std::string& missing) const {
  for (const auto& p : parts_) {
    if (!p.is_field) {
      out += p.literal;
      continue;
    }
    simdjson::dom::element v;
    if (p.field.find(record).get(v) != simdjson::SUCCESS || v.is_null()) {
      missing = p.literal;
      return false;
    }
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) out.append(s);
    else out += simdjson::minify(v);
  }
  return true;
}

}  // namespace sp::sink
