// What the sp-ingest format targets share: the bytes of one input are the lines of a file, fed
// through the real StreamDecoder (multiline and quoted-CSV joining, the UTF-8 check, the
// format, the emitter) into an in-memory output; then every record written must be one
// well-formed JSON document on one line. Everything is set up once: per input there is only
// the decoder and the text.
#pragma once
#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/program.h"
#include "ingest/decoder.h"
#include "ingest/emitter.h"
#include "ingest/formats/format.h"
#include "ingest/formats/regex.h"
#include "io/output.h"
#include "json/check.h"

namespace sp_fuzz {

// The records of one input land in a memfd; it is read back and emptied after each input.
class IngestHarness {
 public:
  IngestHarness() {
    static char arg0[] = "sp-ingest";
    static char* argv[] = {arg0, nullptr};
    static const sp::cli::ProgramInfo info{"sp-ingest", "fuzz", ""};
    prog_ = std::make_unique<sp::cli::Program>(info, 1, argv);
    prog_->report().set_verbosity(-1);  // rejected records are counted, not printed
    fd_ = memfd_create("sp-fuzz-out", 0);
    if (fd_ < 0) __builtin_trap();
    out_ = sp::io::Output::open("/proc/self/fd/" + std::to_string(fd_));
    sp::ingest::EmitterOptions plain;
    plain.host = "fuzz";
    sp::ingest::EmitterOptions meta = plain;
    meta.add_meta = true;
    emitter_ = std::make_unique<sp::ingest::Emitter>(*prog_, *out_, plain);
    meta_emitter_ = std::make_unique<sp::ingest::Emitter>(*prog_, *out_, meta);
  }

  // Runs `text` through a decoder of `format` and checks what it wrote. `add_meta` adds the
  // _src member (spliced into each record); `max_record_bytes` bounds joined records.
  // `unique_keys`: the format builds its objects (all but json), so no member name may repeat.
  void run(sp::ingest::Format& format, std::string_view text, sp::ingest::Regex* multiline_start, bool replace_utf8,
           bool add_meta, size_t max_record_bytes = 1u << 16, bool unique_keys = true) {
    sp::ingest::Emitter& e = add_meta ? *meta_emitter_ : *emitter_;
    sp::ingest::DecoderOptions opts;
    opts.multiline_start = multiline_start;
    opts.replace_invalid_utf8 = replace_utf8;
    opts.max_record_bytes = max_record_bytes;
    sp::ingest::Pipeline pipeline(format, e, opts);
    {
      sp::ingest::StreamDecoder decoder(pipeline, "fuzz.log", nullptr);
      // The lines as a reader hands them over: in one buffer, with padding after each.
      buf_.assign(text.data(), text.size());
      buf_.append(simdjson::SIMDJSON_PADDING, '\0');
      size_t start = 0, number = 0;
      while (start < text.size()) {
        const char* nl = static_cast<const char*>(memchr(buf_.data() + start, '\n', text.size() - start));
        size_t end = nl ? static_cast<size_t>(nl - buf_.data()) : text.size();
        size_t len = end - start;
        if (len && buf_[start + len - 1] == '\r') --len;
        ++number;
        if (len > max_record_bytes)
          decoder.too_long({buf_.data() + start, std::min<size_t>(len, 16)}, start, end + 1, number, len);
        else
          decoder.line(buf_.data() + start, len, buf_.size() - start, start, end + 1, number);
        start = end + 1;
      }
      decoder.flush();
    }
    e.flush();
    check_output(unique_keys && !add_meta);  // (a field named _src meets the --add-meta one)
  }

 private:
  void check_output(bool unique_keys) {
    off_t size = lseek(fd_, 0, SEEK_END);
    if (size < 0) __builtin_trap();
    written_.resize(static_cast<size_t>(size));
    if (size > 0 && pread(fd_, written_.data(), written_.size(), 0) != size) __builtin_trap();
    if (ftruncate(fd_, 0) != 0) __builtin_trap();
    size_t start = 0;
    while (start < written_.size()) {
      size_t nl = written_.find('\n', start);
      if (nl == std::string::npos) __builtin_trap();  // every record ends in a newline
      line_.assign(written_, start, nl - start);
      line_.append(simdjson::SIMDJSON_PADDING, '\0');
      if (!checker_.check(line_.data(), nl - start)) {
        fprintf(stderr, "malformed record: %s\n  %.*s\n", checker_.error().c_str(), static_cast<int>(nl - start),
                line_.data());
        __builtin_trap();
      }
      if (unique_keys && checker_.has_document()) check_unique_keys(checker_.document());
      start = nl + 1;
    }
  }

  void check_unique_keys(simdjson::dom::element doc) {
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return;
    keys_.clear();
    for (auto field : obj) keys_.push_back(field.key);
    std::sort(keys_.begin(), keys_.end());
    if (std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end()) {
      fprintf(stderr, "repeated member name: %s\n", line_.c_str());
      __builtin_trap();
    }
    for (auto field : obj)
      if (field.value.is_object()) check_unique_keys(field.value);
  }

  std::vector<std::string_view> keys_;
  std::unique_ptr<sp::cli::Program> prog_;
  int fd_ = -1;
  std::unique_ptr<sp::io::Output> out_;
  std::unique_ptr<sp::ingest::Emitter> emitter_, meta_emitter_;
  std::string buf_, written_, line_;
  sp::json::WellFormedChecker checker_;
};

inline std::unique_ptr<sp::ingest::Format> make_format(const char* spec, const char* time_field = "",
                                                       bool valid_utf8 = true,
                                                       std::initializer_list<const char*> columns = {}) {
  sp::ingest::FormatOptions o;
  o.spec = spec;
  o.time_field = time_field;
  o.valid_utf8 = valid_utf8;
  for (const char* c : columns) o.columns.emplace_back(c);
  return sp::ingest::Format::create(o);
}

}  // namespace sp_fuzz
