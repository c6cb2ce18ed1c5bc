// JSON equality (for enum, const, uniqueItems: 1 == 1.0, object member order does not matter)
// and a hash consistent with it.
#include <cstring>

#include "schema/node.h"
#include "schema/validator.h"

namespace sp::schema {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

bool json_equal(element a, element b) {
  element_type ta = a.type(), tb = b.type();
  bool na = ta == element_type::INT64 || ta == element_type::UINT64 || ta == element_type::DOUBLE;
  bool nb = tb == element_type::INT64 || tb == element_type::UINT64 || tb == element_type::DOUBLE;
  if (na && nb) {
    if (ta == tb && ta == element_type::INT64) return a.get_int64().value() == b.get_int64().value();
    if (ta == tb && ta == element_type::UINT64) return a.get_uint64().value() == b.get_uint64().value();
    if (ta != element_type::DOUBLE && tb != element_type::DOUBLE) return false;  // int64 vs uint64 > INT64_MAX
    return a.get_double().value() == b.get_double().value();
  }
  if (ta != tb) return false;
  switch (ta) {
    case element_type::NULL_VALUE: return true;
    case element_type::BOOL: return a.get_bool().value() == b.get_bool().value();
    case element_type::STRING: return a.get_string().value() == b.get_string().value();
    case element_type::ARRAY: {
      array x = as_array(a), y = as_array(b);
      if (x.size() != y.size()) return false;
      auto i = x.begin(), j = y.begin();
      for (; i != x.end(); ++i, ++j)
        if (!json_equal(*i, *j)) return false;
      return true;
    }
    case element_type::OBJECT: {
      object x = as_object(a), y = as_object(b);
      if (x.size() != y.size()) return false;
      for (auto [k, v] : x) {
        element w;
        if (y.at_key(k).get(w) || !json_equal(v, w)) return false;
      }
      return true;
    }
    default: return false;
  }
}

uint64_t json_hash(element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return 0x9e3779b97f4a7c15ull;
    case element_type::BOOL: return e.get_bool().value() ? 3 : 5;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      double d = e.get_double().value();
      if (d == 0) d = 0;  // -0.0
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return bits * 0xff51afd7ed558ccdull;
    }
    case element_type::STRING: return hash_key(e.get_string().value());
    case element_type::ARRAY: {
      uint64_t h = 7;
      for (element x : as_array(e)) h = h * 31 + json_hash(x);
      return h;
    }
    case element_type::OBJECT: {
      uint64_t h = 11;
      for (auto [k, v] : as_object(e)) h += hash_key(k) * 0x9e3779b97f4a7c15ull ^ json_hash(v);
      return h;
    }
  }
  return 0;
}

std::string format_error(const ValidationError& e) {
  return (e.instance_path.empty() ? std::string("/") : e.instance_path) + ": " + e.message;
}

}  // namespace sp::schema
