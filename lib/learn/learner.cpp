#include "learn/learner.h"

#include <algorithm>
#include <cmath>

#include "io/error.h"

namespace sp::learn {

const char* task_name(Task t) {
  switch (t) {
    case Task::kBinary: return "binary";
    case Task::kMulticlass: return "multiclass";
    case Task::kRegression: return "regression";
  }
  return "?";
}

const char* optimizer_name(Optimizer o) { return o == Optimizer::kFtrl ? "ftrl" : "adagrad"; }

Task parse_task(const std::string& s) {
  if (s == "binary") return Task::kBinary;
  if (s == "multiclass") return Task::kMulticlass;
  if (s == "regression") return Task::kRegression;
  throw UsageError("--task: unknown task '" + s + "' (use binary, multiclass or regression)");
}

Optimizer parse_optimizer(const std::string& s) {
  if (s == "adagrad") return Optimizer::kAdaGrad;
  if (s == "ftrl") return Optimizer::kFtrl;
  throw UsageError("--optimizer: unknown optimizer '" + s + "' (use adagrad or ftrl)");
}

LinearLearner::LinearLearner(int bits, OptimizerParams params, size_t tables)
    : bits_(bits), mask_(static_cast<uint32_t>((uint64_t(1) << bits) - 1)), params_(params) {
  if (bits < kMinBits || bits > kMaxBits)
    throw UsageError("--bits: " + std::to_string(bits) + " is out of range (" + std::to_string(kMinBits) + " to " +
                     std::to_string(kMaxBits) + ")");
  for (size_t i = 0; i < tables; ++i) add_table();
}

void LinearLearner::update(size_t table, std::span<const Feature> x, double grad) {
  WeightCell* t = tables_[table].data();
  const double lr = params_.learning_rate, l1 = params_.l1, l2 = params_.l2;
  if (params_.kind == Optimizer::kAdaGrad) {
    for (const Feature& f : x) {
      WeightCell& c = t[f.hash & mask_];
      double w = c.w;
      double g = grad * f.value + l2 * w;
      if (g == 0) continue;
      double n = double(c.n) + g * g;
      double step = lr / std::sqrt(n);
      w -= step * g;
      if (l1 > 0) w = w > 0 ? std::max(0.0, w - step * l1) : std::min(0.0, w + step * l1);
      c.n = static_cast<float>(n);
      c.w = static_cast<float>(w);
    }
    return;
  }
  const double beta = params_.ftrl_beta;
  for (const Feature& f : x) {
    WeightCell& c = t[f.hash & mask_];
    double g = grad * f.value;
    if (g == 0) continue;
    double n = c.n, z = c.z;
    double sigma = (std::sqrt(n + g * g) - std::sqrt(n)) / lr;
    z += g - sigma * double(c.w);
    n += g * g;
    double w = 0;
    if (std::fabs(z) > l1) w = -(z - std::copysign(l1, z)) / ((beta + std::sqrt(n)) / lr + l2);
    c.n = static_cast<float>(n);
    c.z = static_cast<float>(z);
    c.w = static_cast<float>(w);
  }
}

}  // namespace sp::learn
