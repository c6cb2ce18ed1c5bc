// The NDJSON line reader and record access: arbitrary bytes split into lines (with small
// buffers and line limits, so that refills and overlong lines happen), each line checked for
// well-formedness and depth, and a few field paths resolved through On-Demand and the DOM.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the read size and the line limit.
  size_t chunk = 1 + data[0] % 64;
  sp::io::LineReaderOptions opts;
  opts.max_line_bytes = 16 + data[1] * 4;
  opts.buffer_bytes = 64;
  opts.too_long_prefix = 8;
  static const sp::json::FieldPath paths[] = {
      sp::json::FieldPath::parse("a"), sp::json::FieldPath::parse("a.b"),
      sp::json::FieldPath::parse("a[0]"), sp::json::FieldPath::parse("/a/b/0"),
      sp::json::FieldPath::parse("`x y`.z")};
  sp::io::LineReader reader(std::make_unique<MemorySource>(data + 2, size - 2, chunk), opts);
  sp::json::WellFormedChecker checker;
  simdjson::ondemand::parser parser;
  sp::io::Line line;
  uint64_t last = 0;
  while (reader.next(line)) {
    if (line.number <= last) __builtin_trap();  // line numbers only go up
    last = line.number;
    if (line.capacity < line.size + simdjson::SIMDJSON_PADDING) __builtin_trap();
    if (line.too_long) continue;
    (void)sp::json::too_deep(line.view());
    if (!checker.check(line.data, line.size)) continue;
    if (checker.has_document())
      for (const auto& p : paths) (void)p.find(checker.document());
    auto doc = parser.iterate(line.data, line.size, line.capacity);
    if (doc.error()) continue;
    for (const auto& p : paths) {
      auto v = p.find(doc.value_unsafe());
      if (!v.error()) (void)v.value_unsafe().raw_json_token();
    }
  }
  return 0;
}
