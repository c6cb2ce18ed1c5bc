// Well-formedness of one line of JSON: the whole document, every byte, not only the fields a
// stage reads. The fast path is simdjson's DOM parser (full structural and UTF-8 validation);
// when it rejects a line, a small diagnostic scanner finds the byte and says what is wrong,
// and accepts what simdjson cannot represent but JSON allows (integers beyond 64 bits,
// numbers beyond double range).
#pragma once
#include <simdjson.h>

#include <string>
#include <string_view>

namespace sp::json {

struct Diagnosis {
  bool ok = true;
  size_t byte = 0;      // 1-based position of the problem
  std::string message;  // e.g. "expected ':' after object key (byte 17)"
};

// The deepest nesting of arrays and objects a record may have: simdjson's DOM limit, enforced
// by every stage (the On-Demand ones through too_deep, which their skipping would not check).
constexpr size_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH;

// Scans `text` as one JSON document (RFC 8259, nesting at most `max_depth`). Slow path only.
Diagnosis diagnose(std::string_view text, size_t max_depth = kMaxDepth);

// For stages that parse with On-Demand, which skips what a stage does not read without
// checking its depth: "nesting deeper than N levels (byte B)" when `text` nests arrays and
// objects deeper than `max_depth` (brackets inside strings do not count), else empty. A line
// with no more than `max_depth` brackets is answered from a count, without a scan.
std::string too_deep(std::string_view text, size_t max_depth = kMaxDepth);

class WellFormedChecker {
 public:
  WellFormedChecker() = default;
  // `data` must have at least SIMDJSON_PADDING readable bytes after `len` (LineReader lines do).
  bool check(const char* data, size_t len);
  // Why the last check() failed.
  const std::string& error() const { return error_; }
  // The document of the last successful check() that went through simdjson (not the fallback).
  bool has_document() const { return has_document_; }
  simdjson::dom::element document() const { return doc_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element doc_;
  bool has_document_ = false;
  std::string error_;
};

}  // namespace sp::json
