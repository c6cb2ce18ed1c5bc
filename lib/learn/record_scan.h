// RecordScanner: reads the few fields a learner needs from one NDJSON record. Paths are
// registered once; scan() parses the line with simdjson's DOM parser (runtime-dispatched to
// the machine's fastest kernel, and a full validation of the line), then walks the top-level
// object once, descending only into the objects that hold a wanted path, and fills one slot
// per path. Paths with array indexes (a[0], /a/0) are resolved with FieldPath::find.
//
// Nothing is allocated per record once the buffers have grown: strings are views into the
// parser's string buffer (valid until the next scan), arrays of scalars keep their elements
// in one reused vector.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "json/path.h"

namespace sp::learn {

enum class ValueType : uint8_t { kMissing, kNull, kNumber, kString, kBool, kArray, kObject };

const char* type_name(ValueType t);

struct ScalarValue {
  ValueType type = ValueType::kMissing;
  bool boolean = false;
  bool integral = false;  // kNumber: written as an integer that fits 64 bits
  double number = 0;
  int64_t integer = 0;    // when integral (and the value fits int64; else number holds it)
  std::string_view str;   // kString: the decoded string
  // The value as a token: the string itself, "true"/"false", or the number's canonical text
  // (integers in decimal, others in their shortest round-trip form), written to `buf`.
  std::string_view text(char (&buf)[32]) const;
};

struct SlotValue : ScalarValue {
  uint32_t elem_begin = 0, elem_end = 0;  // kArray: scalar elements in elements()
  bool nested = false;                    // kArray: holds an object or array
};

class RecordScanner {
 public:
  // Registers a path and returns its slot (the same slot for the same path text).
  size_t add(const json::FieldPath& path);
  size_t size() const { return paths_.size(); }
  const json::FieldPath& path(size_t slot) const { return paths_[slot]; }

  // Parses and scans one record. `data` must have SIMDJSON_PADDING readable bytes after
  // `len`. False when the line is not a JSON object; error() says why.
  bool scan(const char* data, size_t len);
  const SlotValue& slot(size_t i) const { return slots_[i]; }
  std::span<const ScalarValue> elements(const SlotValue& v) const {
    return {elements_.data() + v.elem_begin, elements_.data() + v.elem_end};
  }
  // True when the last record's top-level object has a member named `key`.
  bool has_top_level(std::string_view key) const;
  const std::string& error() const { return error_; }

 private:
  struct Node {
    std::string name;
    int slot = -1;
    std::vector<size_t> children;
  };
  void scan_object(simdjson::dom::object obj, size_t node);
  void read_value(simdjson::dom::element v, SlotValue& out);

  std::vector<json::FieldPath> paths_;
  std::vector<Node> nodes_{Node{}};  // nodes_[0] is the root
  std::vector<size_t> fallback_;     // slots resolved with FieldPath::find
  std::vector<SlotValue> slots_;
  std::vector<ScalarValue> elements_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  std::string error_;
};

}  // namespace sp::learn
