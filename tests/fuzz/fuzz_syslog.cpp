// sp-ingest --format syslog: RFC 5424 (structured data, nil fields, BOM) and RFC 3164 (with
// or without <PRI>, RFC 3339 times) lines through the decoder; every record must be
// well-formed JSON. The first byte picks the options: --time-field, --invalid-utf8 replace,
// --add-meta.
#include "ingest_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static sp_fuzz::IngestHarness harness;
  static const char* const kTimeFields[] = {"", "when", "time"};
  static std::unique_ptr<sp::ingest::Format> formats[6];
  if (!formats[0])
    for (int i = 0; i < 6; ++i) formats[i] = sp_fuzz::make_format("syslog", kTimeFields[i % 3], i < 3);
  unsigned opt = data[0];
  bool replace_utf8 = opt & 1;
  bool add_meta = opt & 2;
  size_t time_field = (opt >> 2) % 3;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  harness.run(*formats[time_field + (replace_utf8 ? 3 : 0)], text, nullptr, replace_utf8, add_meta);
  return 0;
}
