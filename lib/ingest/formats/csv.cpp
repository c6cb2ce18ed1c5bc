// --format csv (RFC 4180: "quoted, fields", "" for a quote, line breaks inside quotes) and
// --format tsv (tab-separated, no quoting; \t \n \r \\ escapes). The first row of each file is
// the header, unless --columns names the fields. Unquoted numbers become numbers.
#include <vector>

#include "ingest/formats/formats.h"

namespace sp::ingest {
namespace {

struct CsvState : FormatState {
  bool have_header = false;
  std::vector<std::string> header;
};

class CsvFormat : public Format {
 public:
  CsvFormat(const FormatOptions& o, char delim) : delim_(delim), columns_(o.columns), builder_(o.time_field) {
    builder_.set_valid_utf8(o.valid_utf8);
    for (auto& c : columns_) c = std::string(name_as_written(c, name_));
    dedupe(columns_);
  }
  std::unique_ptr<FormatState> new_state() const override { return std::make_unique<CsvState>(); }
  char quoted_field_delimiter() const override { return delim_ == ',' ? delim_ : 0; }
  bool has_header_row() const override { return columns_.empty(); }

  bool parse(const RecordText& text, FormatState* state, std::string& out, std::string_view& json,
             std::string& error) override {
    auto* st = static_cast<CsvState*>(state);
    if (!split(text.view(), error)) return false;
    if (columns_.empty() && !st->have_header) {
      st->header.clear();
      for (const auto& f : fields_) st->header.emplace_back(name_as_written(value(f), name_));
      for (size_t i = 0; i < st->header.size(); ++i)
        if (st->header[i].empty()) st->header[i] = "column_" + std::to_string(i + 1);
      dedupe(st->header);
      st->have_header = true;
      json = {};
      return true;
    }
    const std::vector<std::string>& names = columns_.empty() ? st->header : columns_;
    if (fields_.size() != names.size()) {
      error = std::to_string(fields_.size()) + " fields, expected " + std::to_string(names.size()) +
              (columns_.empty() ? " (as in the header row)" : " (as in --columns)");
      return false;
    }
    builder_.begin(out);
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].quoted) builder_.string(names[i], value(fields_[i]));
      else builder_.inferred(names[i], value(fields_[i]));
    }
    if (!builder_.end(error)) return false;
    json = out;
    return true;
  }

 private:
  struct Field {
    size_t begin, len;
    bool quoted, in_scratch;
  };
  std::string_view value(const Field& f) const {
    return f.in_scratch ? std::string_view(scratch_).substr(f.begin, f.len) : line_.substr(f.begin, f.len);
  }

  static void dedupe(std::vector<std::string>& names) {
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (names[j] == names[i]) {
          names[i] += "_" + std::to_string(i + 1);
          j = static_cast<size_t>(-1);  // check the new name again from the start
        }
  }

  bool split(std::string_view s, std::string& error) {
    line_ = s;
    fields_.clear();
    scratch_.clear();
    size_t i = 0, n = s.size();
    while (true) {
      if (delim_ == ',' && i < n && s[i] == '"') {
        size_t open = i++;
        size_t start = scratch_.size();
        bool closed = false;
        while (i < n) {
          size_t q = s.find('"', i);
          if (q == std::string_view::npos) break;
          scratch_.append(s.data() + i, q - i);
          if (q + 1 < n && s[q + 1] == '"') {
            scratch_ += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          closed = true;
          break;
        }
        if (!closed) {
          error = "unterminated quoted field (byte " + std::to_string(open + 1) + ")";
          return false;
        }
        fields_.push_back({start, scratch_.size() - start, true, true});
        if (i < n && s[i] != delim_) {
          error = "unexpected '" + std::string(1, s[i]) + "' after a closing quote (byte " + std::to_string(i + 1) +
                  ")";
          return false;
        }
      } else {
        size_t start = i;
        while (i < n && s[i] != delim_) ++i;
        if (delim_ == '\t' && s.substr(start, i - start).find('\\') != std::string_view::npos) {
          size_t sb = scratch_.size();
          for (size_t k = start; k < i; ++k) {
            char c = s[k];
            if (c == '\\' && k + 1 < i) {
              char e = s[++k];
              scratch_ += e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == '\\' ? '\\' : (scratch_ += '\\', e);
            } else {
              scratch_ += c;
            }
          }
          fields_.push_back({sb, scratch_.size() - sb, false, true});
        } else {
          fields_.push_back({start, i - start, false, false});
        }
      }
      if (i >= n) break;
      ++i;  // the delimiter
    }
    return true;
  }

  char delim_;
  std::vector<std::string> columns_;
  RecordBuilder builder_;
  std::string_view line_;
  std::vector<Field> fields_;
  std::string scratch_, name_;
};

}  // namespace

std::unique_ptr<Format> make_csv_format(const FormatOptions& o, char delimiter) {
  return std::make_unique<CsvFormat>(o, delimiter);
}

}  // namespace sp::ingest
