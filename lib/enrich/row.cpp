#include "enrich/row.h"

#include "json/writer.h"

namespace sp::enrich {

bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

Row RowBuilder::build(const std::vector<std::string>& names, std::vector<std::string> values) {
  Row row;
  if (!format_.as.empty()) {
    std::string obj = "{";
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) obj += ',';
      json::append_string(obj, format_.prefix + names[i]);
      obj += ':';
      obj += values[i];
    }
    obj += '}';
    values.assign(1, std::move(obj));
  }
  if (!last_ || names != last_source_names_) {
    auto shape = std::make_shared<Shape>();
    if (!format_.as.empty()) {
      shape->names.push_back(format_.as);
    } else {
      for (const auto& n : names) shape->names.push_back(format_.prefix + n);
    }
    for (const auto& n : shape->names) {
      std::string q;
      json::append_string(q, n);
      shape->quoted.push_back(std::move(q));
    }
    last_ = std::move(shape);
    last_source_names_ = names;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row.members += ',';
    row.members += last_->quoted[i];
    row.members += ':';
    row.members += values[i];
  }
  row.shape = last_;
  return row;
}

}  // namespace sp::enrich
