#include "learn/model.h"

#include <charconv>
#include <cmath>

#include "io/error.h"
#include "json/writer.h"

namespace sp::learn {
namespace {

bool to_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

double sigmoid(double m) {
  if (m >= 0) return 1 / (1 + std::exp(-m));
  double e = std::exp(m);
  return e / (1 + e);
}

}  // namespace

PositiveRule PositiveRule::parse(const std::string& text) {
  PositiveRule r;
  r.text = text;
  if (text.empty()) return r;
  std::string_view s = text;
  if (s.starts_with(">=")) r.op = Op::kGe, s.remove_prefix(2);
  else if (s.starts_with("<=")) r.op = Op::kLe, s.remove_prefix(2);
  else if (s.starts_with("!=")) r.op = Op::kNe, s.remove_prefix(2);
  else if (s.starts_with("==")) r.op = Op::kEq, s.remove_prefix(2);
  else if (s.starts_with(">")) r.op = Op::kGt, s.remove_prefix(1);
  else if (s.starts_with("<")) r.op = Op::kLt, s.remove_prefix(1);
  else r.op = Op::kEq;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  r.operand = std::string(s);
  r.numeric = to_number(s, r.number);
  bool ordered = r.op == Op::kGe || r.op == Op::kLe || r.op == Op::kGt || r.op == Op::kLt;
  if (ordered && !r.numeric)
    throw UsageError("--positive: '" + text + "' compares with '" + r.operand + "', which is not a number");
  if (r.operand.empty()) throw UsageError("--positive: '" + text + "' has no value to compare with");
  return r;
}

ClassLabel class_from_text(const std::string& text) {
  ClassLabel c;
  double d;
  if (text == "true" || text == "false" || to_number(text, d)) {
    c.text = c.json = text;
  } else {
    c.is_string = true;
    c.text = text;
    json::append_string(c.json, text);
  }
  return c;
}

Model::Model(const ModelConfig& config)
    : task_(config.task),
      target_(json::FieldPath::parse(config.target)),
      positive_(PositiveRule::parse(config.positive)),
      spec_(parse_features(config.features)),
      learner_(config.bits, config.optimizer, config.task == Task::kMulticlass ? 0 : 1),
      max_classes_(config.max_classes) {
  if (!config.positive.empty() && task_ != Task::kBinary)
    throw UsageError("--positive applies to --task binary only");
  if (!config.classes.empty() && task_ != Task::kMulticlass)
    throw UsageError("--classes applies to --task multiclass only");
  add_interactions(spec_, config.interact);
  for (const auto& c : config.classes) {
    ClassLabel cl = class_from_text(c);
    for (const auto& have : classes_)
      if (have.is_string == cl.is_string && have.text == cl.text)
        throw UsageError("--classes: '" + c + "' is listed twice");
    add_class(std::move(cl));
  }
  classes_fixed_ = !config.classes.empty();
}

size_t Model::add_class(ClassLabel c) {
  classes_.push_back(std::move(c));
  learner_.add_table();
  return classes_.size() - 1;
}

bool Model::label(const SlotValue& v, Label& out, std::string& error, bool may_add, const std::string* field) {
  const std::string& name = field ? *field : target_.text();
  if (v.type == ValueType::kMissing || v.type == ValueType::kNull) {
    error = v.type == ValueType::kMissing ? "no target field '" + name + "'" : "target '" + name + "' is null";
    return false;
  }
  auto wrong = [&](const std::string& why) {
    error = "target '" + name + "' is " + type_name(v.type) + why;
    return false;
  };
  switch (task_) {
    case Task::kRegression:
      if (v.type != ValueType::kNumber) return wrong(", expected a number");
      out.y = v.number;
      return true;
    case Task::kBinary: {
      using Op = PositiveRule::Op;
      const PositiveRule& r = positive_;
      if (r.op == Op::kDefault) {
        if (v.type == ValueType::kBool) {
          out.y = v.boolean ? 1 : 0;
          return true;
        }
        if (v.type == ValueType::kNumber && (v.number == 0 || v.number == 1)) {
          out.y = v.number;
          return true;
        }
        char buf[32];
        std::string shown = v.type == ValueType::kNumber ? " (" + std::string(v.text(buf)) + ")" : "";
        return wrong(shown + "; a binary target is true/false or 1/0 unless --positive says which values are positive");
      }
      bool pos;
      if (r.op == Op::kEq || r.op == Op::kNe) {
        bool eq;
        char buf[32];
        if (v.type == ValueType::kNumber && r.numeric) eq = v.number == r.number;
        else if (v.type == ValueType::kString || v.type == ValueType::kNumber || v.type == ValueType::kBool)
          eq = v.text(buf) == r.operand;
        else return wrong(", expected a number, a string or a boolean");
        pos = r.op == Op::kEq ? eq : !eq;
      } else {
        if (v.type != ValueType::kNumber) return wrong(", but --positive '" + r.text + "' compares numbers");
        double x = v.number;
        pos = r.op == Op::kGe ? x >= r.number : r.op == Op::kGt ? x > r.number : r.op == Op::kLe ? x <= r.number
                                                                                    : x < r.number;
      }
      out.y = pos ? 1 : 0;
      return true;
    }
    case Task::kMulticlass: {
      bool is_string = v.type == ValueType::kString;
      if (!is_string && v.type != ValueType::kNumber && v.type != ValueType::kBool)
        return wrong(", expected a string, a number or a boolean");
      char buf[32];
      std::string_view text = v.text(buf);
      for (size_t k = 0; k < classes_.size(); ++k) {
        if (classes_[k].is_string == is_string && classes_[k].text == text) {
          out.cls = k;
          return true;
        }
      }
      if (!may_add) {
        error = "target '" + name + "' is " + std::string(is_string ? "\"" : "") + std::string(text) +
                (is_string ? "\"" : "") + ", not one of the model's classes";
        return false;
      }
      if (classes_fixed_) {
        error = "target '" + name + "' is " + std::string(text) + ", not one of the classes given with --classes";
        return false;
      }
      if (classes_.size() >= max_classes_) {
        error = "target '" + name + "' is " + std::string(text) + ", a new class beyond --max-classes (" +
                std::to_string(max_classes_) + ")";
        return false;
      }
      ClassLabel c;
      c.is_string = is_string;
      c.text = std::string(text);
      if (is_string) json::append_string(c.json, text);
      else c.json = c.text;
      out.cls = add_class(std::move(c));
      return true;
    }
  }
  return false;
}

void Model::predict(std::span<const Feature> x, Prediction& out) const {
  switch (task_) {
    case Task::kBinary:
      out.value = sigmoid(learner_.margin(0, x));
      out.cls = out.value >= 0.5 ? 1 : 0;
      return;
    case Task::kRegression: {
      double sd = std::sqrt(target_stats_.variance());
      if (!(sd > 0)) sd = 1;
      out.value = target_stats_.mean + sd * learner_.margin(0, x);
      return;
    }
    case Task::kMulticlass: {
      size_t k = classes_.size();
      out.probs.resize(k);
      if (k == 0) {
        out.value = 0;
        out.cls = static_cast<size_t>(-1);
        return;
      }
      double mx = -INFINITY;
      for (size_t i = 0; i < k; ++i) {
        out.probs[i] = learner_.margin(i, x);
        mx = std::max(mx, out.probs[i]);
      }
      double sum = 0;
      for (double& p : out.probs) sum += (p = std::exp(p - mx));
      out.cls = 0;
      for (size_t i = 0; i < k; ++i) {
        out.probs[i] /= sum;
        if (out.probs[i] > out.probs[out.cls]) out.cls = i;
      }
      out.value = out.probs[out.cls];
      return;
    }
  }
}

void Model::learn(std::span<const Feature> x, const Label& label, Prediction& pred) {
  ++trained_;
  switch (task_) {
    case Task::kBinary: learner_.update(0, x, pred.value - label.y); return;
    case Task::kRegression: {
      double sd_old = std::sqrt(target_stats_.variance());
      if (!(sd_old > 0)) sd_old = 1;
      double margin = (pred.value - target_stats_.mean) / sd_old;
      // Learn in standardized units, with the statistics that include this record, so that the
      // weights need not grow to the target's scale (AdaGrad's steps are scale-free).
      target_stats_.add(label.y);
      double sd = std::sqrt(target_stats_.variance());
      if (!(sd > 0)) sd = 1;
      learner_.update(0, x, margin - (label.y - target_stats_.mean) / sd);
      return;
    }
    case Task::kMulticlass:
      if (label.cls >= pred.probs.size()) predict(x, pred);  // a new class since the prediction
      for (size_t k = 0; k < pred.probs.size(); ++k)
        learner_.update(k, x, pred.probs[k] - (k == label.cls ? 1.0 : 0.0));
      return;
  }
}

void Model::score(const Prediction& pred, const Label& label, Metrics& m) const {
  switch (task_) {
    case Task::kBinary: m.add_binary(pred.value, label.y > 0.5); return;
    case Task::kRegression: m.add_regression(pred.value, label.y); return;
    case Task::kMulticlass: {
      double p = label.cls < pred.probs.size() ? pred.probs[label.cls] : 0;
      m.add_multiclass(p, pred.cls == label.cls);
      return;
    }
  }
}

}  // namespace sp::learn
