// Model: everything sp-learn trains and sp-predict scores with: the task, the target and how
// it becomes a label, the feature spec with its normalization state, the classes, and the
// learner's weights. The file format is in model_file.h.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "json/path.h"
#include "learn/features.h"
#include "learn/learner.h"
#include "learn/metrics.h"
#include "learn/record_scan.h"

namespace sp::learn {

// How a binary target becomes a label. Without a rule: true/false, or the numbers 1/0.
// "VALUE" (equal to the number VALUE, or to the string VALUE), ">=N", ">N", "<=N", "<N",
// "!=VALUE". Throws sp::UsageError from parse().
struct PositiveRule {
  enum class Op : uint8_t { kDefault, kEq, kNe, kGt, kGe, kLt, kLe };
  Op op = Op::kDefault;
  std::string text;      // as given
  std::string operand;   // the value after the operator
  double number = 0;
  bool numeric = false;  // operand is a number
  static PositiveRule parse(const std::string& text);
};

// A class of a multiclass model: the label's value as it appears in the records.
struct ClassLabel {
  bool is_string = false;
  std::string text;  // string content, or the JSON text of a number or boolean
  std::string json;  // as JSON text, for output
};

struct Label {
  double y = 0;    // binary: 0/1; regression: the value
  size_t cls = 0;  // multiclass
};

struct Prediction {
  double value = 0;  // binary: P(positive); multiclass: P(cls); regression: the value
  size_t cls = 0;    // multiclass: the most probable class (npos when there is none yet)
  std::vector<double> probs;  // multiclass: per class (reused between records)
};

struct ModelConfig {
  Task task = Task::kBinary;
  std::string target;     // field path text
  std::string positive;   // binary: the rule's text ("" = default)
  std::vector<std::string> classes;  // multiclass: declared classes as JSON text (may be empty)
  size_t max_classes = 1000;
  std::string features;   // --features text
  std::string interact;   // --interact text
  int bits = 18;
  OptimizerParams optimizer;
};

class Model {
 public:
  explicit Model(const ModelConfig& config);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  Task task() const { return task_; }
  const json::FieldPath& target() const { return target_; }
  const PositiveRule& positive() const { return positive_; }
  FeatureSpec& spec() { return spec_; }
  const FeatureSpec& spec() const { return spec_; }
  LinearLearner& learner() { return learner_; }
  const LinearLearner& learner() const { return learner_; }
  const std::vector<ClassLabel>& classes() const { return classes_; }
  bool classes_fixed() const { return classes_fixed_; }
  size_t max_classes() const { return max_classes_; }
  RunningStats& target_stats() { return target_stats_; }
  const RunningStats& target_stats() const { return target_stats_; }
  uint64_t trained() const { return trained_; }
  void set_trained(uint64_t n) { trained_ = n; }
  // Multiclass: adds a class (model loading); returns its index.
  size_t add_class(ClassLabel c);
  void set_classes_fixed(bool fixed) { classes_fixed_ = fixed; }

  // The label of a record's target value; false with `error` set when it has none or the
  // wrong type. A multiclass label not seen before becomes a new class unless the classes are
  // fixed or max_classes is reached.
  // `field` names the label's field in messages (default: the model's target).
  bool label(const SlotValue& v, Label& out, std::string& error, bool may_add, const std::string* field = nullptr);

  void predict(std::span<const Feature> x, Prediction& out) const;
  // Learns from one record, given the prediction predict() made for it before.
  void learn(std::span<const Feature> x, const Label& label, Prediction& pred);
  // Adds the progressive-validation outcome of a prediction to `m`.
  void score(const Prediction& pred, const Label& label, Metrics& m) const;

 private:
  Task task_;
  json::FieldPath target_;
  PositiveRule positive_;
  FeatureSpec spec_;
  LinearLearner learner_;
  std::vector<ClassLabel> classes_;
  bool classes_fixed_ = false;
  size_t max_classes_;
  RunningStats target_stats_;
  uint64_t trained_ = 0;
};

// Parses a class label given as text on the command line: a JSON number, true/false, or
// else a string.
ClassLabel class_from_text(const std::string& text);

}  // namespace sp::learn
