#include "json/path.h"

#include "io/error.h"
#include "json/writer.h"

namespace sp::json {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

PathSegment make_segment(std::string key) {
  PathSegment seg;
  if (all_digits(key)) seg.index = std::stoll(key);
  seg.key = std::move(key);
  return seg;
}

[[noreturn]] void fail(std::string_view text, size_t col, const std::string& what) {
  throw UsageError("bad field path: " + what, std::string(text), col);
}

// JSON Pointer (RFC 6901): "/a/b~1c/0"; "" is the whole document.
std::vector<PathSegment> parse_pointer(std::string_view text) {
  std::vector<PathSegment> out;
  size_t i = 1;
  while (true) {
    std::string key;
    size_t start = i;
    while (i < text.size() && text[i] != '/') {
      if (text[i] == '~') {
        if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1'))
          fail(text, i, "'~' must be followed by 0 or 1 in a JSON Pointer");
        key += text[i + 1] == '0' ? '~' : '/';
        i += 2;
      } else {
        key += text[i++];
      }
    }
    (void)start;
    out.push_back(make_segment(std::move(key)));
    if (i >= text.size()) break;
    ++i;  // skip '/'
  }
  return out;
}

// Dotted form: a.b[0].`odd name`["x.y"]
std::vector<PathSegment> parse_dotted(std::string_view text) {
  std::vector<PathSegment> out;
  size_t i = 0;
  bool need_segment = true;  // at start or after '.'
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') {
      size_t open = i++;
      if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
        char q = text[i++];
        std::string key;
        while (i < text.size() && text[i] != q) {
          if (text[i] == '\\' && i + 1 < text.size()) ++i;
          key += text[i++];
        }
        if (i >= text.size()) fail(text, open, "unterminated quoted name");
        ++i;
        if (i >= text.size() || text[i] != ']') fail(text, i, "expected ']'");
        ++i;
        PathSegment seg;
        seg.key = std::move(key);
        out.push_back(std::move(seg));
      } else {
        size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == start) fail(text, i, "expected an array index after '['");
        if (i >= text.size() || text[i] != ']') fail(text, i, "expected ']'");
        std::string digits(text.substr(start, i - start));
        if (digits.size() > 18) fail(text, start, "array index too large");
        ++i;
        PathSegment seg;
        seg.key = digits;
        seg.index = std::stoll(digits);
        seg.index_only = true;
        out.push_back(std::move(seg));
      }
      need_segment = false;
    } else if (c == '.') {
      if (need_segment) fail(text, i, "empty name before '.'");
      need_segment = true;
      ++i;
    } else if (c == '`') {
      if (!need_segment) fail(text, i, "expected '.' or '[' before '`'");
      size_t open = i++;
      std::string key;
      while (i < text.size() && text[i] != '`') key += text[i++];
      if (i >= text.size()) fail(text, open, "unterminated `name`");
      ++i;
      PathSegment seg;
      seg.key = std::move(key);
      out.push_back(std::move(seg));
      need_segment = false;
    } else {
      if (!need_segment) fail(text, i, "expected '.' or '['");
      size_t start = i;
      while (i < text.size() && text[i] != '.' && text[i] != '[' && text[i] != '`') ++i;
      out.push_back(make_segment(std::string(text.substr(start, i - start))));
      need_segment = false;
    }
  }
  if (need_segment) fail(text, text.size(), out.empty() ? "empty path" : "path ends with '.'");
  return out;
}

}  // namespace

FieldPath FieldPath::parse(std::string_view text) {
  FieldPath p;
  p.text_ = std::string(text);
  if (!text.empty() && text[0] == '/')
    p.segments_ = parse_pointer(text);
  else
    p.segments_ = parse_dotted(text);
  for (auto& seg : p.segments_) {
    append_string(seg.escaped, seg.key);
    seg.escaped = seg.escaped.substr(1, seg.escaped.size() - 2);
  }
  return p;
}

std::string FieldPath::leaf_name() const {
  if (segments_.empty()) return "value";
  std::string name;
  for (size_t i = segments_.size(); i-- > 0;) {
    const auto& s = segments_[i];
    if (!s.index_only) {
      name = s.key;
      for (size_t j = i + 1; j < segments_.size(); ++j) name += "_" + segments_[j].key;
      return name;
    }
  }
  return "value_" + segments_.back().key;
}

simdjson::simdjson_result<simdjson::ondemand::value> FieldPath::find(
    simdjson::ondemand::document& doc) const {
  using namespace simdjson;
  doc.rewind();
  if (segments_.empty()) return doc.get_value();
  ondemand::value cur;
  bool first = true;
  for (const auto& seg : segments_) {
    ondemand::json_type t;
    if (first) {
      if (auto err = doc.type().get(t)) return err;
    } else {
      if (auto err = cur.type().get(t)) return err;
    }
    if (t == ondemand::json_type::object && !seg.index_only) {
      auto r = first ? doc.find_field_unordered(seg.escaped) : cur.find_field_unordered(seg.escaped);
      if (auto err = r.get(cur)) return err;
    } else if (t == ondemand::json_type::array && seg.index >= 0) {
      ondemand::array arr;
      if (auto err = (first ? doc.get_array() : cur.get_array()).get(arr)) return err;
      int64_t i = 0;
      bool found = false;
      for (auto elem : arr) {
        if (i++ == seg.index) {
          if (auto err = elem.get(cur)) return err;
          found = true;
          break;
        }
      }
      if (!found) return NO_SUCH_FIELD;
    } else {
      return NO_SUCH_FIELD;
    }
    first = false;
  }
  return cur;
}

simdjson::simdjson_result<simdjson::dom::element> FieldPath::find(simdjson::dom::element root) const {
  using namespace simdjson;
  dom::element cur = root;
  for (const auto& seg : segments_) {
    if (cur.is_object() && !seg.index_only) {
      if (auto err = cur.get_object().value().at_key(seg.key).get(cur)) return err;
    } else if (cur.is_array() && seg.index >= 0) {
      if (auto err = cur.get_array().value().at(static_cast<size_t>(seg.index)).get(cur))
        return err == INDEX_OUT_OF_BOUNDS ? NO_SUCH_FIELD : err;
    } else {
      return NO_SUCH_FIELD;
    }
  }
  return cur;
}

}  // namespace sp::json
