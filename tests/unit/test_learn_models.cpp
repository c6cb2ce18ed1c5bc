#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "io/error.h"
#include "learn/metrics.h"
#include "learn/model.h"
#include "learn/model_file.h"

using namespace sp::learn;

namespace {

// Trains `model` progressively on records made by `make(i, rng)`; returns the metrics.
template <class Make>
Metrics run(Model& model, int n, Make make, uint64_t seed = 1) {
  RecordScanner scanner;
  FeatureEncoder enc(model.spec(), scanner);
  size_t target = scanner.add(model.target());
  Metrics m(model.task());
  std::mt19937_64 rng(seed);
  std::vector<Feature> x;
  Prediction pred;
  Label label;
  std::string err, line;
  for (int i = 0; i < n; ++i) {
    line = make(i, rng);
    size_t len = line.size();
    line.append(simdjson::SIMDJSON_PADDING, ' ');
    REQUIRE(scanner.scan(line.data(), len));
    REQUIRE(enc.check(err));
    REQUIRE(model.label(scanner.slot(target), label, err, true));
    enc.encode(x, true);
    model.predict(x, pred);
    model.score(pred, label, m);
    model.learn(x, label, pred);
  }
  return m;
}

std::string rec(double a, double b, const std::string& c, const std::string& y) {
  return "{\"a\":" + std::to_string(a) + ",\"b\":" + std::to_string(b) + ",\"c\":\"" + c + "\",\"y\":" + y + "}";
}

ModelConfig config(Task task, const std::string& features = "a, b, c") {
  ModelConfig c;
  c.task = task;
  c.target = "y";
  c.features = features;
  c.bits = 16;
  return c;
}

}  // namespace

TEST_CASE("logistic regression learns a linear rule with AdaGrad and with FTRL", "[learn][model]") {
  for (Optimizer o : {Optimizer::kAdaGrad, Optimizer::kFtrl}) {
    ModelConfig c = config(Task::kBinary);
    c.optimizer.kind = o;
    Model model(c);
    std::normal_distribution<double> N;
    Metrics m = run(model, 4000, [&](int, std::mt19937_64& rng) {
      double a = N(rng), b = N(rng);
      bool pos = 2 * a - b + (rng() % 2 ? 0.5 : -0.5) > 0;
      return rec(a, b, rng() % 2 ? "u" : "v", pos ? "true" : "false");
    });
    INFO(optimizer_name(o));
    CHECK(m.accuracy() > 0.88);  // the noise flips ~9% of the labels
    CHECK(m.auc() > 0.98);
    CHECK(m.log_loss() < 0.25);
    CHECK(model.trained() == 4000);
  }
}

TEST_CASE("softmax regression learns classes as they appear", "[learn][model]") {
  Model model(config(Task::kMulticlass));
  std::normal_distribution<double> N;
  const char* names[] = {"\"red\"", "\"green\"", "\"blue\""};
  Metrics m = run(model, 3000, [&](int, std::mt19937_64& rng) {
    int k = static_cast<int>(rng() % 3);
    return rec(N(rng) * 0.5 + k * 2, N(rng), k == 2 ? "x" : "y", names[k]);
  });
  REQUIRE(model.classes().size() == 3);
  for (const auto& cl : model.classes()) CHECK((cl.json == "\"red\"" || cl.json == "\"green\"" || cl.json == "\"blue\""));
  CHECK(m.accuracy() > 0.9);
}

TEST_CASE("linear regression learns the target's scale online", "[learn][model]") {
  Model model(config(Task::kRegression, "a, b"));
  std::normal_distribution<double> N;
  Metrics m = run(model, 5000, [&](int, std::mt19937_64& rng) {
    double a = N(rng), b = N(rng);
    return rec(a, b, "", std::to_string(1000 + 300 * a - 100 * b + N(rng) * 10));
  });
  CHECK(m.rmse() < 60);  // the target's sd is 316
  CHECK(model.target_stats().mean == Approx(1000).epsilon(0.05));
}

TEST_CASE("FTRL's L1 keeps the weights of noise features at zero", "[learn][model]") {
  ModelConfig c = config(Task::kBinary, "a, c");
  c.optimizer.kind = Optimizer::kFtrl;
  c.optimizer.l1 = 5;
  Model model(c);
  std::normal_distribution<double> N;
  run(model, 3000, [&](int i, std::mt19937_64& rng) {
    double a = N(rng);
    return rec(a, 0, "noise" + std::to_string(i % 500), a > 0 ? "1" : "0");
  });
  size_t nonzero = 0;
  for (const auto& cell : model.learner().table(0)) nonzero += cell.w != 0;
  CHECK(nonzero < 20);  // 500 noise tokens, almost all zero
}

TEST_CASE("binary targets: true/false, 1/0, or a --positive rule", "[learn][model]") {
  RecordScanner s;
  size_t slot = s.add(sp::json::FieldPath::parse("y"));
  Label l;
  std::string err, line;
  auto label_of = [&](Model& m, const std::string& value) {
    line = "{\"y\":" + value + "}";
    size_t len = line.size();
    line.append(simdjson::SIMDJSON_PADDING, ' ');
    REQUIRE(s.scan(line.data(), len));
    return m.label(s.slot(slot), l, err, true) ? (l.y > 0.5 ? 1 : 0) : -1;
  };
  Model plain(config(Task::kBinary));
  CHECK(label_of(plain, "true") == 1);
  CHECK(label_of(plain, "0") == 0);
  CHECK(label_of(plain, "2") == -1);
  CHECK(err.find("use") == std::string::npos);
  CHECK(err.find("--positive") != std::string::npos);
  CHECK(label_of(plain, "\"yes\"") == -1);
  CHECK(label_of(plain, "null") == -1);
  CHECK(err == "target 'y' is null");

  ModelConfig c = config(Task::kBinary);
  c.positive = ">=500";
  Model ge(c);
  CHECK(label_of(ge, "503") == 1);
  CHECK(label_of(ge, "200") == 0);
  CHECK(label_of(ge, "\"503\"") == -1);
  c.positive = "fraud";
  Model eq(c);
  CHECK(label_of(eq, "\"fraud\"") == 1);
  CHECK(label_of(eq, "\"ok\"") == 0);
  c.positive = "!=200";
  Model ne(c);
  CHECK(label_of(ne, "200") == 0);
  CHECK(label_of(ne, "200.0") == 0);
  CHECK(label_of(ne, "404") == 1);

  CHECK_THROWS_AS(PositiveRule::parse(">=abc"), sp::UsageError);
  CHECK_THROWS_AS(PositiveRule::parse(">="), sp::UsageError);
  c.task = Task::kRegression;
  CHECK_THROWS_AS(Model(c), sp::UsageError);
}

TEST_CASE("declared classes are fixed; others are rejected", "[learn][model]") {
  ModelConfig c = config(Task::kMulticlass);
  c.classes = {"a", "b", "3"};
  Model m(c);
  REQUIRE(m.classes().size() == 3);
  CHECK(m.classes()[2].json == "3");
  CHECK(m.classes()[0].json == "\"a\"");
  RecordScanner s;
  size_t slot = s.add(m.target());
  std::string line = R"({"y":"z"})";
  line.append(simdjson::SIMDJSON_PADDING, ' ');
  REQUIRE(s.scan(line.data(), 9));
  Label l;
  std::string err;
  CHECK_FALSE(m.label(s.slot(slot), l, err, true));
  CHECK(err.find("--classes") != std::string::npos);
  line = "{\"y\":3}";
  line.append(simdjson::SIMDJSON_PADDING, ' ');
  REQUIRE(s.scan(line.data(), 7));
  REQUIRE(m.label(s.slot(slot), l, err, true));
  CHECK(l.cls == 2);
}

TEST_CASE("metrics: log loss, accuracy, AUC, RMSE, MAE", "[learn][metrics]") {
  Metrics b(Task::kBinary);
  CHECK(std::isnan(b.auc()));
  b.add_binary(0.9, true);
  b.add_binary(0.2, false);
  b.add_binary(0.6, false);
  b.add_binary(0.7, true);
  CHECK(b.accuracy() == Approx(0.75));
  CHECK(b.log_loss() == Approx((-std::log(0.9) - std::log(0.8) - std::log(0.4) - std::log(0.7)) / 4));
  CHECK(b.auc() == Approx(1.0));  // every positive ranks above every negative
  Metrics perfect(Task::kBinary), reversed(Task::kBinary);
  for (int i = 1; i < 100; ++i) {
    perfect.add_binary(i / 100.0, i > 50);
    reversed.add_binary(i / 100.0, i < 50);
  }
  CHECK(perfect.auc() == Approx(1.0));
  CHECK(reversed.auc() == Approx(0.0).margin(1e-9));
  Metrics r(Task::kRegression);
  r.add_regression(1, 2);
  r.add_regression(5, 2);
  CHECK(r.rmse() == Approx(std::sqrt(5.0)));
  CHECK(r.mae() == Approx(2.0));
  std::string j;
  r.append_json(j);
  CHECK(j == R"(,"rmse":2.23606797749979,"mae":2)");
  b.reset();
  CHECK(b.count() == 0);
}

TEST_CASE("a saved model loads back with the same predictions", "[learn][model_file]") {
  auto dir = std::filesystem::temp_directory_path() / ("sp-learn-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "m.json").string();
  for (Task task : {Task::kBinary, Task::kMulticlass, Task::kRegression}) {
    ModelConfig c = config(task, "a, log(b), c");
    c.interact = "a:c";
    if (task == Task::kBinary) c.positive = ">0";
    c.optimizer.kind = task == Task::kMulticlass ? Optimizer::kFtrl : Optimizer::kAdaGrad;
    Model model(c);
    std::normal_distribution<double> N;
    Metrics m = run(model, 500, [&](int, std::mt19937_64& rng) {
      double a = N(rng), b = std::fabs(N(rng));
      return rec(a, b, rng() % 2 ? "p" : "q", std::to_string(int(a * 3)));
    });
    save_model(model, &m, path, "test");
    auto loaded = load_model(path);
    INFO(task_name(task));
    CHECK(model_json(*loaded, &m, "test") == model_json(model, &m, "test"));
    CHECK(loaded->classes().size() == model.classes().size());
    CHECK(loaded->spec().features[1].kind == Kind::kNumeric);
    // No temporary file is left behind.
    size_t files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
    CHECK(files == 1);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("broken model files are rejected with the reason", "[learn][model_file]") {
  ModelConfig c = config(Task::kBinary);
  Model model(c);
  std::string good = model_json(model, nullptr, "test");
  CHECK_NOTHROW(parse_model(good, "m.json"));
  auto fails = [&](std::string text, const std::string& what) {
    try {
      parse_model(text, "m.json");
      FAIL("accepted: " << text.substr(0, 80));
    } catch (const sp::UsageError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(what) != std::string::npos);
    }
  };
  auto replace = [&](std::string from, std::string to) {
    std::string t = good;
    auto at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  fails("{", "not a valid model file");
  // One edit of the good file each: what is replaced, by what, and a part of the message.
  struct Edit {
    const char *from, *to, *what;
  };
  const Edit edits[] = {
      {"\"version\":1", "\"version\":2", "version 2 is not supported"},
      {"streampipe-model", "other", "format"},
      {"\"bits\":16", "\"bits\":40", "bits"},
      // Found by fuzzing (tests/fuzz/regressions/model/bits-beyond-int): counts were converted
      // to integers before their range was checked (undefined for 8.4e10 bits).
      {"\"bits\":16", "\"bits\":84295000000", "\"bits\" is out of range"},
      {"\"bits\":16", "\"bits\":8.5", "\"bits\" is out of range"},
      {"\"bits\":16", "\"bits\":16,\"max_classes\":-1", "\"max_classes\" is out of range"},
      {"\"version\":1", "\"version\":1e300", "version 1e+300 is not supported"},
      {"\"task\":\"binary\"", "\"task\":\"ranking\"", "ranking"},
      {"\"weights\":[", "\"weights\":[{\"index\":[1],\"w\":[],\"n\":[],\"z\":[]},", "tables"},
      // Found by fuzzing (tests/fuzz/regressions/model/feature-name-not-a-feature): names are
      // joined into a --features text and parsed again; one that read as two features was
      // written past the end of the list.
      {"{\"name\":\"a\"", "{\"name\":\"a, d\"", "read as 4 features"},
      {"{\"name\":\"a\"", "{\"name\":\"log(\"", "features"},
      {"{\"name\":\"a\"", "{\"name\":\" d \"", "does not read back under its own name"},
  };
  for (const auto& e : edits) fails(replace(e.from, e.to), e.what);
  // Found by fuzzing (tests/fuzz/regressions/model/weight-beyond-float): a weight beyond the
  // float range was loaded as infinity and saved back as 0.
  auto with_cell = [&](const std::string& w, const std::string& n) {
    std::string t = good;
    for (auto [from, to] : {std::pair<std::string, std::string>{"\"index\":[]", "\"index\":[3]"},
                            {"\"w\":[]", "\"w\":[" + w + "]"}, {"\"n\":[]", "\"n\":[" + n + "]"},
                            {"\"z\":[]", "\"z\":[0]"}}) {
      auto at = t.find(from);
      REQUIRE(at != std::string::npos);
      t.replace(at, from.size(), to);
    }
    return t;
  };
  CHECK_NOTHROW(parse_model(with_cell("-0.5", "2"), "m.json"));
  fails(with_cell("1e300", "1"), "a weight is out of range");
  fails(with_cell("1", "-3e39"), "a weight is out of range");
  fails(with_cell("1", "-2"), "is negative");
  CHECK_THROWS_AS(load_model("/nonexistent/m.json"), sp::UsageError);
}
