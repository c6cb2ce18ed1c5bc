// sp-learn: train a linear model online on a stream of records (progressive validation).
#include "cli/program.h"
#include "learn/train.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-learn",
    "Train a model online on NDJSON records: logistic, softmax or linear regression over hashed features",
    "Examples:\n"
    "  sp-learn --target status --positive '>=500' --features 'service, method, log(latency_ms)' \\\n"
    "      --model slow.json events.ndjson\n"
    "  sp-learn --task regression --target latency_ms --features 'service, cat(status)' --report-every 10000\n"
    "  gen-events | sp-learn --resume --model slow.json --save-every 100000\n"};

int body(sp::cli::Program& prog) {
  sp::learn::TrainOptions opts;
  auto& cfg = opts.config;
  auto& app = prog.app();
  std::string task = "binary", optimizer = "adagrad", missing = "impute", classes;
  std::vector<std::string> interact;
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();

  const char* g = "Model";
  app.add_option("--task", task, "What to learn: a yes/no target, one of several classes, or a number")
      ->check(CLI::IsMember({"binary", "multiclass", "regression"}).description(""))
      ->type_name("{binary,multiclass,regression}")
      ->group(g);
  app.add_option("--target", cfg.target, "The field to learn (a field path: status, a.b, a[0])")
      ->type_name("FIELD")
      ->group(g);
  app.add_option("--positive", cfg.positive,
                 "Binary: which target values are positive: VALUE, !=VALUE, >=N, >N, <=N, <N "
                 "(default: true/1 positive, false/0 negative)")
      ->type_name("RULE")
      ->group(g);
  app.add_option("--classes", classes, "Multiclass: the classes, comma-separated, known from the start")
      ->type_name("LIST")
      ->group(g);
  app.add_option("--max-classes", cfg.max_classes, "Multiclass: most classes learned from the data")
      ->type_name("N")
      ->check(CLI::Range(2, 100000).description(""))
      ->group(g);
  app.add_option("--features", cfg.features,
                 "The fields to learn from, comma-separated; wrap in num(), log() or cat() to choose how")
      ->type_name("LIST")
      ->group(g);
  app.add_option("--interact", interact, "Add the products of two features, a:b (repeatable)")
      ->allow_extra_args(false)  // one value per --interact: the next word is an input file
      ->default_str("")
      ->type_name("A:B")
      ->group(g);
  app.add_option("--bits", cfg.bits, "Hash features into 2^BITS weights per class")
      ->type_name("BITS")
      ->check(CLI::Range(sp::learn::kMinBits, sp::learn::kMaxBits).description(""))
      ->group(g);
  app.add_option("--missing", missing, "A record with a missing (or null) feature: learn without it, or reject it")
      ->check(CLI::IsMember({"impute", "reject"}).description(""))
      ->type_name("{impute,reject}")
      ->group(g);

  g = "Optimizer";
  app.add_option("--optimizer", optimizer, "Per-coordinate adaptive updates: AdaGrad or FTRL-Proximal")
      ->check(CLI::IsMember({"adagrad", "ftrl"}).description(""))
      ->type_name("{adagrad,ftrl}")
      ->group(g);
  app.add_option("--learning-rate", cfg.optimizer.learning_rate, "Step size (FTRL's alpha)")
      ->type_name("X")
      ->check(CLI::PositiveNumber.description(""))
      ->group(g);
  app.add_option("--l1", cfg.optimizer.l1, "L1 regularization (sparser weights)")
      ->type_name("X")
      ->check(CLI::NonNegativeNumber.description(""))
      ->group(g);
  app.add_option("--l2", cfg.optimizer.l2, "L2 regularization (smaller weights)")
      ->type_name("X")
      ->check(CLI::NonNegativeNumber.description(""))
      ->group(g);
  app.add_option("--ftrl-beta", cfg.optimizer.ftrl_beta, "FTRL's beta")
      ->type_name("X")
      ->check(CLI::NonNegativeNumber.description(""))
      ->group(g);

  g = "Model file";
  app.add_option("--model", opts.model_path, "Save the model to FILE (atomically) at the end and every --save-every records")
      ->type_name("FILE")
      ->group(g);
  app.add_flag("--resume", opts.resume, "Continue training the model in --model FILE (a new one when there is none)")
      ->group(g);
  app.add_option("--save-every", opts.save_every, "Also save the model every N records learned (0: only at the end)")
      ->type_name("N")
      ->group(g);

  g = "Reporting";
  app.add_option("--report-every", opts.report_every,
                 "Print progressive-validation metrics to stderr every N records learned (0: only at the end)")
      ->type_name("N")
      ->group(g);
  app.add_option("--metrics-out", opts.metrics_out, "Also write the metrics to FILE as NDJSON")
      ->type_name("FILE")
      ->group(g);
  app.add_flag("--pass-through", opts.pass_through, "Write every record learned from to the output, unchanged")
      ->group("Output");

  prog.parse();
  cfg.task = sp::learn::parse_task(task);
  cfg.optimizer.kind = sp::learn::parse_optimizer(optimizer);
  opts.missing = sp::learn::parse_missing(missing);
  for (const auto& i : interact) cfg.interact += (cfg.interact.empty() ? "" : ", ") + i;
  if (!classes.empty()) {
    for (size_t start = 0;;) {
      size_t comma = classes.find(',', start);
      std::string c = classes.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      while (!c.empty() && c.front() == ' ') c.erase(0, 1);
      while (!c.empty() && c.back() == ' ') c.pop_back();
      if (!c.empty()) cfg.classes.push_back(c);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  auto given = [&](const char* name) { return app.count(name) > 0; };
  opts.given_task = given("--task");
  opts.given_target = given("--target");
  opts.given_features = given("--features");
  opts.given_interact = given("--interact");
  opts.given_bits = given("--bits");
  opts.given_positive = given("--positive");
  opts.given_classes = given("--classes");
  opts.given_optimizer = given("--optimizer");
  opts.given_learning_rate = given("--learning-rate");
  opts.given_l1 = given("--l1");
  opts.given_l2 = given("--l2");
  opts.given_ftrl_beta = given("--ftrl-beta");
  return sp::learn::train(prog, opts);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
