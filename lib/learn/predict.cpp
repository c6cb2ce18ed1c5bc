#include "learn/predict.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>

#include "io/error.h"
#include "io/stop.h"
#include "learn/field_writer.h"
#include "learn/model_file.h"

namespace sp::learn {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const FileId&) const = default;
};

FileId file_id(const std::string& path) {
  FileId id;
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) return id;
  id.dev = sb.st_dev;
  id.ino = sb.st_ino;
  id.size = sb.st_size;
  id.mtime_ns = int64_t(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
  return id;
}

// Everything that depends on the model's features: rebuilt when the model is reloaded.
struct Pipeline {
  std::unique_ptr<Model> model;
  RecordScanner scanner;
  std::unique_ptr<FeatureEncoder> encoder;
  std::unique_ptr<FeatureEncoder> anomaly;
  size_t label_slot = kNone, by_slot = kNone;
  std::vector<size_t> out_slots;  // per output field
};

void check_model(const Model& m, const PredictOptions& o, const std::string& name) {
  if (!o.label.empty() && m.task() != Task::kBinary)
    throw UsageError("--label applies to binary models; " + name + " is a " + task_name(m.task()) + " model");
  if (!o.probability.empty() && m.task() != Task::kMulticlass)
    throw UsageError("--probability applies to multiclass models; " + name + " is a " + task_name(m.task()) + " model");
}

}  // namespace

int predict(cli::Program& prog, PredictOptions& opts) {
  auto& common = prog.options();
  auto& st = prog.stats();
  auto& rep = prog.report();
  auto& c_scored = st.counter("scored", "Records given a model prediction.");
  auto& c_learned = st.counter("learned", "Records the model learned from (--learn-from).");
  auto& c_bad_labels = st.counter("bad_labels", "Records whose --learn-from label was unusable (scored, not learned from).");
  auto& c_anomalies = st.counter("anomalies", "Records flagged as anomalies.");
  auto& c_imputed = st.counter("imputed", "Records with a missing feature, scored without it.");
  auto& c_malformed = st.counter("malformed", "Lines that are not a JSON object.");
  auto& c_bad_features = st.counter("bad_features", "Records with a wrong-typed feature (or a missing one, with --missing reject).");
  auto& c_too_long = st.counter("too_long", "Lines longer than --max-line-bytes.");
  auto& c_reloads = st.counter("reloads", "Times the model file changed and was loaded again.");

  if (opts.model_path.empty() && opts.anomaly.empty())
    throw UsageError("nothing to do: give --model FILE, --anomaly FEATURES, or both");
  if (opts.model_path.empty()) {
    if (!opts.learn_from.empty()) throw UsageError("--learn-from needs --model FILE");
    if (!opts.label.empty()) throw UsageError("--label needs --model FILE");
    if (!opts.probability.empty()) throw UsageError("--probability needs --model FILE");
  }
  if (opts.anomaly.empty() && !opts.by.empty()) throw UsageError("--by needs --anomaly FEATURES");

  // Anomaly features: numeric only.
  FeatureSpec anomaly_spec;
  std::unique_ptr<AnomalyDetector> detector;
  if (!opts.anomaly.empty()) {
    anomaly_spec = parse_features(opts.anomaly);
    for (auto& f : anomaly_spec.features) {
      if (f.transform == Transform::kCat)
        throw UsageError("--anomaly: '" + f.name + "' is categorical; anomaly features are numbers");
      if (f.transform == Transform::kAuto) f.transform = Transform::kNum;  // numeric strings are read
      f.kind = Kind::kNumeric;
    }
    detector = std::make_unique<AnomalyDetector>(opts.anomaly_params, anomaly_spec.features.size());
  }

  // Output fields.
  FieldWriter writer;
  size_t f_out = kNone, f_label = kNone, f_prob = kNone, f_score = kNone, f_flag = kNone;
  if (!opts.model_path.empty()) {
    f_out = writer.add_field(json::FieldPath::parse(opts.output));
    if (!opts.label.empty()) f_label = writer.add_field(json::FieldPath::parse(opts.label));
    if (!opts.probability.empty()) f_prob = writer.add_field(json::FieldPath::parse(opts.probability));
  }
  if (detector) {
    f_score = writer.add_field(json::FieldPath::parse(opts.score_field));
    f_flag = writer.add_field(json::FieldPath::parse(opts.flag_field));
  }
  json::FieldPath learn_from, by;
  if (!opts.learn_from.empty()) learn_from = json::FieldPath::parse(opts.learn_from);
  if (!opts.by.empty()) by = json::FieldPath::parse(opts.by);

  auto build = [&](std::unique_ptr<Model> model) {
    auto p = std::make_unique<Pipeline>();
    p->model = std::move(model);
    if (p->model) {
      p->encoder = std::make_unique<FeatureEncoder>(p->model->spec(), p->scanner);
      if (!learn_from.empty()) p->label_slot = p->scanner.add(learn_from);
    }
    if (detector) {
      p->anomaly = std::make_unique<FeatureEncoder>(anomaly_spec, p->scanner);
      if (!by.empty()) p->by_slot = p->scanner.add(by);
    }
    // Output fields are scanned too, to know whether a record has them already.
    size_t n = 0;
    for (size_t i : {f_out, f_label, f_prob, f_score, f_flag})
      if (i != kNone) n = std::max(n, i + 1);
    p->out_slots.resize(n);
    for (size_t i = 0; i < n; ++i) p->out_slots[i] = p->scanner.add(writer.path(i));
    return p;
  };

  std::unique_ptr<Pipeline> pl;
  FileId model_id;
  if (!opts.model_path.empty()) {
    model_id = file_id(opts.model_path);
    auto m = load_model(opts.model_path);
    check_model(*m, opts, opts.model_path);
    pl = build(std::move(m));
  } else {
    pl = build(nullptr);
  }

  const Task task = pl->model ? pl->model->task() : Task::kBinary;
  Metrics total(task), recent(task);
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_check = Clock::now();
  auto maybe_reload = [&] {
    if (opts.model_path.empty() || opts.reload_interval <= 0) return;
    Clock::time_point now = Clock::now();
    if (now < next_check) return;
    next_check = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.reload_interval));
    FileId id = file_id(opts.model_path);
    if (id == model_id || id.size < 0) return;
    try {
      auto m = load_model(opts.model_path);
      check_model(*m, opts, opts.model_path);
      if (m->task() != pl->model->task())
        throw UsageError("the task changed from " + std::string(task_name(pl->model->task())) + " to " + task_name(m->task()));
      pl = build(std::move(m));
      model_id = id;
      c_reloads.add();
      rep.info("reloaded " + opts.model_path);
    } catch (const std::exception& e) {
      model_id = id;  // do not retry the same file over and over
      rep.warn(std::string("keeping the previous model: ") + e.what());
    }
  };

  auto out = prog.open_output();
  std::vector<Feature> x;
  x.reserve(64);
  std::vector<double> values(anomaly_spec.features.size());
  std::vector<bool> exists;
  Prediction pred;
  Label label;
  std::string error;
  char keybuf[32];

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
    // Look at the model file after a pause in the input, not only before it: a new model
    // written while the input was idle must score the records that end the pause.
    bool refilled = false;
    reader->on_refill([&] {
      out->flush();
      refilled = true;
    });
    std::string_view source = path == "-" ? std::string_view() : std::string_view(reader->name());
    io::Line line;
    auto reject = [&](cli::Counter& c, std::string_view why) {
      c.add();
      prog.reject({source, line.number, line.offset, why, line.view(), false, line.size, {}});
    };
    uint64_t since_check = 0;
    while (reader->next(line)) {
      st.records_in.add();
      st.bytes_in.set(bytes_before + reader->bytes_read());
      if (++since_check == 1024 || refilled) {
        since_check = 0;
        refilled = false;
        maybe_reload();
      }
      if (line.too_long) {
        c_too_long.add();
        std::string msg = "line is " + std::to_string(line.total_size) + " bytes, longer than --max-line-bytes (" +
                          std::to_string(common.max_line_bytes) + ")";
        prog.reject({source, line.number, line.offset, msg, line.view(), true, line.total_size, {}});
        continue;
      }
      Pipeline& p = *pl;
      if (!p.scanner.scan(line.data, line.size)) {
        reject(c_malformed, p.scanner.error());
        continue;
      }
      bool missing = false;
      if (p.encoder) {
        if (!p.encoder->check(error)) {
          reject(c_bad_features, error);
          continue;
        }
        if (p.encoder->missing()) {
          if (opts.missing == MissingPolicy::kReject) {
            reject(c_bad_features, "feature '" + p.encoder->first_missing() + "' is missing");
            continue;
          }
          missing = true;
        }
      }
      if (p.anomaly) {
        if (!p.anomaly->check(error)) {
          reject(c_bad_features, error);
          continue;
        }
        if (p.anomaly->missing()) {
          if (opts.missing == MissingPolicy::kReject) {
            reject(c_bad_features, "feature '" + p.anomaly->first_missing() + "' is missing");
            continue;
          }
          missing = true;
        }
        if (p.by_slot != kNone) {
          auto t = p.scanner.slot(p.by_slot).type;
          if (t == ValueType::kObject || t == ValueType::kArray) {
            reject(c_bad_features, "--by field '" + by.text() + "' is " + type_name(t) + ", expected a scalar");
            continue;
          }
        }
      }
      if (missing) c_imputed.add();
      writer.clear();
      if (p.model) {
        Model& m = *p.model;
        bool labeled = false;
        if (p.label_slot != kNone) {
          const SlotValue& lv = p.scanner.slot(p.label_slot);
          if (lv.type != ValueType::kMissing && lv.type != ValueType::kNull) {
            if (m.label(lv, label, error, true, &learn_from.text())) {
              labeled = true;
            } else {
              c_bad_labels.add();
              rep.record_error(source, line.number, error + " (scored, not learned from)");
            }
          }
        }
        p.encoder->encode(x, labeled);
        m.predict(x, pred);
        switch (m.task()) {
          case Task::kBinary:
            writer.set_number(f_out, pred.value, opts.digits);
            if (f_label != kNone) writer.set_bool(f_label, pred.value >= opts.cutoff);
            break;
          case Task::kRegression: writer.set_number(f_out, pred.value, opts.digits); break;
          case Task::kMulticlass:
            if (pred.cls < m.classes().size()) {
              writer.set_json(f_out, m.classes()[pred.cls].json);
              if (f_prob != kNone) writer.set_number(f_prob, pred.value, opts.digits);
            } else {
              writer.set_null(f_out);
              if (f_prob != kNone) writer.set_null(f_prob);
            }
            break;
        }
        c_scored.add();
        if (labeled) {
          m.score(pred, label, total);
          m.score(pred, label, recent);
          m.learn(x, label, pred);
          c_learned.add();
          if (opts.report_every && c_learned.get() % opts.report_every == 0) {
            rep.warn(std::to_string(total.count()) + " records learned: " + total.text() + " (last " +
                     std::to_string(recent.count()) + ": " + recent.text() + ")");
            recent.reset();
          }
        }
      }
      if (detector) {
        for (size_t i = 0; i < values.size(); ++i) values[i] = p.anomaly->numeric_value(i);
        std::string_view key;
        if (p.by_slot != kNone) key = p.scanner.slot(p.by_slot).text(keybuf);
        AnomalyResult r = detector->observe(key, values);
        if (r.scored) writer.set_number(f_score, r.score, opts.digits);
        else writer.set_null(f_score);
        writer.set_bool(f_flag, r.anomaly);
        if (r.anomaly) c_anomalies.add();
      }
      exists.resize(p.out_slots.size());
      for (size_t i = 0; i < p.out_slots.size(); ++i) exists[i] = p.scanner.slot(p.out_slots[i]).type != ValueType::kMissing;
      writer.write(*out, line.view(), exists);
      st.records_out.add();
    }
    bytes_before += reader->bytes_read();
    st.bytes_in.set(bytes_before);
    st.empty_lines.add(reader->empty_lines());
    if (io::stop_requested()) break;
  }
  out->close();
  st.bytes_out.set(out->bytes_written());
  if (c_learned.get()) rep.warn("learned from " + std::to_string(c_learned.get()) + " labeled records, progressive validation: " + total.text());
  if (detector && detector->keys_over_limit())
    rep.warn(std::to_string(detector->keys_over_limit()) + " records not scored for anomalies: more than --max-keys (" +
             std::to_string(detector->params().max_keys) + ") keys");
  return prog.finish();
}

}  // namespace sp::learn
