// sp-ingest --format csv / tsv: header rows (empty and repeated names), --columns, quoted
// fields with "" and line breaks (joined by the decoder across lines, also when a record
// grows past the limit), TSV escapes, number typing and --time-field; every record must be
// well-formed JSON. The first byte picks the options.
#include "ingest_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static sp_fuzz::IngestHarness harness;
  // Index: bit 0 tsv, bit 1 --columns, bit 2 --time-field, bit 3 --invalid-utf8 replace.
  static std::unique_ptr<sp::ingest::Format> formats[16];
  if (!formats[0])
    for (int i = 0; i < 16; ++i) {
      const char* spec = i & 1 ? "tsv" : "csv";
      const char* time = i & 4 ? "b" : "";
      bool valid_utf8 = !(i & 8);
      formats[i] = i & 2 ? sp_fuzz::make_format(spec, time, valid_utf8, {"a", "b", "a"})
                         : sp_fuzz::make_format(spec, time, valid_utf8);
    }
  unsigned opt = data[0];
  bool add_meta = opt & 16;
  size_t max_record = opt & 32 ? 64 : 1u << 16;  // small: quoted records cut at the limit
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  harness.run(*formats[opt & 15], text, nullptr, opt & 8, add_meta, max_record);
  return 0;
}
