// Reading the fields a program needs from a record into the evaluator's slots.
#include <algorithm>
#include <charconv>

#include "expr/evaluator.h"

namespace sp::expr {

using namespace simdjson;
using detail::PathTrieNode;

namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Minified JSON text of a DOM element.
void append_dom_json(std::string& out, dom::element e) {
  char buf[32];
  switch (e.type()) {
    case dom::element_type::ARRAY: {
      out += '[';
      bool first = true;
      for (dom::element x : dom::array(e)) {
        if (!first) out += ',';
        first = false;
        append_dom_json(out, x);
      }
      out += ']';
      break;
    }
    case dom::element_type::OBJECT: {
      out += '{';
      bool first = true;
      for (dom::key_value_pair kv : dom::object(e)) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv.key);
        out += ':';
        append_dom_json(out, kv.value);
      }
      out += '}';
      break;
    }
    case dom::element_type::INT64: out.append(buf, std::to_chars(buf, buf + 32, int64_t(e)).ptr); break;
    case dom::element_type::UINT64: out.append(buf, std::to_chars(buf, buf + 32, uint64_t(e)).ptr); break;
    case dom::element_type::DOUBLE: append_number(out, double(e)); break;
    case dom::element_type::STRING: append_json_string(out, std::string_view(e)); break;
    case dom::element_type::BOOL: out += bool(e) ? "true" : "false"; break;
    case dom::element_type::NULL_VALUE: out += "null"; break;
  }
}

}  // namespace

error_code Evaluator::load(ondemand::document& doc) {
  begin_record();
  const auto& trie = program_->trie();
  if (trie.empty()) return SUCCESS;
  ondemand::json_type t;
  if (auto err = doc.type().get(t)) return err;
  if (t == ondemand::json_type::object) {
    ondemand::object obj;
    if (auto err = doc.get_object().get(obj)) return err;
    return load_object(obj, trie, 0);
  }
  if (t == ondemand::json_type::array) {
    ondemand::array arr;
    if (auto err = doc.get_array().get(arr)) return err;
    return load_array(arr, trie);
  }
  return SUCCESS;  // a scalar record: every field is null
}

void Evaluator::init_key_orders() {
  key_orders_.assign(program_->trie_lists(), KeyOrder{});
  auto init = [&](auto& self, const std::vector<PathTrieNode>& list, uint32_t id) -> void {
    KeyOrder& ko = key_orders_[id];
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].index_only) ko.order.push_back(static_cast<uint16_t>(i));
      if (!list[i].kids.empty()) self(self, list[i].kids, list[i].kids_id);
    }
    ko.seen.assign(list.size(), nullptr);
  };
  init(init, program_->trie(), 0);
}

// Looks the wanted keys up with find_field_unordered in the order they had in the previous
// record: for records of one shape that is a single forward pass over the object, stopping
// at the last wanted key (much cheaper than visiting every member).
error_code Evaluator::load_object(ondemand::object obj, const std::vector<PathTrieNode>& kids, uint32_t kids_id) {
  KeyOrder& ko = key_orders_[kids_id];
  const char* prev = nullptr;
  bool in_order = true;
  for (uint16_t i : ko.order) {
    const PathTrieNode& k = kids[i];
    ondemand::value v;
    error_code err = obj.find_field_unordered(k.key).get(v);
    if (err == NO_SUCH_FIELD) {
      ko.seen[i] = nullptr;
      continue;
    }
    if (err) return err;
    const char* at = v.current_location().value_unsafe();
    ko.seen[i] = at;
    if (prev && at < prev) in_order = false;
    prev = at;
    if (auto e = load_value(v, k)) return e;
  }
  if (!in_order) {
    // Absent keys go last: they cost a full scan wherever they are.
    std::sort(ko.order.begin(), ko.order.end(), [&](uint16_t a, uint16_t b) {
      const char* x = ko.seen[a];
      const char* y = ko.seen[b];
      if (!x || !y) return x && !y;
      return x < y;
    });
  }
  return SUCCESS;
}

error_code Evaluator::load_array(ondemand::array arr, const std::vector<PathTrieNode>& kids) {
  int64_t max_index = -1;
  for (const auto& k : kids) max_index = std::max(max_index, k.index);
  if (max_index < 0) return SUCCESS;
  int64_t i = 0;
  for (auto element : arr) {
    ondemand::value v;
    if (auto err = std::move(element).get(v)) return err;
    for (const auto& k : kids) {
      if (k.index != i) continue;
      if (auto err = load_value(v, k)) return err;
      break;
    }
    if (++i > max_index) break;
  }
  return SUCCESS;
}

error_code Evaluator::load_value(ondemand::value v, const PathTrieNode& node) {
  if (node.kids.empty()) return read_scalar(v, slots_[static_cast<size_t>(node.slot)]);
  ondemand::json_type t;
  if (auto err = v.type().get(t)) return err;
  if (node.slot >= 0) {
    // Both the value and fields inside it are wanted: keep its text and read the inner fields
    // from that (a second parse, but only for this rare shape, e.g. `ua is not null and ua.os = 'x'`).
    Value& slot = slots_[static_cast<size_t>(node.slot)];
    if (auto err = read_scalar(v, slot)) return err;
    if (slot.type == Type::Object || slot.type == Type::Array) load_nested_from_json(slot.text, node);
    return SUCCESS;
  }
  if (t == ondemand::json_type::object) {
    ondemand::object obj;
    if (auto err = v.get_object().get(obj)) return err;
    return load_object(obj, node.kids, node.kids_id);
  }
  if (t == ondemand::json_type::array) {
    ondemand::array arr;
    if (auto err = v.get_array().get(arr)) return err;
    return load_array(arr, node.kids);
  }
  return SUCCESS;  // a scalar where the path goes deeper: the inner fields stay null
}

error_code Evaluator::read_scalar(ondemand::value v, Value& out) {
  ondemand::json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    case ondemand::json_type::number: {
      std::string_view raw = trim_right(v.raw_json_token());
      double d;
      if (auto err = v.get_double().get(d)) return err;
      out = Value::of_number(d, raw);
      return SUCCESS;
    }
    case ondemand::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return err;
      out = Value::of_string(s);
      return SUCCESS;
    }
    case ondemand::json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return err;
      out = Value::of_bool(b);
      return SUCCESS;
    }
    case ondemand::json_type::null:
      out = Value::null();
      return SUCCESS;
    case ondemand::json_type::object: {
      ondemand::object obj;
      std::string_view raw;
      if (auto err = v.get_object().get(obj)) return err;
      if (auto err = obj.raw_json().get(raw)) return err;
      if (!whole_.check(raw.data(), raw.size())) return TAPE_ERROR;
      out = Value::of_object(trim_right(raw));
      return SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array arr;
      std::string_view raw;
      if (auto err = v.get_array().get(arr)) return err;
      if (auto err = arr.raw_json().get(raw)) return err;
      if (!whole_.check(raw.data(), raw.size())) return TAPE_ERROR;
      out = Value::of_array(trim_right(raw));
      return SUCCESS;
    }
  }
  return SUCCESS;
}

void Evaluator::load_nested_from_json(std::string_view json, const PathTrieNode& node) {
  dom::element root;
  if (!parse_json(json, root)) return;
  // Walk the trie below `node` over the DOM; strings are copied, the DOM is reused later.
  struct Walk {
    Evaluator& ev;
    void run(dom::element e, const std::vector<PathTrieNode>& kids) {
      for (const auto& k : kids) {
        dom::element child;
        bool found = false;
        if (e.is_object() && !k.index_only) {
          found = !e.get_object().value_unsafe().at_key(k.name).get(child);
        } else if (e.is_array() && k.index >= 0) {
          found = !e.get_array().value_unsafe().at(static_cast<size_t>(k.index)).get(child);
        }
        if (!found) continue;
        if (k.slot >= 0) ev.slots_[static_cast<size_t>(k.slot)] = ev.from_dom(child, true);
        run(child, k.kids);
      }
    }
  };
  Walk{*this}.run(root, node.kids);
}

void Evaluator::load(dom::element record) {
  begin_record();
  for (const auto& f : program_->fields()) {
    if (!f.variable.empty()) continue;
    dom::element e;
    if (f.path.find(record).get(e)) continue;
    slots_[f.slot] = from_dom(e, false);
  }
}

void Evaluator::load(const MapRecord& record) {
  begin_record();
  for (const auto& f : program_->fields()) {
    auto it = record.find(f.name);
    if (it != record.end()) slots_[f.slot] = it->second;
  }
}

bool Evaluator::parse_json(std::string_view json, dom::element& out) {
  if (!dom_) dom_ = std::make_unique<dom::parser>();
  padded_.assign(json);
  padded_.resize(json.size() + SIMDJSON_PADDING, '\0');
  return !dom_->parse(padded_.data(), json.size(), false).get(out);
}

Value Evaluator::from_dom(dom::element e, bool copy_strings) {
  switch (e.type()) {
    case dom::element_type::INT64: return Value::of_number(static_cast<double>(int64_t(e)));
    case dom::element_type::UINT64: return Value::of_number(static_cast<double>(uint64_t(e)));
    case dom::element_type::DOUBLE: return Value::of_number(double(e));
    case dom::element_type::BOOL: return Value::of_bool(bool(e));
    case dom::element_type::NULL_VALUE: return Value::null();
    case dom::element_type::STRING: {
      std::string_view s(e);
      return Value::of_string(copy_strings ? scratch_.copy(s) : s);
    }
    case dom::element_type::ARRAY:
    case dom::element_type::OBJECT: {
      json_buffer_.clear();
      append_dom_json(json_buffer_, e);
      std::string_view text = scratch_.copy(json_buffer_);
      return e.type() == dom::element_type::ARRAY ? Value::of_array(text) : Value::of_object(text);
    }
  }
  return Value::null();
}

}  // namespace sp::expr
