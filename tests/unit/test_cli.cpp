#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/dead_letter.h"
#include "cli/program.h"
#include "cli/redact.h"
#include "cli/report.h"
#include "cli/stats.h"
#include "io/error.h"
#include "test_support.h"

using sp::cli::parse_duration;
using sp::cli::parse_size;
using sp::test::TempFile;

namespace {

// Redirects fd 2 to a temporary file for its lifetime; text() reads what was written.
class StderrCapture {
 public:
  StderrCapture() : file_("stderr") {
    fflush(stderr);
    saved_ = dup(2);
    int fd = ::open(file_.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    return sp::test::read_file(file_.path());
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    fflush(stderr);
    dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  TempFile file_;
  int saved_ = -1;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : split_lines(text))
    if (l == line) return true;
  return false;
}

}  // namespace

TEST_CASE("parse_size reads bytes with binary units", "[cli]") {
  CHECK(parse_size("4096", "--x") == 4096);
  CHECK(parse_size("1", "--x") == 1);
  CHECK(parse_size("64K", "--x") == 65536);
  CHECK(parse_size("64k", "--x") == 65536);
  CHECK(parse_size("64KB", "--x") == 65536);
  CHECK(parse_size("64KiB", "--x") == 65536);
  CHECK(parse_size("64M", "--x") == 67108864);
  CHECK(parse_size("64MiB", "--x") == 67108864);
  CHECK(parse_size("1G", "--x") == 1073741824);
  CHECK(parse_size("2GiB", "--x") == 2147483648u);
  CHECK(parse_size("1T", "--x") == 1099511627776u);
  CHECK(parse_size("1.5M", "--x") == 1572864);
  CHECK(parse_size("0.5K", "--x") == 512);
  CHECK(parse_size("100B", "--x") == 100);
  CHECK(parse_size(" 64M ", "--x") == 67108864);
}

TEST_CASE("parse_size rejects bad sizes as usage errors naming the option", "[cli]") {
  for (const char* bad : {"", " ", "abc", "M", "64X", "64MB!", "64 M", "-1", "0", "0.1", ".", "..", "1.2.3", "1..5",
                          "1e3", "64m", "99999999999999999999"}) {
    INFO("'" << bad << "'");
    CHECK_THROWS_AS(parse_size(bad, "--max-line-bytes"), sp::UsageError);
    try {
      parse_size(bad, "--max-line-bytes");
    } catch (const sp::UsageError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("--max-line-bytes: "));
    } catch (...) {
    }
  }
}

TEST_CASE("parse_duration reads seconds with units", "[cli]") {
  CHECK(parse_duration("250ms", "--x") == Approx(0.25));
  CHECK(parse_duration("5s", "--x") == 5.0);
  CHECK(parse_duration("1m", "--x") == 60.0);
  CHECK(parse_duration("2min", "--x") == 120.0);
  CHECK(parse_duration("1h", "--x") == 3600.0);
  CHECK(parse_duration("1h30m", "--x") == 5400.0);
  CHECK(parse_duration("1h30m15s", "--x") == 5415.0);
  CHECK(parse_duration("1d", "--x") == 86400.0);
  CHECK(parse_duration("100us", "--x") == Approx(0.0001));
  CHECK(parse_duration("2.5", "--x") == 2.5);
  CHECK(parse_duration("0", "--x") == 0.0);
  CHECK(parse_duration(" 5s ", "--x") == 5.0);
}

TEST_CASE("parse_duration rejects bad durations as usage errors naming the option", "[cli]") {
  for (const char* bad : {"", " ", "abc", "s", "ms", "5x", "5 s", "-1s", ".", "1..5s", "1.2.3", "h1", "1h-5m"}) {
    INFO("'" << bad << "'");
    CHECK_THROWS_AS(parse_duration(bad, "--metrics-interval"), sp::UsageError);
    try {
      parse_duration(bad, "--metrics-interval");
    } catch (const sp::UsageError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("--metrics-interval: "));
    } catch (...) {
    }
  }
}

TEST_CASE("Stats summary is one JSON object with the counters", "[cli][stats]") {
  sp::cli::Stats st("sp-test");
  auto& malformed = st.counter("malformed", "Lines that are not JSON.");
  CHECK(&st.counter("malformed") == &malformed);  // the same counter by name
  st.records_in.add(10);
  st.records_in.add();
  st.records_out.set(7);
  st.rejected.add(4);
  st.empty_lines.add(2);
  st.bytes_in.add(123456);
  st.bytes_out.add(654);
  malformed.add(3);

  std::string json = st.summary_json();
  CHECK(json.find('\n') == std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  INFO(json);
  REQUIRE(parser.parse(json).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["program"]) == "sp-test");
  CHECK(uint64_t(obj["records_in"]) == 11);
  CHECK(uint64_t(obj["records_out"]) == 7);
  CHECK(uint64_t(obj["rejected"]) == 4);
  CHECK(uint64_t(obj["empty_lines"]) == 2);
  CHECK(uint64_t(obj["malformed"]) == 3);
  CHECK(uint64_t(obj["bytes_in"]) == 123456);
  CHECK(uint64_t(obj["bytes_out"]) == 654);
  double seconds = -1, rate = -1, mbps = -1;
  REQUIRE(obj["seconds"].get_double().get(seconds) == simdjson::SUCCESS);
  REQUIRE(obj["records_per_second"].get_double().get(rate) == simdjson::SUCCESS);
  REQUIRE(obj["mb_per_second"].get_double().get(mbps) == simdjson::SUCCESS);
  CHECK(seconds >= 0);
  CHECK(seconds < 60);
  CHECK(rate >= 0);
  CHECK(mbps >= 0);
}

TEST_CASE("Stats Prometheus text has HELP, TYPE and the values", "[cli][stats]") {
  sp::cli::Stats st("sp-test");
  st.counter("malformed", "Lines that are not JSON.").add(3);
  st.counter("no_help").add(1);
  st.records_in.set(10);
  st.records_out.set(9);
  st.rejected.set(1);
  st.bytes_in.set(4096);
  std::string text = st.prometheus_text();
  INFO(text);
  const std::string label = "{program=\"sp-test\"}";
  CHECK(has_line(text, "# HELP sp_records_in_total Records read."));
  CHECK(has_line(text, "# TYPE sp_records_in_total counter"));
  CHECK(has_line(text, "sp_records_in_total" + label + " 10"));
  CHECK(has_line(text, "sp_records_out_total" + label + " 9"));
  CHECK(has_line(text, "# TYPE sp_records_rejected_total counter"));
  CHECK(has_line(text, "sp_records_rejected_total" + label + " 1"));
  CHECK(has_line(text, "sp_empty_lines_total" + label + " 0"));
  CHECK(has_line(text, "sp_bytes_in_total" + label + " 4096"));
  CHECK(has_line(text, "sp_bytes_out_total" + label + " 0"));
  CHECK(has_line(text, "# HELP sp_malformed_total Lines that are not JSON."));
  CHECK(has_line(text, "sp_malformed_total" + label + " 3"));
  CHECK(has_line(text, "# HELP sp_no_help_total no_help"));
  CHECK(has_line(text, "# TYPE sp_uptime_seconds gauge"));
  // Every sample line follows its HELP and TYPE lines, and the text ends with a newline.
  auto lines = split_lines(text);
  REQUIRE(lines.size() % 3 == 0);
  for (size_t i = 0; i < lines.size(); i += 3) {
    std::string name = lines[i + 2].substr(0, lines[i + 2].find('{'));
    CHECK_THAT(lines[i], Catch::StartsWith("# HELP " + name + " "));
    CHECK_THAT(lines[i + 1], Catch::StartsWith("# TYPE " + name + " "));
  }
  CHECK(text.back() == '\n');
}

TEST_CASE("Stats keeps a metrics file up to date and replaces it atomically", "[cli][stats]") {
  TempFile f("metrics.prom");
  {
    sp::cli::Stats st("sp-test");
    st.records_in.set(5);
    st.start(false, f.path(), 0.1);
    CHECK(has_line(sp::test::read_file(f.path()), "sp_records_in_total{program=\"sp-test\"} 5"));
    st.records_in.set(6);
    st.stop();  // writes once more
    CHECK(has_line(sp::test::read_file(f.path()), "sp_records_in_total{program=\"sp-test\"} 6"));
  }
  struct stat sb;
  CHECK(stat((f.path() + ".tmp").c_str(), &sb) != 0);  // no temporary left behind

  sp::cli::Stats bad("sp-test");
  try {
    bad.start(false, "/nonexistent/dir/metrics.prom", 1);
    FAIL("no error for an unwritable metrics file");
  } catch (const sp::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("/nonexistent/dir/metrics.prom"));
  }
}

TEST_CASE("Reporter prefixes messages and honours verbosity", "[cli][report]") {
  StderrCapture cap;
  sp::cli::Reporter r("sp-test");
  CHECK(r.program() == "sp-test");
  r.error("it broke (file x)");
  r.warn("a warning");
  r.info("hidden info");
  r.set_verbosity(-1);
  r.error("errors always show");
  r.warn("hidden warning");
  r.set_verbosity(1);
  r.info("shown info");
  CHECK(cap.text() ==
        "sp-test: it broke (file x)\n"
        "sp-test: a warning\n"
        "sp-test: errors always show\n"
        "sp-test: shown info\n");
}

TEST_CASE("Reporter shows the first record errors and summarizes the rest", "[cli][report]") {
  SECTION("default limit of 10") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    for (int i = 1; i <= 25; ++i) r.record_error(i % 2 ? "in.ndjson" : "", static_cast<uint64_t>(i), "bad record");
    r.finish();
    auto lines = split_lines(cap.text());
    CHECK(r.record_errors() == 25);
    REQUIRE(lines.size() == 11);
    CHECK(lines[0] == "sp-test: in.ndjson: line 1: bad record");
    CHECK(lines[1] == "sp-test: line 2: bad record");
    CHECK(lines[9] == "sp-test: line 10: bad record");
    CHECK(lines[10] == "sp-test: 15 more record errors not shown (-v shows all)");
  }
  SECTION("a custom limit") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    r.set_record_error_limit(2);
    for (int i = 1; i <= 3; ++i) r.record_error("f", static_cast<uint64_t>(i), "x");
    r.finish();
    CHECK(cap.text() == "sp-test: f: line 1: x\nsp-test: f: line 2: x\nsp-test: 1 more record errors not shown (-v shows all)\n");
  }
  SECTION("within the limit there is no summary") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    for (int i = 1; i <= 10; ++i) r.record_error("", static_cast<uint64_t>(i), "x");
    r.finish();
    CHECK(split_lines(cap.text()).size() == 10);
  }
  SECTION("-v shows every record error") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    r.set_verbosity(1);
    for (int i = 1; i <= 25; ++i) r.record_error("", static_cast<uint64_t>(i), "x");
    r.finish();
    auto lines = split_lines(cap.text());
    REQUIRE(lines.size() == 25);
    CHECK(lines[24] == "sp-test: line 25: x");
  }
  SECTION("-q shows none but still counts") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    r.set_verbosity(-1);
    for (int i = 1; i <= 25; ++i) r.record_error("", static_cast<uint64_t>(i), "x");
    r.finish();
    CHECK(cap.text().empty());
    CHECK(r.record_errors() == 25);
  }
}

TEST_CASE("redact hides the passwords of URIs, keeping user, host and path", "[cli][redact]") {
  using sp::cli::redact;
  CHECK(redact("postgresql://etl:s3cret@db:5432/shop?table=t: connection refused") ==
        "postgresql://etl:***@db:5432/shop?table=t: connection refused");
  CHECK(redact("redis://:pw@127.0.0.1:6379/0?cmd=set") == "redis://:***@127.0.0.1:6379/0?cmd=set");
  CHECK(redact("mqtts://alice:p@ss:w0rd@broker:8883/t") == "mqtts://alice:***@broker:8883/t");
  CHECK(redact("cannot open 'https://u:tok@h/x' (twice: http://v:x@h2)") ==
        "cannot open 'https://u:***@h/x' (twice: http://v:***@h2)");
  // No password, or one already hidden: unchanged.
  CHECK(redact("kafka://b1:9092,b2:9092/events?group=etl") == "kafka://b1:9092,b2:9092/events?group=etl");
  CHECK(redact("postgresql://etl@db/shop") == "postgresql://etl@db/shop");
  CHECK(redact("mqtt://h:1883/a/b?to=x@y:z") == "mqtt://h:1883/a/b?to=x@y:z");
  CHECK(redact("postgresql://etl:***@db/shop") == "postgresql://etl:***@db/shop");
  CHECK(redact("http://u:@h/") == "http://u:@h/");
}

TEST_CASE("redact hides secret parameters and HTTP credentials", "[cli][redact]") {
  using sp::cli::redact;
  CHECK(redact("redis://h:1/0?cmd=set&password=pw&key=k") == "redis://h:1/0?cmd=set&password=***&key=k");
  CHECK(redact("host=db user=etl password=pw dbname=x sslpassword=k2") ==
        "host=db user=etl password=*** dbname=x sslpassword=***");
  CHECK(redact("-X sasl.password=pw is not allowed") == "-X sasl.password=*** is not allowed");
  CHECK(redact("s3://b/k?X-Amz-Signature=abcd&X-Amz-Security-Token=t&X-Amz-Credential=AKIA/x") ==
        "s3://b/k?X-Amz-Signature=***&X-Amz-Security-Token=***&X-Amz-Credential=***");
  CHECK(redact("?access_token=abc&client_secret=s&api_key=k&PASSWD=p") ==
        "?access_token=***&client_secret=***&api_key=***&PASSWD=***");
  CHECK(redact("401 for 'Authorization: Bearer abc.def' and Authorization: Basic dXNlcjpwdw==") ==
        "401 for 'Authorization: Bearer ***' and Authorization: Basic ***");
  // Names that only look alike, and messages without any: unchanged.
  CHECK(redact("bypass=1 passes=2 keyword=3 user=etl table=events --password-file=pw.txt") ==
        "bypass=1 passes=2 keyword=3 user=etl table=events --password-file=pw.txt");
  CHECK(redact("line 3: expected ':' after a key (byte 17)") == "line 3: expected ':' after a key (byte 17)");
  CHECK_FALSE(sp::cli::needs_redaction("line 3: expected ':' after a key (byte 17)"));
}

TEST_CASE("Reporter and dead letters never show a password", "[cli][redact]") {
  SECTION("stderr") {
    StderrCapture cap;
    sp::cli::Reporter r("sp-test");
    r.error("postgresql://etl:s3cret@db/shop: password authentication failed");
    r.record_error("https://u:tok3n@h/api", 2, "bad line for password=s3cret");
    CHECK(cap.text() ==
          "sp-test: postgresql://etl:***@db/shop: password authentication failed\n"
          "sp-test: https://u:***@h/api: line 2: bad line for password=***\n");
  }
  SECTION("dead letters keep the raw record but redact what is said about it") {
    TempFile f("dl.ndjson");
    {
      sp::cli::DeadLetter dl(f.path());
      std::string raw = R"({"password":"in-the-record"})";
      dl.write({"mqtt://a:s3cret@h/t", 1, 0, "redis://:s3cret@h refused", raw, false, raw.size(), {}});
      dl.close();
    }
    std::string text = sp::test::read_file(f.path());
    CHECK(text.find("s3cret") == std::string::npos);
    CHECK(text.find(R"("source":"mqtt://a:***@h/t")") != std::string::npos);
    CHECK(text.find(R"("error":"redis://:***@h refused")") != std::string::npos);
    CHECK(text.find("in-the-record") != std::string::npos);
    struct stat st;
    REQUIRE(::stat(f.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
}

namespace {

const sp::cli::ProgramInfo kInfo{"sp-test", "a program for the unit tests", ""};

int run_with(std::vector<std::string> args, sp::cli::Body body) {
  args.insert(args.begin(), "sp-test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return sp::cli::run(static_cast<int>(args.size()), argv.data(), kInfo, body);
}

}  // namespace

TEST_CASE("run maps what escapes a program to exit codes", "[cli]") {
  struct Case {
    sp::cli::Body body;
    int code;
    const char* stderr_text;
  };
  const std::vector<Case> cases = {
      {[](sp::cli::Program& p) {
         p.parse();
         return 0;
       },
       0, ""},
      {[](sp::cli::Program& p) {
         p.parse();
         return 3;
       },
       3, ""},
      {[](sp::cli::Program&) -> int { throw sp::UsageError("--x: bad value"); }, 2, "sp-test: --x: bad value\n"},
      {[](sp::cli::Program&) -> int { throw sp::Error("in.ndjson: read error: Input/output error"); }, 1,
       "sp-test: in.ndjson: read error: Input/output error\n"},
      {[](sp::cli::Program&) -> int { throw sp::BrokenPipe(); }, 0, ""},
      {[](sp::cli::Program&) -> int { throw std::logic_error("oops"); }, 1, "sp-test: internal error: oops\n"},
      {[](sp::cli::Program&) -> int { throw sp::UsageError("bad path", "a..b", 2); }, 2,
       "sp-test: bad path (column 3)\n  a..b\n    ^\n"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    StderrCapture cap;
    CHECK(run_with({}, cases[i].body) == cases[i].code);
    CHECK(cap.text() == cases[i].stderr_text);
  }

  // A flag the program does not know is a usage error.
  StderrCapture cap;
  CHECK(run_with({"--no-such-flag"}, [](sp::cli::Program& p) {
          p.parse();
          return 0;
        }) == 2);
  std::string err = cap.text();
  CHECK_THAT(err, Catch::StartsWith("sp-test: "));
  CHECK_THAT(err, Catch::Contains("--no-such-flag"));
  CHECK_THAT(err, Catch::Contains("sp-test --help"));
}
