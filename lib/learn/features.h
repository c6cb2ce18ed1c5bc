// Features: what the user names with --features and --interact, and how one record becomes a
// sparse vector of hashed features.
//
//   --features 'status, log(latency_ms), cat(status), country, ua.browser, tags'
//
// Each item is a field path, optionally wrapped in a transform:
//   path        by the JSON type of its first value: a number is numeric, a string, a boolean
//               or an array of scalars is categorical; the kind is then fixed (a later value
//               of the other kind is a wrong-typed feature).
//   num(path)   numeric; booleans count 0/1 and numeric strings ("12.5") are parsed.
//   log(path)   numeric after sign(x)*log(1+|x|), for long-tailed values such as latencies.
//   cat(path)   categorical even when the value is a number (status codes, ids).
// Numeric features are standardized online, (x - mean) / stddev with the running mean and
// variance of the values seen before (Welford), clipped to +-kClip. A categorical value
// becomes the token hash(value) seeded with hash(feature name), value 1; an array gives one
// token per element. --interact a:b adds the products of every pair of a's and b's hashed
// features (numeric x numeric, numeric x token, token x token). A constant bias is always there.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/path.h"
#include "learn/record_scan.h"

namespace sp::learn {

enum class Transform : uint8_t { kAuto, kNum, kLog, kCat };
enum class Kind : uint8_t { kUnknown, kNumeric, kCategorical };

const char* transform_name(Transform t);
const char* kind_name(Kind k);

// Running mean and variance (Welford).
struct RunningStats {
  double count = 0, mean = 0, m2 = 0;
  void add(double x) {
    count += 1;
    double d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
  }
  double variance() const { return count > 1 ? m2 / count : 0; }
};

struct FeatureDef {
  std::string name;  // normalized: "log(latency_ms)", "country"
  json::FieldPath path;
  Transform transform = Transform::kAuto;
  Kind kind = Kind::kUnknown;
  uint32_t hash = 0;   // hash(name): the numeric feature's slot, the seed of its tokens
  RunningStats stats;  // numeric features: for standardization
};

struct FeatureSpec {
  std::vector<FeatureDef> features;
  std::vector<std::pair<size_t, size_t>> interactions;
  // "a, log(b)" and "a:log(b)" forms, as parse_features/add_interactions read them.
  std::string features_text() const;
  std::string interaction_name(size_t i) const;
};

// Parses a comma-separated feature list; throws sp::UsageError.
FeatureSpec parse_features(std::string_view list);
// Parses "a:b[, c:d]": names of features in `spec` (as written, or their field path when that
// names one feature); throws sp::UsageError.
void add_interactions(FeatureSpec& spec, std::string_view list);

// One hashed feature of a record: the learner masks `hash` to its table size.
struct Feature {
  uint32_t hash;
  float value;
};

constexpr double kClip = 5.0;  // standardized numeric values are clipped to +-kClip
uint32_t bias_hash();

class FeatureEncoder {
 public:
  // Registers the features' paths with `scanner`; both must outlive the encoder.
  FeatureEncoder(FeatureSpec& spec, RecordScanner& scanner);

  // After scanner.scan(): checks every feature of the record. False, with `error` set, when
  // one has the wrong type; missing() then tells how many were absent (missing or null).
  bool check(std::string& error);
  uint32_t missing() const { return missing_; }
  // The first feature the last check() found missing.
  const std::string& first_missing() const { return spec_.features[first_missing_].name; }
  // Feature i's numeric value after its transform (NaN when missing or categorical).
  double numeric_value(size_t i) const {
    return prepared_[i].kind == Kind::kNumeric ? prepared_[i].x : std::numeric_limits<double>::quiet_NaN();
  }
  // Builds the record's features (after a successful check). With `learn`, the numeric
  // statistics take the record in (after it has been standardized with the previous ones)
  // and an auto feature's kind is fixed by its first value.
  void encode(std::vector<Feature>& out, bool learn);

 private:
  struct Prepared {
    Kind kind = Kind::kUnknown;  // of this record's value; kUnknown when missing
    double x = 0;                // numeric: after the transform
  };
  void add_tokens(const FeatureDef& f, const SlotValue& v, std::vector<Feature>& out);
  uint32_t token_hash(const FeatureDef& f, const ScalarValue& v);

  FeatureSpec& spec_;
  RecordScanner& scanner_;
  std::vector<size_t> slots_;
  std::vector<Prepared> prepared_;
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
  uint32_t missing_ = 0;
  size_t first_missing_ = 0;
};

}  // namespace sp::learn
