// The NDJSON line reader and record access: arbitrary bytes split into lines (with small
// buffers and line limits, so that refills and overlong lines happen), each line checked for
// well-formedness and depth, and a few field paths resolved through On-Demand and the DOM.
// Oracle: the lines handed out are the input split at '\n', each without the '\r' before it,
// empty and blank lines (within the limit) left out, with their numbers and offsets; a line
// over the limit comes as its prefix and its whole length.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "io/line_reader.h"
#include "io/source.h"
#include "json/check.h"
#include "json/path.h"

namespace {

class MemorySource : public sp::io::ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size, size_t chunk) : data_(data), size_(size), chunk_(chunk) {}
  long read(char* buf, size_t n) override {
    size_t k = std::min({n, chunk_, size_ - pos_});
    memcpy(buf, data_ + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }
  const std::string& name() const override { return name_; }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0, chunk_;
  std::string name_ = "fuzz";
};

// The next line the reader should hand out, from `pos` on: its start and length (without the
// '\r'), its number; false at the end of the input.
struct Expected {
  size_t pos = 0, begin = 0, len = 0;
  uint64_t number = 0, empty = 0;
  size_t max = 0;
  bool next(const uint8_t* data, size_t size) {
    while (pos < size) {
      const void* nl = memchr(data + pos, '\n', size - pos);
      size_t end = nl ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - data) : size;
      begin = pos;
      len = end - pos;
      pos = nl ? end + 1 : size;
      ++number;
      if (len && data[begin + len - 1] == '\r') --len;
      bool blank = len <= max;
      for (size_t i = begin; i < begin + len && blank; ++i) blank = data[i] == ' ' || data[i] == '\t';
      if (!blank) return true;
      ++empty;
    }
    return false;
  }
};

// True when every escape in `text` is one JSON writes (\" \\ \n \r \t \b \f): On-Demand
// compares keys as escaped text, so "\u0061" is not the key "a" to it.
bool canonical_escapes(std::string_view text) {
  for (size_t i = text.find('\\'); i != std::string_view::npos; i = text.find('\\', i + 2))
    if (i + 1 >= text.size() || std::string_view("\"\\nrtbf").find(text[i + 1]) == std::string_view::npos)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the read size and the line limit.
  size_t chunk = 1 + data[0] % 64;
  sp::io::LineReaderOptions opts;
  // Up to beyond the reader's smallest buffer (4096 bytes), so that it grows.
  opts.max_line_bytes = 16 + data[1] * 32;
  opts.buffer_bytes = 64;
  opts.too_long_prefix = 8;
  static const sp::json::FieldPath paths[] = {
      sp::json::FieldPath::parse("a"), sp::json::FieldPath::parse("a.b"),
      sp::json::FieldPath::parse("a[0]"), sp::json::FieldPath::parse("/a/b/0"),
      sp::json::FieldPath::parse("`x y`.z"), sp::json::FieldPath::parse(R"(a["k\"x"])"),
      sp::json::FieldPath::parse(R"(["b\\s"].c)")};
  sp::io::LineReader reader(std::make_unique<MemorySource>(data + 2, size - 2, chunk), opts);
  sp::json::WellFormedChecker checker;
  simdjson::ondemand::parser parser;
  sp::io::Line line;
  Expected want;
  want.max = opts.max_line_bytes;
  const uint8_t* in = data + 2;
  while (reader.next(line)) {
    if (!want.next(in, size - 2)) __builtin_trap();  // a line that is not in the input
    if (line.number != want.number || line.offset != want.begin) __builtin_trap();
    if (line.capacity < line.size + simdjson::SIMDJSON_PADDING) __builtin_trap();
    if (line.too_long != (want.len > opts.max_line_bytes)) __builtin_trap();
    size_t shown = line.too_long ? std::min(want.len, opts.too_long_prefix) : want.len;
    if (line.size != shown || line.total_size != want.len || memcmp(line.data, in + want.begin, shown) != 0)
      __builtin_trap();
    if (line.too_long) continue;
    (void)sp::json::too_deep(line.view());
    if (!checker.check(line.data, line.size)) continue;
    auto doc = parser.iterate(line.data, line.size, line.capacity);
    if (doc.error()) continue;
    bool agree = checker.has_document() && canonical_escapes(line.view());
    for (const auto& p : paths) {
      auto v = p.find(doc.value_unsafe());
      if (!v.error()) (void)v.value_unsafe().raw_json_token();
      // A well-formed record whose keys are escaped as JSON writes them: both find the same.
      if (agree && v.error() != simdjson::SUCCESS && !p.find(checker.document()).error()) __builtin_trap();
    }
  }
  if (want.next(in, size - 2) || reader.empty_lines() != want.empty) __builtin_trap();  // a line lost
  return 0;
}
