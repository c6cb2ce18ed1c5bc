// sp-learn: the training stage. Reads records, and for each: scans the target and the
// features, predicts (progressive validation: before learning), scores the prediction,
// learns. Reports running metrics, saves the model periodically and at the end.
#pragma once
#include <cstdint>
#include <string>

#include "cli/program.h"
#include "learn/model.h"

namespace sp::learn {

enum class MissingPolicy : uint8_t { kImpute, kReject };
MissingPolicy parse_missing(const std::string& s);  // throws sp::UsageError

struct TrainOptions {
  ModelConfig config;
  std::string model_path;        // "" = do not save
  bool resume = false;
  // Which model options were given on the command line (with --resume they must agree with
  // the model file; optimizer options given override the file's).
  bool given_task = false, given_target = false, given_features = false, given_interact = false,
       given_bits = false, given_positive = false, given_classes = false, given_learning_rate = false,
       given_l1 = false, given_l2 = false, given_optimizer = false, given_ftrl_beta = false;
  uint64_t report_every = 0;
  std::string metrics_out;
  uint64_t save_every = 100000;
  MissingPolicy missing = MissingPolicy::kImpute;
  bool pass_through = false;
};

// Runs the stage over the program's inputs; returns the exit status.
int train(cli::Program& prog, TrainOptions& opts);

}  // namespace sp::learn
