#include "expr/value.h"

#include <charconv>
#include <cmath>

#include "expr/time.h"
#include "json/writer.h"

namespace sp::expr {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Time: return "time";
    case Type::Duration: return "duration";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

void append_number(std::string& out, double d) {
  char buf[32];
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
    // -0 (from ceil(-0.5), say) is written 0.
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

// Through json::append_string: text that is not valid UTF-8 (a literal, a byte-wise
// function's result) is written with U+FFFD in place of the bad bytes, so the output stays JSON.
void append_json_string(std::string& out, std::string_view s) { json::append_string(out, s); }

void append_json(std::string& out, const Value& v) {
  switch (v.type) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += v.boolean ? "true" : "false"; break;
    case Type::Number:
      if (!v.text.empty())
        out += v.text;
      else if (!std::isfinite(v.number))
        out += "null";
      else
        append_number(out, v.number);
      break;
    case Type::String: append_json_string(out, v.text); break;
    case Type::Time:
      out += '"';
      format_rfc3339_ms(out, v.nanos);
      out += '"';
      break;
    case Type::Duration:
      out += '"';
      format_duration(out, v.nanos);
      out += '"';
      break;
    case Type::Array:
    case Type::Object: out += v.text; break;
  }
}

std::string to_json(const Value& v) {
  std::string s;
  append_json(s, v);
  return s;
}

void append_text(std::string& out, const Value& v) {
  switch (v.type) {
    case Type::String: out += v.text; break;
    case Type::Time: format_rfc3339_ms(out, v.nanos); break;
    case Type::Duration: format_duration(out, v.nanos); break;
    case Type::Number:
      // By value, not by the text it was read with, so that to_string() and hashes do not
      // depend on how the record was read (On-Demand keeps the text, DOM does not).
      if (std::isfinite(v.number))
        append_number(out, v.number);
      else
        out += "null";
      break;
    default: append_json(out, v);
  }
}

}  // namespace sp::expr
