#include "ingest/ingest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "ack/ack.h"
#include "ingest/checkpoint.h"
#include "ingest/decoder.h"
#include "ingest/emitter.h"
#include "ingest/formats/regex.h"
#include "ingest/kafka_source.h"
#include "io/error.h"
#include "io/stop.h"

namespace sp::ingest {
namespace {

enum class SourceKind { kFile, kStdin, kPoll, kListen, kKafka, kMqtt };

SourceKind classify(const std::string& s) {
  if (s == "-") return SourceKind::kStdin;
  size_t scheme = s.find("://");
  if (scheme != std::string::npos && s.find_first_of("/*?[") > scheme) {
    std::string name = s.substr(0, scheme);
    if (name == "file") return SourceKind::kFile;
    if (name == "http" || name == "https") return SourceKind::kPoll;
    if (name == "http-listen") return SourceKind::kListen;
    if (name == "kafka") return SourceKind::kKafka;
    if (name == "mqtt" || name == "mqtts") return SourceKind::kMqtt;
    throw UsageError("unknown source '" + s +
                     "' (use a path, a glob, file:///…, -, http://…, https://…, http-listen://…, kafka://… or mqtt(s)://…)");
  }
  return SourceKind::kFile;
}

}  // namespace

int run(cli::Program& prog, Options& opts) {
  std::vector<std::string> inputs = prog.options().inputs;
  if (inputs.empty()) inputs.push_back("-");
  bool files = false;
  std::vector<std::string> sources, polls, listens, kafkas, mqtts;  // sources: files and stdin, for the tailer
  for (const auto& s : inputs) {
    switch (classify(s)) {
      case SourceKind::kFile: files = true; sources.push_back(s); break;
      case SourceKind::kStdin: sources.push_back(s); break;
      case SourceKind::kPoll: polls.push_back(s); break;
      case SourceKind::kListen: listens.push_back(s); break;
      case SourceKind::kKafka: kafkas.push_back(s); break;
      case SourceKind::kMqtt: mqtts.push_back(s); break;
    }
  }
  opts.http.follow = opts.tail.follow;
  if (!opts.multiline_start.empty() && (opts.format.spec == "csv" || opts.format.spec == "tsv"))
    throw UsageError("--multiline-start cannot be used with --format " + opts.format.spec);
  if (!opts.checkpoint.empty() && !files)
    prog.report().warn("--checkpoint: stdin has no positions to keep; the checkpoint is not used");

  std::unique_ptr<ack::AckServer> ack;
  if (!opts.ack.empty()) {
    // Positions exist for files (byte offsets) and Kafka (offsets), one kind per process.
    bool stdin_source = std::count(inputs.begin(), inputs.end(), "-") > 0;
    if (stdin_source || !polls.empty() || !listens.empty() || !mqtts.empty())
      throw UsageError("--ack needs sources that can be read again: files or kafka:// (not stdin, HTTP or MQTT)");
    if (files && !kafkas.empty()) throw UsageError("--ack: read files and kafka:// in separate sp-ingest processes");
    if (files && opts.checkpoint.empty())
      throw UsageError("--ack with files needs --checkpoint FILE (where acknowledged positions are kept)");
    if (!kafkas.empty() && opts.kafka.count)
      throw UsageError("--ack cannot be used with --count (the last records could never be acknowledged)");
    ack = std::make_unique<ack::AckServer>(opts.ack);
    opts.tail.ack = ack.get();
    opts.kafka.ack = ack.get();
  }

  opts.format.valid_utf8 = !opts.replace_invalid_utf8;
  auto format = Format::create(opts.format);
  std::unique_ptr<Regex> multiline;
  if (!opts.multiline_start.empty()) multiline = std::make_unique<Regex>(opts.multiline_start, "--multiline-start");

  auto out = prog.open_output();
  EmitterOptions eo;
  eo.add_meta = opts.add_meta;
  eo.positions = ack != nullptr;
  Emitter emitter(prog, *out, eo);
  // --ack: after the last record, the output ends (so that the pipeline drains) and the sink's
  // last acknowledgements are awaited before the final commit.
  bool drained = false;
  auto drain = [&] {
    if (!ack || drained) return;
    drained = true;
    std::map<std::string, uint64_t> needed;
    {
      std::lock_guard<std::mutex> lock(emitter.mutex());
      needed.insert(emitter.emitted().begin(), emitter.emitted().end());
      try {
        emitter.close();
      } catch (const BrokenPipe&) {
        // The next stage is gone: what reached the sink may still be acknowledged.
      }
    }
    // The pipe's end is what tells the next stage to finish: stdout is pointed at /dev/null.
    if (prog.options().output == "-") {
      int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (null_fd >= 0) {
        ::dup2(null_fd, STDOUT_FILENO);
        ::close(null_fd);
      }
    }
    if (needed.empty() || ack->wait_for(needed, opts.ack_timeout)) return;
    uint64_t missing = 0;
    auto got = ack->snapshot();
    for (const auto& [p, off] : needed) missing += got.count(p) == 0 || got[p] < off;
    prog.report().warn(std::string("--ack: ") +
                       (ack->ever_connected() ? "the last records of " + std::to_string(missing) + " input" +
                                                    (missing == 1 ? "" : "s") +
                                                    " were not acknowledged (dropped by a stage, or not stored)"
                                              : "no sink connected to acknowledge the last records") +
                       "; they are read again at the next start");
  };
  opts.tail.before_final_commit = drain;
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
  // Kafka sources connect here, before any thread starts, so that a bad property is a usage
  // error and an unreachable broker fails within --connect-timeout.
  opts.kafka.meta = opts.add_meta;
  opts.kafka.max_message_bytes = prog.options().max_line_bytes;
  opts.mqtt.max_message_bytes = prog.options().max_line_bytes;
  opts.kafka.info = [&prog](const std::string& msg) { prog.report().info(msg); };
  std::vector<std::unique_ptr<KafkaSource>> kafka_sources;
  for (const auto& uri : kafkas)
    kafka_sources.push_back(std::make_unique<KafkaSource>(uri, opts.kafka, kafka_sources.size()));
  // HTTP and MQTT sources run in threads of their own; the tailer in this one. They share the output.
  std::mutex error_mu;
  std::exception_ptr error;
  auto guarded = [&](auto fn) {
    return [&, fn] {
      try {
        fn();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!error) error = std::current_exception();
        io::request_stop();
      }
    };
  };
  std::vector<std::thread> threads;
  for (const auto& url : polls) threads.emplace_back(guarded([&, url] { poll_http(url, opts.http, emitter); }));
  for (const auto& uri : listens) threads.emplace_back(guarded([&, uri] { listen_http(uri, opts.http, emitter); }));
  for (const auto& uri : mqtts) threads.emplace_back(guarded([&, uri] { read_mqtt(uri, opts.mqtt, emitter); }));
  for (auto& k : kafka_sources) threads.emplace_back(guarded([&, src = k.get()] { src->run(emitter); }));
  if (!sources.empty()) guarded([&] { Tailer(opts.tail, sources, checkpoint, pipeline, prog).run(); })();
  if (!listens.empty() || !mqtts.empty())
    while (!io::stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& t : threads) t.join();
  if (ack && !kafka_sources.empty()) {
    // Also after an error (the next stage gone): commit what was acknowledged.
    drain();
    for (auto& k : kafka_sources) k->finish();
  }
  if (error) std::rethrow_exception(error);

  out->close();
  prog.stats().bytes_out.set(out->bytes_written());
  return prog.finish();
}

}  // namespace sp::ingest
