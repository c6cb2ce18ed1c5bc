// --format json: the line must be one well-formed JSON document; it passes byte-identical.
// Lines joined by --multiline-start (pretty-printed JSON) are minified onto one line.
// With --time-field, that field's value is normalized to RFC 3339 UTC in place.
#include <cstring>

#include "ingest/formats/formats.h"
#include "ingest/formats/timestamp.h"
#include "json/check.h"
#include "json/path.h"
#include "json/splice.h"

namespace sp::ingest {
namespace {

class JsonFormat : public Format {
 public:
  explicit JsonFormat(const FormatOptions& o) {
    if (!o.time_field.empty()) {
      time_path_ = json::FieldPath::parse(o.time_field);
      has_time_ = true;
    }
  }
  bool checks_utf8() const override { return true; }

  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    if (!checker_.check(text.data, text.size)) {
      error = checker_.error();
      return false;
    }
    json = text.view();
    if (memchr(text.data, '\n', text.size)) {
      minified_.resize(text.size);
      size_t len = 0;
      if (simdjson::minify(text.data, text.size, minified_.data(), len) != simdjson::SUCCESS) {
        error = "cannot minify the joined lines";
        return false;
      }
      minified_.resize(len);
      json = minified_;
    }
    if (!has_time_) return true;
    if (!checker_.has_document()) {
      error = "time field '" + time_path_.text() + "': record holds numbers too large to read";
      return false;
    }
    simdjson::dom::element v;
    if (time_path_.find(checker_.document()).get(v)) {
      error = "no time field '" + time_path_.text() + "'";
      return false;
    }
    int64_t ms = 0;
    bool ok = false;
    std::string_view s;
    double d;
    if (v.get_string().get(s) == simdjson::SUCCESS) ok = parse_timestamp(s, ms);
    else if (v.get_double().get(d) == simdjson::SUCCESS) ok = epoch_to_ms(d, ms);
    if (!ok) {
      error = "time field '" + time_path_.text() + "': cannot read " + simdjson::minify(v).substr(0, 64) +
              " as a timestamp";
      return false;
    }
    normalized_.assign(1, '"');
    append_rfc3339_ms(normalized_, ms);
    normalized_ += '"';
    if (std::string_view(normalized_).substr(1, normalized_.size() - 2) == s) return true;  // already normal
    splicer_.clear();
    splicer_.set(time_path_, normalized_);
    out.clear();
    if (!splicer_.apply(json, out)) {
      error = "time field '" + time_path_.text() + "': the record is not an object";
      return false;
    }
    json = out;
    return true;
  }

 private:
  json::WellFormedChecker checker_;
  bool has_time_ = false;
  json::FieldPath time_path_;
  json::Splicer splicer_;
  std::string minified_, normalized_;
};

// --format raw: each line becomes {"message":"…"}.
class RawFormat : public Format {
 public:
  explicit RawFormat(bool valid_utf8) { builder_.set_valid_utf8(valid_utf8); }
  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    builder_.begin(out);
    builder_.string("message", text.view());
    builder_.end(error);
    json = out;
    return true;
  }

 private:
  RecordBuilder builder_;
};

}  // namespace

std::unique_ptr<Format> make_json_format(const FormatOptions& o) { return std::make_unique<JsonFormat>(o); }
std::unique_ptr<Format> make_raw_format(const FormatOptions& o) { return std::make_unique<RawFormat>(o.valid_utf8); }

}  // namespace sp::ingest
