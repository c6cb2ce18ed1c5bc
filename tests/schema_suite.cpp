// Runs the official JSON-Schema-Test-Suite against sp::schema and checks pass-rate thresholds.
//
//   sp-schema-suite SUITE_DIR [-v] [--min-pass 2020-12=0.99] [--min-pass 7=0.99] [--min-format 0.90] [--optional]
//
// Required tests: tests/draft2020-12/*.json and tests/draft7/*.json (not optional/).
// Format tests: tests/<draft>/optional/format/*.json with formats asserted.
// --optional also reports the other optional tests (tests/<draft>/optional/*.json), without a threshold.
// Remote references to http://localhost:1234/ are read from SUITE_DIR/remotes/.
// Also checks that validating a valid record allocates nothing once warm (the bench schema
// in SUITE_DIR/../bench/events.schema.json, when present).
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "io/error.h"
#include "schema/validator.h"

#include <atomic>
#include <new>

namespace fs = std::filesystem;

// Counts heap allocations, for the no-allocation check. (GCC takes the malloc/free pair
// of a replaced operator new/delete for a mismatch.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<size_t> g_allocations{0};
void* operator new(size_t n) {
  g_allocations++;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  g_allocations++;
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
using sp::schema::CompileOptions;
using sp::schema::Validator;

namespace {

struct Tally {
  size_t passed = 0, failed = 0;
  std::vector<std::string> failures;
  double rate() const { return passed + failed ? static_cast<double>(passed) / static_cast<double>(passed + failed) : 1; }
};

void run_file(const fs::path& file, const CompileOptions& options, Tally& tally, const std::string& label) {
  simdjson::dom::parser parser;
  simdjson::dom::element groups;
  if (auto err = parser.load(file.string()).get(groups)) {
    tally.failed++;
    tally.failures.push_back(label + ": cannot parse: " + simdjson::error_message(err));
    return;
  }
  for (simdjson::dom::element group : groups.get_array()) {
    std::string_view gdesc = group["description"].get_string().value();
    std::string schema_text = simdjson::minify(group["schema"].value());
    std::string gname = label + " / " + std::string(gdesc);
    Validator v;
    std::string compile_error;
    try {
      v = Validator::from_text(schema_text, gname, options);
    } catch (const sp::UsageError& e) {
      compile_error = e.what();
    }
    for (simdjson::dom::element test : group["tests"].get_array()) {
      std::string_view tdesc = test["description"].get_string().value();
      bool expected = test["valid"].get_bool().value();
      simdjson::dom::element data = test["data"].value();
      std::string why;
      bool ok;
      if (!compile_error.empty()) {
        ok = false;
        why = "compile error: " + compile_error;
      } else {
        bool fast = v.is_valid(data);
        std::vector<sp::schema::ValidationError> errors;
        bool full = v.validate(data, errors, 0);
        ok = fast == expected && full == expected;
        if (!ok) {
          why = "expected " + std::string(expected ? "valid" : "invalid") + ", is_valid=" + (fast ? "true" : "false") +
                ", validate=" + (full ? "true" : "false");
          if (!errors.empty()) why += " (" + sp::schema::format_error(errors[0]) + ")";
        }
      }
      if (ok) {
        tally.passed++;
      } else {
        tally.failed++;
        tally.failures.push_back(gname + " / " + std::string(tdesc) + ": " + why);
      }
    }
  }
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite;
  bool verbose = false;
  std::map<std::string, double> min_pass;
  double min_format = 0;
  bool optional = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (a == "--min-pass" && i + 1 < argc) {
      std::string v = argv[++i];
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::cerr << "sp-schema-suite: --min-pass wants DRAFT=RATE, e.g. 2020-12=0.99\n";
        return 2;
      }
      min_pass[v.substr(0, eq)] = std::atof(v.c_str() + eq + 1);
    } else if (a == "--optional") {
      optional = true;
    } else if (a == "--min-format" && i + 1 < argc) {
      min_format = std::atof(argv[++i]);
    } else if (suite.empty() && a[0] != '-') {
      suite = a;
    } else {
      std::cerr << "usage: sp-schema-suite SUITE_DIR [-v] [--min-pass DRAFT=RATE]... [--min-format RATE]\n";
      return 2;
    }
  }
  if (suite.empty() || !fs::is_directory(fs::path(suite) / "tests")) {
    std::cerr << "sp-schema-suite: " << (suite.empty() ? std::string("no suite directory given") : suite + ": no tests/ in it")
              << "\n";
    return 2;
  }
  std::string remotes = (fs::absolute(suite) / "remotes").lexically_normal().string();
  int status = 0;
  Tally formats;
  for (std::string draft : {"2020-12", "7"}) {
    std::string dir = draft == "7" ? "draft7" : "draft" + draft;
    CompileOptions options;
    options.draft = draft == "7" ? 7 : 0;
    options.schema_map = {{"http://localhost:1234/", remotes}};
    Tally tally;
    for (const fs::path& f : json_files(fs::path(suite) / "tests" / dir))
      run_file(f, options, tally, dir + "/" + f.filename().string());
    Tally fmt;
    options.assert_formats = true;
    for (const fs::path& f : json_files(fs::path(suite) / "tests" / dir / "optional" / "format"))
      run_file(f, options, fmt, dir + "/optional/format/" + f.filename().string());
    Tally opt;
    if (optional) {
      options.assert_formats = false;
      for (const fs::path& f : json_files(fs::path(suite) / "tests" / dir / "optional"))
        run_file(f, options, opt, dir + "/optional/" + f.filename().string());
    }
    std::printf("%s: %zu passed, %zu failed (%.2f%%)\n", dir.c_str(), tally.passed, tally.failed, 100 * tally.rate());
    std::printf("%s optional/format: %zu passed, %zu failed (%.2f%%)\n", dir.c_str(), fmt.passed, fmt.failed,
                100 * fmt.rate());
    if (optional)
      std::printf("%s optional (not format): %zu passed, %zu failed (%.2f%%)\n", dir.c_str(), opt.passed, opt.failed,
                  100 * opt.rate());
    if (verbose) {
      for (const std::string& f : tally.failures) std::printf("  FAIL %s\n", f.c_str());
      for (const std::string& f : fmt.failures) std::printf("  FAIL %s\n", f.c_str());
      for (const std::string& f : opt.failures) std::printf("  FAIL %s\n", f.c_str());
    }
    auto want = min_pass.find(draft);
    if (want != min_pass.end() && tally.rate() < want->second) {
      std::printf("%s: pass rate %.4f is below the threshold %.4f\n", dir.c_str(), tally.rate(), want->second);
      status = 1;
    }
    formats.passed += fmt.passed;
    formats.failed += fmt.failed;
    if (fmt.rate() < min_format) {
      std::printf("%s optional/format: pass rate %.4f is below the threshold %.4f\n", dir.c_str(), fmt.rate(), min_format);
      status = 1;
    }
  }
  fs::path bench = fs::path(suite) / ".." / "bench" / "events.schema.json";
  if (fs::exists(bench)) {
    Validator v = Validator::from_file(bench.string());
    simdjson::dom::parser parser;
    simdjson::dom::element record = parser.parse(std::string(
        R"({"ts":"2026-11-24T00:00:00.005Z","host":"search-01","service":"search","user_id":"u041416",)"
        R"("ip":"103.46.200.108","method":"GET","path":"/search/suggest?q=sensor","status":200,"bytes":1518,)"
        R"("latency_ms":11.629,"country":"BR","ua":{"browser":"Chrome","os":"Android"},"tags":["h2","mobile"]})")).value();
    bool ok = v.is_valid(record);  // warms the per-thread buffers
    size_t before = g_allocations;
    for (int i = 0; i < 1000; i++) ok = v.is_valid(record) && ok;
    size_t used = g_allocations - before;
    std::printf("allocation check: %zu allocations in 1000 validations of a valid record\n", used);
    if (!ok || used) status = 1;
  }
  return status;
}
