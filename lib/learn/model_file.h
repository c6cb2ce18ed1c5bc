// The model file: one JSON document, versioned, written atomically (a temporary file in the
// same directory, fsync, rename), so that a reader such as sp-predict never sees half a model.
//
// {"format":"streampipe-model","version":1,"created_by":"sp-learn 0.1.0",
//  "task":"binary","target":"status","positive":">=500",
//  "features":[{"name":"service","path":"service","transform":"auto","kind":"categorical"},
//              {"name":"log(latency_ms)","path":"latency_ms","transform":"log","kind":"numeric",
//               "count":200,"mean":3.02,"m2":101.7}],
//  "interactions":["service:log(latency_ms)"],
//  "bits":18,"hash":"murmur3-32",
//  "optimizer":{"name":"adagrad","learning_rate":0.5,"l1":0,"l2":0,"ftrl_beta":1},
//  "classes":["a","b"],"classes_fixed":false,"max_classes":1000,   (multiclass)
//  "target_stats":{"count":442,"mean":152.1,"m2":2.6e6},           (regression)
//  "records":200,
//  "metrics":{"records":200,"log_loss":0.21,"accuracy":0.95,"auc":0.97},
//  "weights":[{"index":[17,4711],"w":[0.5,-0.25],"n":[3.5,1.25],"z":[0,0]}]}
//
// "weights" has one table per class (multiclass) or one table; only the slots that were ever
// updated are listed, as parallel arrays (slot index, weight, sum of squared gradients, FTRL z).
// A reader rejects a file whose "format" differs or whose "version" is newer than it knows.
#pragma once
#include <memory>
#include <string>

#include "learn/metrics.h"
#include "learn/model.h"

namespace sp::learn {

constexpr int kModelFormatVersion = 1;

// Writes `model` (and, when given, the progressive metrics so far) to `path` atomically.
// Throws sp::Error on an I/O error.
void save_model(const Model& model, const Metrics* metrics, const std::string& path, const std::string& created_by);
// The JSON text save_model writes.
std::string model_json(const Model& model, const Metrics* metrics, const std::string& created_by);

// Reads a model file. Throws sp::UsageError when the file is missing, unreadable or not a
// valid model (the message names the file and the problem).
std::unique_ptr<Model> load_model(const std::string& path);
std::unique_ptr<Model> parse_model(std::string_view json_text, const std::string& name);

}  // namespace sp::learn
