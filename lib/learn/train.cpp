#include "learn/train.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "io/stop.h"
#include "json/writer.h"
#include "learn/model_file.h"

namespace sp::learn {
namespace {

bool file_exists(const std::string& path) {
  struct stat sb;
  return ::stat(path.c_str(), &sb) == 0;
}

// Fails early, before hours of training, when the model cannot be written where asked.
void check_writable(const std::string& path) {
  std::string probe = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot write the model next to " + path + ": " + errno_text(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

std::string class_list(const std::vector<ClassLabel>& classes) {
  std::string s;
  for (const auto& c : classes) {
    if (!s.empty()) s += ',';
    s += c.text;
  }
  return s;
}

std::unique_ptr<Model> open_model(TrainOptions& o, cli::Reporter& rep) {
  if (o.resume && o.model_path.empty()) throw UsageError("--resume needs --model FILE");
  if (o.resume && file_exists(o.model_path)) {
    auto m = load_model(o.model_path);
    auto differs = [&](const char* opt, const std::string& given, const std::string& have) {
      throw UsageError(std::string(opt) + " '" + given + "' differs from the model's '" + have + "' in " +
                       o.model_path + " (without --resume a new model is trained)");
    };
    const ModelConfig& c = o.config;
    if (o.given_task && c.task != m->task()) differs("--task", task_name(c.task), task_name(m->task()));
    if (o.given_target && json::FieldPath::parse(c.target).text() != m->target().text())
      differs("--target", c.target, m->target().text());
    if (o.given_features) {
      FeatureSpec s = parse_features(c.features);
      if (s.features_text() != m->spec().features_text()) differs("--features", c.features, m->spec().features_text());
    }
    if (o.given_interact) {
      FeatureSpec s = parse_features(m->spec().features_text());
      add_interactions(s, c.interact);
      std::string a, b;
      for (size_t i = 0; i < s.interactions.size(); ++i) a += (i ? ", " : "") + s.interaction_name(i);
      for (size_t i = 0; i < m->spec().interactions.size(); ++i) b += (i ? ", " : "") + m->spec().interaction_name(i);
      if (a != b) differs("--interact", c.interact, b);
    }
    if (o.given_bits && c.bits != m->learner().bits())
      differs("--bits", std::to_string(c.bits), std::to_string(m->learner().bits()));
    if (o.given_positive && c.positive != m->positive().text) differs("--positive", c.positive, m->positive().text);
    if (o.given_classes) {
      std::string given;
      for (const auto& cl : c.classes) given += (given.empty() ? "" : ",") + class_from_text(cl).text;
      if (given != class_list(m->classes())) differs("--classes", given, class_list(m->classes()));
    }
    OptimizerParams& p = m->learner().params();
    if (o.given_optimizer && c.optimizer.kind != p.kind)
      differs("--optimizer", optimizer_name(c.optimizer.kind), optimizer_name(p.kind));
    if (o.given_learning_rate) p.learning_rate = c.optimizer.learning_rate;
    if (o.given_l1) p.l1 = c.optimizer.l1;
    if (o.given_l2) p.l2 = c.optimizer.l2;
    if (o.given_ftrl_beta) p.ftrl_beta = c.optimizer.ftrl_beta;
    rep.info("resuming " + o.model_path + " (" + std::to_string(m->trained()) + " records so far)");
    return m;
  }
  if (o.resume) rep.info("no model at " + o.model_path + " yet: training a new one");
  if (o.config.target.empty()) throw UsageError("--target is required (the field to learn)");
  if (o.config.features.empty()) throw UsageError("--features is required (the fields to learn from)");
  return std::make_unique<Model>(o.config);
}

}  // namespace

MissingPolicy parse_missing(const std::string& s) {
  if (s == "impute") return MissingPolicy::kImpute;
  if (s == "reject") return MissingPolicy::kReject;
  throw UsageError("--missing: unknown policy '" + s + "' (use impute or reject)");
}

int train(cli::Program& prog, TrainOptions& opts) {
  auto& common = prog.options();
  auto& st = prog.stats();
  auto& c_trained = st.counter("trained", "Records the model learned from.");
  auto& c_imputed = st.counter("imputed", "Records with a missing feature, learned from without it.");
  auto& c_malformed = st.counter("malformed", "Lines that are not a JSON object.");
  auto& c_bad_target = st.counter("bad_target", "Records without a usable target.");
  auto& c_bad_features = st.counter("bad_features", "Records with a wrong-typed feature (or a missing one, with --missing reject).");
  auto& c_too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& rep = prog.report();

  std::unique_ptr<Model> model = open_model(opts, rep);
  if (!opts.model_path.empty()) check_writable(opts.model_path);
  const std::string created_by = std::string(prog.name()) + " " SP_VERSION;

  RecordScanner scanner;
  FeatureEncoder encoder(model->spec(), scanner);
  size_t target_slot = scanner.add(model->target());
  Metrics total(model->task()), recent(model->task());
  std::vector<Feature> x;
  x.reserve(64);
  Prediction pred;
  Label label;
  std::string error;

  std::unique_ptr<io::Output> out = opts.pass_through ? prog.open_output() : nullptr;
  std::unique_ptr<io::Output> metrics_out;
  if (!opts.metrics_out.empty()) {
    io::OutputOptions mo;
    mo.append = false;
    metrics_out = io::Output::open(opts.metrics_out, mo);
  }
  std::string mline;
  auto report = [&](bool final) {
    if (metrics_out) {
      mline.clear();
      mline += "{\"records\":";
      json::append_uint(mline, total.count());
      total.append_json(mline);
      mline += ",\"recent\":{\"records\":";
      json::append_uint(mline, recent.count());
      recent.append_json(mline);
      mline += '}';
      if (final) mline += ",\"final\":true";
      mline += '}';
      metrics_out->write_line(mline);
      metrics_out->flush();
    }
    if (!final)
      rep.warn(std::to_string(total.count()) + " records: " + total.text() + " (last " +
               std::to_string(recent.count()) + ": " + recent.text() + ")");
    recent.reset();
  };
  auto save = [&] {
    if (!opts.model_path.empty()) save_model(*model, &total, opts.model_path, created_by);
  };

  std::vector<std::string> inputs = common.inputs.empty() ? std::vector<std::string>{"-"} : common.inputs;
  uint64_t bytes_before = 0;
  for (const auto& path : inputs) {
    std::unique_ptr<io::LineReader> reader;
    try {
      reader = prog.open_input(path);
    } catch (const Error& e) {
      prog.input_failed(e.what());
      continue;
    }
    if (out) reader->on_refill([&] { out->flush(); });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    auto reject = [&](cli::Counter& c, std::string_view why) {
      c.add();
      prog.reject({source, line.number, line.offset, why, line.view(), false, line.size, {}});
    };
    while (reader->next(line)) {
      st.records_in.add();
      st.bytes_in.set(bytes_before + reader->bytes_read());
      if (line.too_long) {
        c_too_long.add();
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(common.max_line_bytes) + ")";
        prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      if (!scanner.scan(line.data, line.size)) {
        reject(c_malformed, scanner.error());
        continue;
      }
      if (!encoder.check(error)) {
        reject(c_bad_features, error);
        continue;
      }
      if (encoder.missing() && opts.missing == MissingPolicy::kReject) {
        error = "feature '" + encoder.first_missing() + "' is missing";
        reject(c_bad_features, error);
        continue;
      }
      if (!model->label(scanner.slot(target_slot), label, error, true)) {
        reject(c_bad_target, error);
        continue;
      }
      if (encoder.missing()) c_imputed.add();
      encoder.encode(x, true);
      model->predict(x, pred);
      model->score(pred, label, total);
      model->score(pred, label, recent);
      model->learn(x, label, pred);
      c_trained.add();
      if (out) {
        out->write_line(line.view());
        st.records_out.add();
      }
      uint64_t n = c_trained.get();
      if (opts.report_every && n % opts.report_every == 0) report(false);
      if (opts.save_every && n % opts.save_every == 0) save();
    }
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  if (out) {
    out->close();
    st.bytes_out.set(out->bytes_written());
  }
  save();
  report(true);
  if (metrics_out) metrics_out->close();
  std::string summary = "trained on " + std::to_string(c_trained.get()) + " records";
  if (total.count()) summary += ", progressive validation: " + total.text();
  if (!opts.model_path.empty()) summary += "; model in " + opts.model_path;
  rep.warn(summary);
  return prog.finish();
}

}  // namespace sp::learn
