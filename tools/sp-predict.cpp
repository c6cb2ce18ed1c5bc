// sp-predict: score records with a model from sp-learn, and/or flag anomalies per key.
#include "cli/program.h"
#include "learn/predict.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-predict",
    "Score NDJSON records with a model from sp-learn, and detect anomalies per key",
    "Examples:\n"
    "  sp-predict --model slow.json --label slow events.ndjson\n"
    "  gen-events | sp-predict --model slow.json --learn-from outcome\n"
    "  sp-predict --anomaly 'log(latency_ms)' --by service --method mad events.ndjson\n"};

int body(sp::cli::Program& prog) {
  sp::learn::PredictOptions opts;
  auto& app = prog.app();
  std::string missing = "impute", method = "ewma";
  prog.add_input_options();
  prog.add_reject_options();
  // --output names the prediction's field (as the issue has it), so the output file is
  // -o/--output-file here rather than the shared -o/--output.
  app.add_option("-o,--output-file", prog.options().output, "Write records to FILE instead of stdout ('.zst' compresses)")
      ->type_name("FILE")
      ->group("Output");
  app.add_option("--compress", prog.options().compress, "Compress the output")
      ->check(CLI::IsMember({"none", "zstd"}).description(""))
      ->type_name("{none,zstd}")
      ->group("Output");

  const char* g = "Model";
  app.add_option("--model", opts.model_path, "The model file written by sp-learn")->type_name("FILE")->group(g);
  app.add_option("--output", opts.output,
                 "Field for the prediction: binary P(positive), multiclass the class, regression the value")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--label", opts.label, "Binary: also write the decision (true when P >= --cutoff) to FIELD")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--probability", opts.probability, "Multiclass: also write the probability of the class to FIELD")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--cutoff", opts.cutoff, "Binary: the probability from which --label is true")
      ->type_name("P")
      ->check(CLI::Range(0.0, 1.0).description(""))
      ->group(g);
  app.add_option("--learn-from", opts.learn_from,
                 "Keep learning: where a record has FIELD, learn from it as the target after scoring it")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--report-every", opts.report_every,
                 "With --learn-from: print progressive-validation metrics every N records learned")
      ->type_name("N")
      ->group(g);
  app.add_option_function<std::string>(
         "--reload-interval",
         [&](const std::string& v) { opts.reload_interval = sp::cli::parse_duration(v, "--reload-interval"); },
         "How often to check the model file for a new version (0: never reload)")
      ->type_name("DURATION")
      ->default_str("1s")
      ->group(g);
  app.add_option("--missing", missing, "A record with a missing (or null) feature: score it without it, or reject it")
      ->check(CLI::IsMember({"impute", "reject"}).description(""))
      ->type_name("{impute,reject}")
      ->group(g);

  g = "Anomaly detection";
  app.add_option("--anomaly", opts.anomaly,
                 "Score these numeric features for anomalies, comma-separated (log() and num() apply); "
                 "adds anomaly_score and is_anomaly")
      ->type_name("FEATURES")
      ->group(g);
  app.add_option("--by", opts.by, "Keep a separate baseline per value of FIELD (e.g. a service or host)")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--method", method, "EWMA z-score, median/MAD modified z-score, or Half-Space Trees (multivariate)")
      ->check(CLI::IsMember({"ewma", "mad", "hst"}).description(""))
      ->type_name("{ewma,mad,hst}")
      ->group(g);
  app.add_option("--threshold", opts.anomaly_params.threshold,
                 "Scores above this are anomalies (default: ewma 4, mad 3.5, hst 3)")
      ->type_name("X")
      ->check(CLI::PositiveNumber.description(""))
      ->default_str("")
      ->group(g);
  app.add_option("--alpha", opts.anomaly_params.alpha, "ewma (and hst scaling): weight of the newest value")
      ->type_name("X")
      ->group(g);
  app.add_option("--window", opts.anomaly_params.window, "mad: values kept per key; hst: points per window")
      ->type_name("N")
      ->group(g);
  app.add_option("--warmup", opts.anomaly_params.warmup, "Values per key seen before any is flagged")
      ->type_name("N")
      ->group(g);
  app.add_option("--max-keys", opts.anomaly_params.max_keys,
                 "Most keys tracked (default 100000, hst 2000); records of further keys are not scored")
      ->type_name("N")
      ->check(CLI::PositiveNumber.description(""))
      ->default_str("")
      ->group(g);

  app.add_option("--digits", opts.digits, "Significant digits of the numbers added (0: as many as needed to be exact)")
      ->type_name("N")
      ->check(CLI::Range(0, 17).description(""))
      ->group("Output");

  prog.parse();
  opts.missing = sp::learn::parse_missing(missing);
  opts.anomaly_params.method = sp::learn::parse_anomaly_method(method);
  return sp::learn::predict(prog, opts);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
