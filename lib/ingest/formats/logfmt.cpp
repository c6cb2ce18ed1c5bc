// --format logfmt: key=value pairs separated by spaces; values may be "quoted with \"escapes\"";
// a bare key is true. Unquoted numbers become numbers. A repeated key gets a suffix (_2, _3…).
#include <deque>
#include <vector>

#include "ingest/formats/formats.h"
#include "json/writer.h"

namespace sp::ingest {
namespace {

class LogfmtFormat : public Format {
 public:
  explicit LogfmtFormat(const FormatOptions& o) : builder_(o.time_field) { builder_.set_valid_utf8(o.valid_utf8); }

  bool parse(const RecordText& text, FormatState*, std::string& out, std::string_view& json,
             std::string& error) override {
    std::string_view s = text.view();
    size_t i = 0, n = s.size();
    bool any_value = false;
    keys_.clear();
    renamed_.clear();  // (else every record with a repeated key would add to it for good)
    builder_.begin(out);
    while (i < n) {
      while (i < n && (s[i] == ' ' || s[i] == '\t')) ++i;
      if (i >= n) break;
      size_t start = i;
      while (i < n && static_cast<unsigned char>(s[i]) > ' ' && s[i] != '=' && s[i] != '"') ++i;
      if (i == start) {
        error = std::string("expected a key, got '") + s[i] + "' (byte " + std::to_string(i + 1) + ")";
        return false;
      }
      std::string_view key = unique_key(s.substr(start, i - start));
      if (i < n && s[i] == '=') {
        ++i;
        any_value = true;
        if (i < n && s[i] == '"') {
          size_t open = i++;
          value_.clear();
          bool closed = false;
          while (i < n) {
            char c = s[i];
            if (c == '"') {
              closed = true;
              ++i;
              break;
            }
            if (c == '\\' && i + 1 < n) {
              char e = s[i + 1];
              switch (e) {
                case '"': value_ += '"'; break;
                case '\\': value_ += '\\'; break;
                case 'n': value_ += '\n'; break;
                case 't': value_ += '\t'; break;
                case 'r': value_ += '\r'; break;
                default: value_ += '\\'; value_ += e;
              }
              i += 2;
              continue;
            }
            value_ += c;
            ++i;
          }
          if (!closed) {
            error = "unterminated quoted value (byte " + std::to_string(open + 1) + ")";
            return false;
          }
          if (i < n && s[i] != ' ' && s[i] != '\t') {
            error = "expected a space after the quoted value (byte " + std::to_string(i + 1) + ")";
            return false;
          }
          builder_.string(key, value_);
        } else {
          size_t vs = i;
          while (i < n && s[i] != ' ' && s[i] != '\t') ++i;
          builder_.inferred(key, s.substr(vs, i - vs));
        }
      } else if (i < n && s[i] == '"') {
        error = "unexpected '\"' in a key (byte " + std::to_string(i + 1) + ")";
        return false;
      } else {
        builder_.raw(key, "true");
      }
    }
    if (!any_value) {
      error = "no key=value pairs";
      return false;
    }
    if (!builder_.end(error)) return false;
    json = out;
    return true;
  }

 private:
  std::string_view unique_key(std::string_view key) {
    if (!json::is_valid_utf8(key)) {  // rare: compare it as it will be written
      std::string_view written = name_as_written(key, name_);
      renamed_.emplace_back(written);
      key = renamed_.back();
    }
    bool dup = false;
    for (const auto& k : keys_)
      if (k == key) dup = true;
    if (!dup) {
      keys_.push_back(key);
      return key;
    }
    // Rare: a repeated key. Keep both values, the later one under key_2 (key_3, …).
    for (int n = 2;; ++n) {
      renamed_.push_back(std::string(key) + "_" + std::to_string(n));
      bool taken = false;
      for (const auto& k : keys_)
        if (k == renamed_.back()) taken = true;
      if (!taken) {
        keys_.push_back(renamed_.back());
        return renamed_.back();
      }
      renamed_.pop_back();
    }
  }

  RecordBuilder builder_;
  std::string value_, name_;
  std::vector<std::string_view> keys_;
  std::deque<std::string> renamed_;  // stable storage for renamed keys (deque: no moves)
};

}  // namespace

std::unique_ptr<Format> make_logfmt_format(const FormatOptions& o) { return std::make_unique<LogfmtFormat>(o); }

}  // namespace sp::ingest
