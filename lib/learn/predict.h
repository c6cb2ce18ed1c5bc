// sp-predict: the scoring stage. Adds a model's prediction to each record (spliced into its
// text), reloading the model when its file changes; optionally keeps learning where labels
// arrive (--learn-from). Independently, or as well, scores records for anomalies per key.
#pragma once
#include <cstdint>
#include <string>

#include "cli/program.h"
#include "learn/anomaly.h"
#include "learn/train.h"

namespace sp::learn {

struct PredictOptions {
  std::string model_path;           // "" = no model (anomaly detection only)
  std::string output = "score";     // binary: P(positive); multiclass: the class; regression: the value
  std::string label;                // binary: also the decision (true/false at --cutoff)
  std::string probability;          // multiclass: also the probability of the class
  double cutoff = 0.5;
  int digits = 6;                   // significant digits of the numbers written (0: shortest exact)
  std::string learn_from;           // a field with labels: learn after predicting
  double reload_interval = 1.0;     // seconds between checks of the model file (0: never reload)
  MissingPolicy missing = MissingPolicy::kImpute;
  uint64_t report_every = 0;        // with --learn-from
  // anomaly detection
  std::string anomaly;              // features ("latency_ms" or "log(latency_ms), bytes")
  std::string by;                   // key field
  AnomalyParams anomaly_params;
  std::string score_field = "anomaly_score";
  std::string flag_field = "is_anomaly";
};

int predict(cli::Program& prog, PredictOptions& opts);

}  // namespace sp::learn
