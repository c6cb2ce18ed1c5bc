#include "learn/field_writer.h"

#include <charconv>
#include <cmath>

#include "json/writer.h"

namespace sp::learn {

size_t FieldWriter::add_field(const json::FieldPath& path) {
  Field f;
  f.path = path;
  f.top_level = path.is_top_level_key();
  f.key_json = ",";
  json::append_string(f.key_json, path.segments().empty() ? "" : path.segments().back().key);
  f.key_json += ':';
  f.value.reserve(32);
  fields_.push_back(std::move(f));
  return fields_.size() - 1;
}

void FieldWriter::clear() {
  for (auto& f : fields_) f.value.clear();
}

void FieldWriter::set_number(size_t i, double v, int digits) {
  std::string& s = fields_[i].value;
  s.clear();
  if (!std::isfinite(v)) {
    s = "null";
    return;
  }
  char buf[40];
  auto r = digits > 0 ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits)
                      : std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

void FieldWriter::set_bool(size_t i, bool v) { fields_[i].value = v ? "true" : "false"; }
void FieldWriter::set_null(size_t i) { fields_[i].value = "null"; }
void FieldWriter::set_json(size_t i, std::string_view json) { fields_[i].value.assign(json); }

bool FieldWriter::write(io::Output& out, std::string_view record, const std::vector<bool>& exists) {
  bool simple = true;
  for (size_t i = 0; i < fields_.size(); ++i)
    if (!fields_[i].value.empty() && (!fields_[i].top_level || exists[i])) simple = false;
  if (!simple) {
    splicer_.clear();
    for (const auto& f : fields_)
      if (!f.value.empty()) splicer_.set(f.path, f.value);
    buf_.clear();
    if (!splicer_.apply(record, buf_)) return false;
    out.write_line(buf_);
    return true;
  }
  // Insert before the closing brace; a comma only when the object has members.
  size_t end = record.size();
  while (end > 0 && (record[end - 1] == ' ' || record[end - 1] == '\t' || record[end - 1] == '\r')) --end;
  if (end == 0 || record[end - 1] != '}') return false;
  size_t brace = end - 1, before = brace;
  while (before > 0 && (record[before - 1] == ' ' || record[before - 1] == '\t' || record[before - 1] == '\n' ||
                        record[before - 1] == '\r'))
    --before;
  bool empty = before > 0 && record[before - 1] == '{';
  out.write(record.data(), brace);
  bool first = true;
  for (const auto& f : fields_) {
    if (f.value.empty()) continue;
    if (first && empty) out.write(f.key_json.data() + 1, f.key_json.size() - 1);
    else out.write(f.key_json);
    first = false;
    out.write(f.value);
  }
  out.write(record.data() + brace, record.size() - brace);
  out.write("\n", 1);
  return true;
}

}  // namespace sp::learn
