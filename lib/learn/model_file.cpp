#include "learn/model_file.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>

#include "io/error.h"
#include "json/writer.h"

namespace sp::learn {
namespace {

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += '0';
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  out.append(buf, r.ptr);
}

std::string number_text(double v) {
  std::string out;
  json::append_number(out, v);
  return out;
}

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + path + ": " + errno_text(errno));
    }
    off += static_cast<size_t>(n);
  }
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

[[noreturn]] void bad(const std::string& name, const std::string& what) {
  throw UsageError(name + ": not a valid model file: " + what);
}

}  // namespace

std::string model_json(const Model& model, const Metrics* metrics, const std::string& created_by) {
  // One top-level member per line (the weight tables excepted): diffable and greppable.
  std::string out = "{";
  bool first = true;
  auto key = [&](const char* k) {
    out += first ? "\n\"" : ",\n\"";
    first = false;
    out += k;
    out += "\":";
  };
  auto str = [&](const char* k, std::string_view v) {
    key(k);
    json::append_string(out, v);
  };
  str("format", "streampipe-model");
  key("version");
  json::append_int(out, kModelFormatVersion);
  str("created_by", created_by);
  str("task", task_name(model.task()));
  str("target", model.target().text());
  if (model.task() == Task::kBinary) str("positive", model.positive().text);
  key("features");
  out += '[';
  const FeatureSpec& spec = model.spec();
  for (size_t i = 0; i < spec.features.size(); ++i) {
    const FeatureDef& f = spec.features[i];
    out += i ? ",\n  " : "\n  ";
    json::ObjectWriter fw(out);
    fw.str("name", f.name).str("path", f.path.text()).str("transform", transform_name(f.transform));
    fw.str("kind", kind_name(f.kind));
    if (f.kind == Kind::kNumeric) fw.num("count", f.stats.count).num("mean", f.stats.mean).num("m2", f.stats.m2);
    fw.close();
  }
  out += ']';
  key("interactions");
  out += '[';
  for (size_t i = 0; i < spec.interactions.size(); ++i) {
    if (i) out += ',';
    json::append_string(out, spec.interaction_name(i));
  }
  out += ']';
  const LinearLearner& L = model.learner();
  key("bits");
  json::append_int(out, L.bits());
  str("hash", "murmur3-32");
  key("optimizer");
  json::ObjectWriter ow(out);
  ow.str("name", optimizer_name(L.params().kind)).num("learning_rate", L.params().learning_rate);
  ow.num("l1", L.params().l1).num("l2", L.params().l2).num("ftrl_beta", L.params().ftrl_beta);
  ow.close();
  if (model.task() == Task::kMulticlass) {
    key("classes");
    out += '[';
    for (size_t k = 0; k < model.classes().size(); ++k) {
      if (k) out += ',';
      out += model.classes()[k].json;
    }
    out += ']';
    key("classes_fixed");
    out += model.classes_fixed() ? "true" : "false";
    key("max_classes");
    json::append_uint(out, model.max_classes());
  }
  if (model.task() == Task::kRegression) {
    const RunningStats& s = model.target_stats();
    key("target_stats");
    json::ObjectWriter sw(out);
    sw.num("count", s.count).num("mean", s.mean).num("m2", s.m2);
    sw.close();
  }
  key("records");
  json::append_uint(out, model.trained());
  if (metrics) {
    key("metrics");
    out += "{\"records\":";
    json::append_uint(out, metrics->count());
    metrics->append_json(out);
    out += '}';
  }
  key("weights");
  out += '[';
  for (size_t t = 0; t < L.tables(); ++t) {
    const auto& cells = L.table(t);
    out += t ? ",\n {\"index\":[" : "\n {\"index\":[";
    bool first_cell = true;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].n == 0 && cells[i].w == 0) continue;
      if (!first_cell) out += ',';
      first_cell = false;
      json::append_uint(out, i);
    }
    for (char field : {'w', 'n', 'z'}) {
      out += "],\n  \"";
      out += field;
      out += "\":[";
      first_cell = true;
      for (const auto& c : cells) {
        if (c.n == 0 && c.w == 0) continue;
        if (!first_cell) out += ',';
        first_cell = false;
        append_float(out, field == 'w' ? c.w : field == 'n' ? c.n : c.z);
      }
    }
    out += "]}";
  }
  out += "]\n}\n";
  return out;
}

void save_model(const Model& model, const Metrics* metrics, const std::string& path, const std::string& created_by) {
  std::string text = model_json(model, metrics, created_by);
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);  // what was learned stays private
  if (fd < 0) throw Error("cannot write the model to " + tmp + ": " + errno_text(errno));
  try {
    write_all(fd, text, tmp);
    if (::fsync(fd) != 0) throw Error("cannot write " + tmp + ": " + errno_text(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot write " + tmp + ": " + errno_text(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot rename " + tmp + " to " + path + ": " + errno_text(err));
  }
  // Make the rename itself durable.
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

std::unique_ptr<Model> load_model(const std::string& path) {
  simdjson::padded_string text;
  if (auto e = simdjson::padded_string::load(path).get(text); e != simdjson::SUCCESS) {
    int err = errno;
    throw UsageError("cannot read the model " + path + ": " + (err ? errno_text(err) : simdjson::error_message(e)));
  }
  return parse_model(std::string_view(text.data(), text.size()), path);
}

std::unique_ptr<Model> parse_model(std::string_view json_text, const std::string& name) {
  using simdjson::dom::element;
  simdjson::dom::parser parser;
  element root;
  if (auto e = parser.parse(json_text.data(), json_text.size()).get(root); e != simdjson::SUCCESS)
    bad(name, simdjson::error_message(e));
  auto str = [&](const char* key, bool required = true) -> std::string {
    std::string_view v;
    auto e = root[key].get_string().get(v);
    if (e == simdjson::NO_SUCH_FIELD && !required) return {};
    if (e != simdjson::SUCCESS) bad(name, std::string("\"") + key + "\" is missing or not a string");
    return std::string(v);
  };
  auto num = [&](element obj, const char* key, double dflt, bool required) -> double {
    double v;
    auto e = obj[key].get_double().get(v);
    if (e == simdjson::NO_SUCH_FIELD && !required) return dflt;
    if (e != simdjson::SUCCESS) bad(name, std::string("\"") + key + "\" is missing or not a number");
    return v;
  };
  // A count: a whole number in [lo, hi] (checked before it is converted to an integer).
  auto count = [&](element obj, const char* key, double dflt, bool required, double lo, double hi) -> double {
    double v = num(obj, key, dflt, required);
    if (!(v >= lo && v <= hi) || v != std::floor(v)) bad(name, std::string("\"") + key + "\" is out of range");
    return v;
  };
  if (str("format") != "streampipe-model") bad(name, "\"format\" is not \"streampipe-model\"");
  double version = num(root, "version", 0, true);
  if (version < 1 || version > kModelFormatVersion)
    bad(name, "format version " + number_text(version) + " is not supported (this program reads " +
                  std::to_string(kModelFormatVersion) + ")");

  ModelConfig cfg;
  std::string task = str("task");
  try {
    cfg.task = parse_task(task);
  } catch (const UsageError& e) {
    bad(name, e.what());
  }
  cfg.target = str("target");
  cfg.positive = str("positive", false);
  simdjson::dom::array features, interactions, weights;
  if (root["features"].get_array().get(features) != simdjson::SUCCESS) bad(name, "\"features\" is not an array");
  for (element f : features) {
    std::string_view fname;
    if (f["name"].get_string().get(fname) != simdjson::SUCCESS) bad(name, "a feature has no \"name\"");
    if (!cfg.features.empty()) cfg.features += ", ";
    cfg.features += fname;
  }
  if (root["interactions"].get_array().get(interactions) == simdjson::SUCCESS) {
    for (element i : interactions) {
      std::string_view s;
      if (i.get_string().get(s) != simdjson::SUCCESS) bad(name, "an interaction is not a string");
      if (!cfg.interact.empty()) cfg.interact += ", ";
      cfg.interact += s;
    }
  }
  cfg.bits = static_cast<int>(count(root, "bits", 0, true, kMinBits, kMaxBits));
  if (str("hash", false) != "murmur3-32") bad(name, "\"hash\" is not \"murmur3-32\"");
  element opt;
  if (root["optimizer"].get(opt) != simdjson::SUCCESS || !opt.is_object()) bad(name, "\"optimizer\" is missing");
  std::string_view oname;
  if (opt["name"].get_string().get(oname) != simdjson::SUCCESS) bad(name, "the optimizer has no name");
  try {
    cfg.optimizer.kind = parse_optimizer(std::string(oname));
  } catch (const UsageError& e) {
    bad(name, e.what());
  }
  cfg.optimizer.learning_rate = num(opt, "learning_rate", 0.5, true);
  cfg.optimizer.l1 = num(opt, "l1", 0, false);
  cfg.optimizer.l2 = num(opt, "l2", 0, false);
  cfg.optimizer.ftrl_beta = num(opt, "ftrl_beta", 1, false);
  cfg.max_classes = static_cast<size_t>(count(root, "max_classes", 1000, false, 0, 1e12));

  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(cfg);
  } catch (const UsageError& e) {
    bad(name, e.what());
  }
  // The names were joined into a --features text and parsed again: a name that does not
  // read back as one feature ("log(", "a, b") would leave the list out of step with the file.
  if (model->spec().features.size() != features.size())
    bad(name, "\"features\" has " + std::to_string(features.size()) + " entries, but their names read as " +
                  std::to_string(model->spec().features.size()) + " features");
  // Feature kinds and normalization state.
  size_t i = 0;
  for (element f : features) {
    FeatureDef& def = model->spec().features[i++];
    if (std::string_view fname; f["name"].get_string().get(fname) || fname != def.name)
      bad(name, "feature \"" + def.name + "\" does not read back under its own name");
    std::string_view kind;
    if (f["kind"].get_string().get(kind) != simdjson::SUCCESS) bad(name, "feature " + def.name + " has no \"kind\"");
    if (kind == "numeric") def.kind = Kind::kNumeric;
    else if (kind == "categorical") def.kind = Kind::kCategorical;
    else if (kind == "unknown") def.kind = Kind::kUnknown;
    else bad(name, "feature " + def.name + " has an unknown kind");
    if (def.kind == Kind::kNumeric) {
      def.stats.count = num(f, "count", 0, false);
      def.stats.mean = num(f, "mean", 0, false);
      def.stats.m2 = num(f, "m2", 0, false);
    }
  }
  if (cfg.task == Task::kMulticlass) {
    simdjson::dom::array classes;
    if (root["classes"].get_array().get(classes) != simdjson::SUCCESS) bad(name, "\"classes\" is missing");
    for (element c : classes) {
      ClassLabel cl;
      std::string_view s;
      if (c.get_string().get(s) == simdjson::SUCCESS) {
        cl.is_string = true;
        cl.text = std::string(s);
        json::append_string(cl.json, s);
      } else if (c.is_number() || c.is_bool()) {
        cl.text = cl.json = simdjson::to_string(c);
      } else {
        bad(name, "a class is not a string, a number or a boolean");
      }
      model->add_class(std::move(cl));
    }
    bool fixed = false;
    if (root["classes_fixed"].get_bool().get(fixed) != simdjson::SUCCESS) fixed = false;
    model->set_classes_fixed(fixed);
  }
  if (cfg.task == Task::kRegression) {
    element s;
    if (root["target_stats"].get(s) == simdjson::SUCCESS) {
      model->target_stats().count = num(s, "count", 0, false);
      model->target_stats().mean = num(s, "mean", 0, false);
      model->target_stats().m2 = num(s, "m2", 0, false);
    }
  }
  model->set_trained(static_cast<uint64_t>(count(root, "records", 0, false, 0, 9e18)));

  LinearLearner& L = model->learner();
  if (root["weights"].get_array().get(weights) != simdjson::SUCCESS) bad(name, "\"weights\" is not an array");
  if (weights.size() != L.tables())
    bad(name, "\"weights\" has " + std::to_string(weights.size()) + " tables, expected " + std::to_string(L.tables()));
  size_t t = 0;
  for (element table : weights) {
    simdjson::dom::array idx, w, n, z;
    if (table["index"].get_array().get(idx) != simdjson::SUCCESS || table["w"].get_array().get(w) != simdjson::SUCCESS ||
        table["n"].get_array().get(n) != simdjson::SUCCESS || table["z"].get_array().get(z) != simdjson::SUCCESS)
      bad(name, "a weight table lacks \"index\", \"w\", \"n\" or \"z\"");
    if (w.size() != idx.size() || n.size() != idx.size() || z.size() != idx.size())
      bad(name, "a weight table's arrays differ in length");
    auto& cells = L.table(t++);
    auto iw = w.begin(), in = n.begin(), iz = z.begin();
    for (element e : idx) {
      uint64_t slot;
      double wv, nv, zv;
      if (e.get_uint64().get(slot) != simdjson::SUCCESS || slot >= cells.size()) bad(name, "a weight index is out of range");
      if ((*iw).get_double().get(wv) != simdjson::SUCCESS || (*in).get_double().get(nv) != simdjson::SUCCESS ||
          (*iz).get_double().get(zv) != simdjson::SUCCESS)
        bad(name, "a weight is not a number");
      // Slots are floats: a larger value would become infinite, and be saved as 0 next time.
      constexpr double kMax = std::numeric_limits<float>::max();
      if (std::fabs(wv) > kMax || std::fabs(nv) > kMax || std::fabs(zv) > kMax)
        bad(name, "a weight is out of range (beyond 3.4e38, the largest float)");
      if (nv < 0) bad(name, "a weight's \"n\" (a sum of squares) is negative");
      cells[slot] = {static_cast<float>(wv), static_cast<float>(nv), static_cast<float>(zv)};
      ++iw, ++in, ++iz;
    }
  }
  return model;
}

}  // namespace sp::learn
