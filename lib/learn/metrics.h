// Progressive-validation metrics: each record is scored before the model learns from it, and
// the score is compared with its label. Constant memory whatever the stream's length.
//   binary      log_loss (natural log, p clipped to [1e-15, 1-1e-15]), accuracy (p >= 0.5 is
//               positive), auc (ROC area from a 4096-bin histogram of the logit over [-16, 16];
//               pairs in one bin count one half)
//   multiclass  log_loss (of the true class's probability), accuracy
//   regression  rmse, mae
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "learn/learner.h"

namespace sp::learn {

class Metrics {
 public:
  explicit Metrics(Task task) : task_(task) { reset(); }
  void reset();
  void add_binary(double p, bool positive);
  void add_multiclass(double p_true, bool correct);
  void add_regression(double predicted, double actual);

  Task task() const { return task_; }
  uint64_t count() const { return n_; }
  double log_loss() const { return n_ ? loss_sum_ / double(n_) : 0; }
  double accuracy() const { return n_ ? double(correct_) / double(n_) : 0; }
  double auc() const;  // NaN until both classes were seen
  double rmse() const;
  double mae() const { return n_ ? abs_sum_ / double(n_) : 0; }

  // The task's metrics as JSON members (",\"log_loss\":0.2,..."), appended to `out`.
  void append_json(std::string& out) const;
  // "log_loss 0.2134 accuracy 0.9120 auc 0.9631"
  std::string text() const;

 private:
  static constexpr int kBins = 4096;
  Task task_;
  uint64_t n_ = 0, correct_ = 0;
  double loss_sum_ = 0, abs_sum_ = 0, sq_sum_ = 0;
  std::array<uint64_t, kBins> pos_{}, neg_{};
};

}  // namespace sp::learn
