#include "learn/record_scan.h"

#include <charconv>

#include "json/check.h"

namespace sp::learn {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

bool path_needs_find(const json::FieldPath& p) {
  for (const auto& seg : p.segments())
    if (seg.index >= 0) return true;
  return false;
}

}  // namespace

const char* type_name(ValueType t) {
  switch (t) {
    case ValueType::kMissing: return "missing";
    case ValueType::kNull: return "null";
    case ValueType::kNumber: return "a number";
    case ValueType::kString: return "a string";
    case ValueType::kBool: return "a boolean";
    case ValueType::kArray: return "an array";
    case ValueType::kObject: return "an object";
  }
  return "?";
}

std::string_view ScalarValue::text(char (&buf)[32]) const {
  switch (type) {
    case ValueType::kString: return str;
    case ValueType::kBool: return boolean ? "true" : "false";
    case ValueType::kNumber: {
      auto r = integral ? std::to_chars(buf, buf + sizeof buf, integer) : std::to_chars(buf, buf + sizeof buf, number);
      return {buf, static_cast<size_t>(r.ptr - buf)};
    }
    default: return {};
  }
}

size_t RecordScanner::add(const json::FieldPath& path) {
  for (size_t i = 0; i < paths_.size(); ++i)
    if (paths_[i].text() == path.text()) return i;
  size_t slot = paths_.size();
  paths_.push_back(path);
  slots_.emplace_back();
  if (path_needs_find(path)) {
    fallback_.push_back(slot);
    return slot;
  }
  size_t node = 0;
  for (const auto& seg : path.segments()) {
    size_t next = 0;
    for (size_t c : nodes_[node].children)
      if (nodes_[c].name == seg.key) next = c;
    if (next == 0) {
      next = nodes_.size();
      nodes_.push_back(Node{seg.key, -1, {}});
      nodes_[node].children.push_back(next);
    }
    node = next;
  }
  nodes_[node].slot = static_cast<int>(slot);
  return slot;
}

void RecordScanner::read_value(dom::element v, SlotValue& out) {
  switch (v.type()) {
    case dom::element_type::INT64:
      out.type = ValueType::kNumber;
      out.integral = true;
      out.integer = v.get_int64().value_unsafe();
      out.number = static_cast<double>(out.integer);
      return;
    case dom::element_type::UINT64: {
      uint64_t u = v.get_uint64().value_unsafe();
      out.type = ValueType::kNumber;
      out.number = static_cast<double>(u);
      return;
    }
    case dom::element_type::DOUBLE:
      out.type = ValueType::kNumber;
      out.number = v.get_double().value_unsafe();
      return;
    case dom::element_type::STRING:
      out.type = ValueType::kString;
      out.str = v.get_string().value_unsafe();
      return;
    case dom::element_type::BOOL:
      out.type = ValueType::kBool;
      out.boolean = v.get_bool().value_unsafe();
      return;
    case dom::element_type::NULL_VALUE: out.type = ValueType::kNull; return;
    case dom::element_type::OBJECT: out.type = ValueType::kObject; return;
    case dom::element_type::ARRAY: {
      out.type = ValueType::kArray;
      out.elem_begin = static_cast<uint32_t>(elements_.size());
      dom::array arr = v.get_array().value_unsafe();
      for (dom::element e : arr) {
        auto t = e.type();
        if (t == dom::element_type::ARRAY || t == dom::element_type::OBJECT) {
          out.nested = true;
          continue;
        }
        SlotValue tmp;
        read_value(e, tmp);
        elements_.push_back(tmp);
      }
      out.elem_end = static_cast<uint32_t>(elements_.size());
      return;
    }
  }
}

void RecordScanner::scan_object(dom::object obj, size_t node) {
  const Node& n = nodes_[node];
  for (dom::key_value_pair kv : obj) {
    for (size_t c : n.children) {
      const Node& child = nodes_[c];
      if (kv.key != child.name) continue;
      SlotValue* s = child.slot >= 0 ? &slots_[child.slot] : nullptr;
      if (s && s->type != ValueType::kMissing) break;  // a duplicate key: the first one wins
      if (!child.children.empty() && kv.value.is_object()) {
        if (s) s->type = ValueType::kObject;
        scan_object(kv.value.get_object().value_unsafe(), c);
      } else if (s) {
        read_value(kv.value, *s);
      }
      break;
    }
  }
}

bool RecordScanner::scan(const char* data, size_t len) {
  for (auto& s : slots_) s = SlotValue{};
  elements_.clear();
  error_.clear();
  if (auto e = parser_.parse(data, len, false).get(root_); e != SUCCESS) {
    json::Diagnosis d = json::diagnose(std::string_view(data, len));
    error_ = d.ok ? std::string("cannot parse: ") + simdjson::error_message(e) : d.message;
    return false;
  }
  dom::object obj;
  if (root_.get_object().get(obj) != SUCCESS) {
    error_ = "not a JSON object";
    return false;
  }
  scan_object(obj, 0);
  for (size_t slot : fallback_) {
    dom::element v;
    if (paths_[slot].find(root_).get(v) == SUCCESS) read_value(v, slots_[slot]);
  }
  return true;
}

bool RecordScanner::has_top_level(std::string_view key) const {
  dom::object obj;
  if (root_.get_object().get(obj) != SUCCESS) return false;
  for (dom::key_value_pair kv : obj)
    if (kv.key == key) return true;
  return false;
}

}  // namespace sp::learn
