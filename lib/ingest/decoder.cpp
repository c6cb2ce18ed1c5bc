#include "ingest/decoder.h"

#include <simdjson.h>
#include <unistd.h>

#include "json/writer.h"

namespace sp::ingest {

bool csv_quote_open(std::string_view s, char delim, bool open) {
  bool field_start = !open;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (open) {
      if (c == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') ++i;
        else open = false;
      }
    } else if (c == delim) {
      field_start = true;
      continue;
    } else if (c == '"' && field_start) {
      open = true;
    }
    field_start = false;
  }
  return open;
}

size_t first_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i + 1;
    if (i + len > n) return i + 1;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i + 1;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i + 1;
    i += len;
  }
  return 0;
}

Pipeline::Pipeline(Format& format, Emitter& emitter, DecoderOptions opts)
    : format_(format), emitter_(emitter), opts_(opts) {
  auto& st = emitter.stats();
  malformed_ = &st.counter("malformed", "Records the format could not parse.");
  too_long_ = &st.counter("too_long", "Lines longer than --max-line-bytes.");
  invalid_utf8_ = &st.counter("invalid_utf8", "Lines that are not valid UTF-8.");
  headers_ = &st.counter("header_rows", "CSV/TSV header rows read.");
}

StreamDecoder::StreamDecoder(Pipeline& p, std::string source, const FileIdentity* identity,
                             const std::string* ack_partition)
    : p_(p), source_(std::move(source)), identity_(identity), ack_partition_(ack_partition), state_(p.format().new_state()),
      csv_delim_(p.format().quoted_field_delimiter()) {
  if (p_.opts_.multiline_start) csv_delim_ = 0;
}

void StreamDecoder::emit(const char* data, size_t size, size_t capacity, uint64_t offset, uint64_t end,
                         uint64_t number) {
  Emitter& e = p_.emitter_;
  RecordOrigin origin{source_, false, identity_, offset, end, number, {}, {}, 0};
  if (ack_partition_) {
    origin.ack_partition = *ack_partition_;
    origin.ack_offset = end;
  }
  std::string_view text(data, size);
  Format& f = p_.format_;
  if (!f.checks_utf8() && !p_.opts_.replace_invalid_utf8 && !json::is_valid_utf8(text)) {
    e.stats().records_in.add();
    p_.invalid_utf8_->add();
    e.reject(origin, "invalid UTF-8 (byte " + std::to_string(first_invalid_utf8(text)) + ")", text);
    return;
  }
  std::string_view json;
  if (!f.parse({data, size, capacity}, state_.get(), p_.out_, json, p_.error_)) {
    e.stats().records_in.add();
    p_.malformed_->add();
    e.reject(origin, p_.error_, text);
    return;
  }
  if (json.empty()) {
    p_.headers_->add();
    return;
  }
  e.stats().records_in.add();
  e.write(json, origin);
}

void StreamDecoder::hold(const char* data, size_t size, uint64_t offset, uint64_t end, uint64_t number) {
  held_.assign(data, size);
  holding_ = true;
  held_offset_ = offset;
  held_end_ = end;
  held_line_ = number;
}

void StreamDecoder::append(const char* data, size_t size, uint64_t end) {
  held_ += '\n';
  held_.append(data, size);
  held_end_ = end;
}

void StreamDecoder::flush() {
  if (!holding_) return;
  holding_ = false;
  in_quote_ = false;
  held_.reserve(held_.size() + simdjson::SIMDJSON_PADDING);
  emit(held_.data(), held_.size(), held_.capacity(), held_offset_, held_end_, held_line_);
}

void StreamDecoder::reset() {
  flush();
  state_ = p_.format().new_state();
}

void StreamDecoder::line(const char* data, size_t size, size_t capacity, uint64_t offset, uint64_t end,
                         uint64_t number) {
  bool blank = true;
  for (size_t i = 0; i < size; ++i)
    if (data[i] != ' ' && data[i] != '\t') {
      blank = false;
      break;
    }
  if (csv_delim_) {
    if (holding_) {
      append(data, size, end);
      in_quote_ = csv_quote_open({data, size}, csv_delim_, true);
      if (!in_quote_) flush();
      else if (held_.size() > p_.opts_.max_record_bytes) flush();  // the format reports the open quote
      return;
    }
    if (blank) {
      p_.emitter_.stats().empty_lines.add();
      return;
    }
    if (csv_quote_open({data, size}, csv_delim_, false)) {
      in_quote_ = true;
      hold(data, size, offset, end, number);
      return;
    }
    emit(data, size, capacity, offset, end, number);
    return;
  }
  if (blank) {
    p_.emitter_.stats().empty_lines.add();
    return;
  }
  if (Regex* start = p_.opts_.multiline_start) {
    last_line_ = std::chrono::steady_clock::now();  // for --multiline-timeout
    if (start->match({data, size}) || !holding_) {
      flush();
      hold(data, size, offset, end, number);
    } else if (held_.size() + size + 1 > p_.opts_.max_record_bytes) {
      flush();
      hold(data, size, offset, end, number);
    } else {
      append(data, size, end);
    }
    return;
  }
  emit(data, size, capacity, offset, end, number);
}

void StreamDecoder::too_long(std::string_view prefix, uint64_t offset, uint64_t end, uint64_t number,
                             uint64_t total) {
  flush();
  Emitter& e = p_.emitter_;
  e.stats().records_in.add();
  p_.too_long_->add();
  RecordOrigin origin{source_, false, identity_, offset, end, number, {}, {}, 0};
  e.reject(origin,
           "line is " + std::to_string(total) + " bytes, longer than --max-line-bytes (" +
               std::to_string(p_.opts_.max_record_bytes) + ")",
           prefix, true, total);
}

void StreamDecoder::read_header(int fd) {
  Format& f = p_.format_;
  if (!f.has_header_row()) return;
  std::string text;
  char buf[65536];
  bool open = false;
  uint64_t pos = 0;
  size_t line_start = 0;
  char delim = f.quoted_field_delimiter();
  while (text.size() < (1u << 20)) {
    ssize_t r = ::pread(fd, buf, sizeof buf, static_cast<off_t>(pos));
    if (r <= 0) return;
    pos += static_cast<uint64_t>(r);
    size_t start = text.size();
    text.append(buf, static_cast<size_t>(r));
    for (size_t i = start; i < text.size(); ++i) {
      if (text[i] != '\n') continue;
      // Quotes as line() tracks them: a quote opens a field only at its start ("a,b\"c" is text),
      // else the header read again here would differ from the one read at the start.
      if (delim) open = csv_quote_open({text.data() + line_start, i - line_start}, delim, open);
      line_start = i + 1;
      if (!open) {
        size_t len = i;
        if (len && text[len - 1] == '\r') --len;
        text.resize(len);
        text.reserve(len + simdjson::SIMDJSON_PADDING);
        std::string_view json;
        f.parse({text.data(), text.size(), text.capacity()}, state_.get(), p_.out_, json, p_.error_);
        return;
      }
    }
  }
}

}  // namespace sp::ingest
