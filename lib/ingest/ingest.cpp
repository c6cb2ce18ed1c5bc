#include "ingest/ingest.h"

#include <sys/stat.h>

#include <memory>

#include "ingest/checkpoint.h"
#include "ingest/decoder.h"
#include "ingest/emitter.h"
#include "ingest/formats/regex.h"
#include "io/error.h"

namespace sp::ingest {
namespace {

enum class SourceKind { kFile, kStdin };

SourceKind classify(const std::string& s) {
  if (s == "-") return SourceKind::kStdin;
  size_t scheme = s.find("://");
  if (scheme != std::string::npos && s.find_first_of("/*?[") > scheme) {
    std::string name = s.substr(0, scheme);
    if (name == "file") return SourceKind::kFile;
    if (name == "kafka" || name == "mqtt" || name == "http" || name == "https" || name == "http-listen")
      throw UsageError(name + ":// sources are not supported by this build of sp-ingest yet");
    throw UsageError("unknown source '" + s + "' (use a path, a glob, file:///…, or -)");
  }
  return SourceKind::kFile;
}

}  // namespace

int run(cli::Program& prog, Options& opts) {
  std::vector<std::string> sources = prog.options().inputs;
  if (sources.empty()) sources.push_back("-");
  bool files = false;
  for (const auto& s : sources)
    if (classify(s) == SourceKind::kFile) files = true;
  if (!opts.multiline_start.empty() && (opts.format.spec == "csv" || opts.format.spec == "tsv"))
    throw UsageError("--multiline-start cannot be used with --format " + opts.format.spec);
  if (!opts.checkpoint.empty() && !files)
    prog.report().warn("--checkpoint: stdin has no positions to keep; the checkpoint is not used");

  opts.format.valid_utf8 = !opts.replace_invalid_utf8;
  auto format = Format::create(opts.format);
  std::unique_ptr<Regex> multiline;
  if (!opts.multiline_start.empty()) multiline = std::make_unique<Regex>(opts.multiline_start, "--multiline-start");

  auto out = prog.open_output();
  EmitterOptions eo;
  eo.add_meta = opts.add_meta;
  Emitter emitter(prog, *out, eo);
  DecoderOptions dopts;
  dopts.multiline_start = multiline.get();
  dopts.max_record_bytes = prog.options().max_line_bytes;
  dopts.replace_invalid_utf8 = opts.replace_invalid_utf8;
  Pipeline pipeline(*format, emitter, dopts);

  Checkpoint checkpoint(files ? opts.checkpoint : "");
  auto exclude = [&](const std::string& path, int fd) {
    struct stat st;
    if ((fd >= 0 ? fstat(fd, &st) : ::stat(path.c_str(), &st)) == 0 && S_ISREG(st.st_mode))
      opts.tail.exclude.insert({static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)});
  };
  exclude("", 1);
  if (prog.options().output != "-") exclude(prog.options().output, -1);
  if (!prog.options().dead_letter.empty()) exclude(prog.options().dead_letter, -1);
  if (!opts.checkpoint.empty()) exclude(checkpoint.path() + ".lock", -1);
  opts.tail.max_line_bytes = prog.options().max_line_bytes;
  opts.tail.multiline = multiline != nullptr;
  Tailer tailer(opts.tail, sources, checkpoint, pipeline, prog);
  tailer.run();

  out->close();
  prog.stats().bytes_out.set(out->bytes_written());
  return prog.finish();
}

}  // namespace sp::ingest
