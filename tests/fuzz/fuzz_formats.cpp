// sp-ingest's other line formats through the decoder: combined and common access logs, logfmt,
// json (also pretty-printed records joined by --multiline-start and minified), raw, regex with
// named groups, and multiline assembly; every record must be well-formed JSON. The first byte
// picks the format and the options.
#include "ingest_harness.h"

namespace {

struct Variant {
  const char* spec;
  const char* time_field;
  const char* multiline;  // --multiline-start, or null
};

const Variant kVariants[] = {
    {"combined", "", nullptr},
    {"common", "", nullptr},
    {"combined", "when", nullptr},
    {"logfmt", "", nullptr},
    {"logfmt", "ts", nullptr},
    {"json", "", nullptr},
    {"json", "ts", nullptr},
    {"json", "", "^[{\\[]"},
    {"json", "a.ts", "^\\{"},
    {"raw", "", nullptr},
    {"raw", "", "^[^ \\t]"},
    {"regex:^(?<ts>\\S+) (?<level>[A-Z]+) (?<n>\\d+)? ?(?<msg>.*)$", "", nullptr},
    {"regex:^(?<ts>\\S+) (?<msg>.*)$", "ts", "^\\d{4}-"},
    {"logfmt", "", "^\\S"},
    {"combined", "", "^\\d"},
};
constexpr size_t kCount = sizeof kVariants / sizeof kVariants[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static sp_fuzz::IngestHarness harness;
  static std::unique_ptr<sp::ingest::Format> formats[kCount][2];  // [variant][--invalid-utf8 replace]
  static std::unique_ptr<sp::ingest::Regex> starts[kCount];
  if (!formats[0][0])
    for (size_t i = 0; i < kCount; ++i) {
      const Variant& v = kVariants[i];
      formats[i][0] = sp_fuzz::make_format(v.spec, v.time_field, true);
      formats[i][1] = sp_fuzz::make_format(v.spec, v.time_field, false);
      if (v.multiline) starts[i] = std::make_unique<sp::ingest::Regex>(v.multiline, "--multiline-start");
    }
  unsigned opt = data[0];
  size_t i = (opt & 15) % kCount;
  bool replace_utf8 = opt & 16;
  bool add_meta = opt & 32;
  size_t max_record = opt & 64 ? 48 : 1u << 16;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool built = std::string_view(kVariants[i].spec) != "json";  // json passes records through as they are
  harness.run(*formats[i][replace_utf8], text, starts[i].get(), replace_utf8, add_meta, max_record, built);
  return 0;
}
