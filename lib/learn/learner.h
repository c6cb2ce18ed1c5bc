// Online linear learners over hashed features: logistic regression (binary), softmax
// regression (multiclass, one weight table per class) and linear regression (squared loss),
// updated one record at a time with per-coordinate adaptive steps:
//   AdaGrad        w -= lr * g / sqrt(sum g^2); L1 by a proximal (truncation) step, L2 in g.
//   FTRL-Proximal  McMahan et al. 2013: per-coordinate z and n, closed-form w with L1 and L2;
//                  learning_rate is alpha, ftrl_beta is beta.
// Each weight slot holds {w, n, z} as floats: n is the sum of squared gradients, z is FTRL's
// accumulator (unused by AdaGrad). A table has 2^bits slots; feature hashes are masked.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "learn/features.h"

namespace sp::learn {

enum class Task : uint8_t { kBinary, kMulticlass, kRegression };
enum class Optimizer : uint8_t { kAdaGrad, kFtrl };

const char* task_name(Task t);
const char* optimizer_name(Optimizer o);
// Throw sp::UsageError naming the option on an unknown name.
Task parse_task(const std::string& s);
Optimizer parse_optimizer(const std::string& s);

struct OptimizerParams {
  Optimizer kind = Optimizer::kAdaGrad;
  double learning_rate = 0.5;  // AdaGrad's step; FTRL's alpha
  double l1 = 0;
  double l2 = 0;
  double ftrl_beta = 1.0;
};

struct WeightCell {
  float w = 0, n = 0, z = 0;
};

constexpr int kMinBits = 1;
constexpr int kMaxBits = 28;

class LinearLearner {
 public:
  LinearLearner(int bits, OptimizerParams params, size_t tables);
  int bits() const { return bits_; }
  uint32_t mask() const { return mask_; }
  const OptimizerParams& params() const { return params_; }
  OptimizerParams& params() { return params_; }
  size_t tables() const { return tables_.size(); }
  void add_table() { tables_.emplace_back(size_t(1) << bits_); }

  double margin(size_t table, std::span<const Feature> x) const {
    const WeightCell* t = tables_[table].data();
    double m = 0;
    for (const Feature& f : x) m += double(t[f.hash & mask_].w) * f.value;
    return m;
  }
  // One step on the loss's gradient with respect to the margin (p - y for log loss and for
  // squared loss alike).
  void update(size_t table, std::span<const Feature> x, double grad);

  std::vector<WeightCell>& table(size_t i) { return tables_[i]; }
  const std::vector<WeightCell>& table(size_t i) const { return tables_[i]; }

 private:
  int bits_;
  uint32_t mask_;
  OptimizerParams params_;
  std::vector<std::vector<WeightCell>> tables_;
};

}  // namespace sp::learn
