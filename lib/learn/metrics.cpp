#include "learn/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "json/writer.h"

namespace sp::learn {
namespace {

double clip_p(double p) { return std::clamp(p, 1e-15, 1 - 1e-15); }

}  // namespace

void Metrics::reset() {
  n_ = correct_ = 0;
  loss_sum_ = abs_sum_ = sq_sum_ = 0;
  pos_.fill(0);
  neg_.fill(0);
}

void Metrics::add_binary(double p, bool positive) {
  ++n_;
  p = std::isfinite(p) ? p : 0.5;
  double q = clip_p(p);
  loss_sum_ -= positive ? std::log(q) : std::log(1 - q);
  if ((p >= 0.5) == positive) ++correct_;
  double logit = std::log(q / (1 - q));
  int bin = static_cast<int>((logit + 16.0) / 32.0 * kBins);
  bin = std::clamp(bin, 0, kBins - 1);
  (positive ? pos_ : neg_)[bin]++;
}

void Metrics::add_multiclass(double p_true, bool correct) {
  ++n_;
  loss_sum_ -= std::log(clip_p(std::isfinite(p_true) ? p_true : 0));
  if (correct) ++correct_;
}

void Metrics::add_regression(double predicted, double actual) {
  ++n_;
  double e = predicted - actual;
  abs_sum_ += std::fabs(e);
  sq_sum_ += e * e;
}

double Metrics::rmse() const { return n_ ? std::sqrt(sq_sum_ / double(n_)) : 0; }

double Metrics::auc() const {
  // Sum over positives of the negatives ranked below them (ties: one half).
  double pairs = 0, negs_below = 0, npos = 0, nneg = 0;
  for (int i = 0; i < kBins; ++i) {
    pairs += double(pos_[i]) * (negs_below + 0.5 * double(neg_[i]));
    negs_below += double(neg_[i]);
    npos += double(pos_[i]);
    nneg += double(neg_[i]);
  }
  if (npos == 0 || nneg == 0) return std::numeric_limits<double>::quiet_NaN();
  return pairs / (npos * nneg);
}

void Metrics::append_json(std::string& out) const {
  auto num = [&](const char* key, double v) {
    out += ",\"";
    out += key;
    out += "\":";
    json::append_number(out, v);
  };
  switch (task_) {
    case Task::kBinary:
      num("log_loss", log_loss());
      num("accuracy", accuracy());
      num("auc", auc());
      break;
    case Task::kMulticlass:
      num("log_loss", log_loss());
      num("accuracy", accuracy());
      break;
    case Task::kRegression:
      num("rmse", rmse());
      num("mae", mae());
      break;
  }
}

std::string Metrics::text() const {
  char buf[160];
  switch (task_) {
    case Task::kBinary: {
      double a = auc();
      if (std::isnan(a))
        std::snprintf(buf, sizeof buf, "log_loss %.4f accuracy %.4f auc -", log_loss(), accuracy());
      else
        std::snprintf(buf, sizeof buf, "log_loss %.4f accuracy %.4f auc %.4f", log_loss(), accuracy(), a);
      break;
    }
    case Task::kMulticlass:
      std::snprintf(buf, sizeof buf, "log_loss %.4f accuracy %.4f", log_loss(), accuracy());
      break;
    case Task::kRegression: std::snprintf(buf, sizeof buf, "rmse %.6g mae %.6g", rmse(), mae()); break;
  }
  return buf;
}

}  // namespace sp::learn
