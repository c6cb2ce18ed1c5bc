#include "cli/program.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/signals.h"
#include "io/error.h"
#include "io/stop.h"

namespace sp::cli {
namespace {

void print_completion(CLI::App& app) {
  // One line per option name: NAME <TAB> ARGUMENT <TAB> DESCRIPTION, where ARGUMENT is empty
  // for a flag, FILE/DIR/... for a value, or {a,b,c} for a choice. "@args" is the positional.
  std::string out;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    std::string arg;
    if (opt->get_type_size() != 0 || opt->get_expected_min() > 0) {
      arg = opt->get_option_text();
      if (arg.empty()) arg = opt->get_type_name();
    }
    std::string desc = opt->get_description();
    for (char& c : desc)
      if (c == '\n' || c == '\t') c = ' ';
    std::vector<std::string> names;
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
    if (names.empty() && opt->get_positional()) names.push_back("@args");
    for (const auto& n : names) out += n + "\t" + arg + "\t" + desc + "\n";
  }
  fwrite(out.data(), 1, out.size(), stdout);
  fflush(stdout);
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The whole of `s` (digits with at most one '.') as a number; false for ".", "1.2.3" and such.
bool read_decimal(const std::string& s, double& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

size_t parse_size(const std::string& text, const std::string& option) {
  std::string t = trim(text);
  size_t i = 0;
  while (i < t.size() && (isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  double n = 0;
  if (i == 0 || !read_decimal(t.substr(0, i), n))
    throw UsageError(option + ": expected a size such as 4096, 64K, 64M or 1G, got '" + text + "'");
  std::string unit = t.substr(i);
  double mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "K" || unit == "KB" || unit == "KiB" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TiB") mult = 1024.0 * 1024 * 1024 * 1024;
  else throw UsageError(option + ": unknown size unit '" + unit + "' in '" + text + "' (use K, M, G or T)");
  double v = n * mult;
  if (v < 1 || v > 1e15) throw UsageError(option + ": size out of range: '" + text + "'");
  return static_cast<size_t>(v);
}

double parse_duration(const std::string& text, const std::string& option) {
  std::string t = trim(text);
  if (t.empty()) throw UsageError(option + ": expected a duration such as 250ms, 5s, 1m or 1h30m");
  double total = 0;
  size_t i = 0;
  while (i < t.size()) {
    size_t start = i;
    while (i < t.size() && (isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    double n = 0;
    if (i == start || !read_decimal(t.substr(start, i - start), n))
      throw UsageError(option + ": expected a duration such as 250ms, 5s, 1m or 1h30m, got '" + text + "'");
    size_t us = i;
    while (i < t.size() && isalpha(static_cast<unsigned char>(t[i]))) ++i;
    std::string unit = t.substr(us, i - us);
    if (unit.empty() || unit == "s") total += n;
    else if (unit == "ms") total += n / 1000;
    else if (unit == "us") total += n / 1e6;
    else if (unit == "m" || unit == "min") total += n * 60;
    else if (unit == "h") total += n * 3600;
    else if (unit == "d") total += n * 86400;
    else throw UsageError(option + ": unknown duration unit '" + unit + "' in '" + text + "' (use ms, s, m, h, d)");
  }
  return total;
}

Program::Program(const ProgramInfo& info, int argc, char** argv)
    : info_(info), argc_(argc), argv_(argv), app_(info.summary, info.name), report_(info.name), stats_(info.name) {
  app_.option_defaults()->always_capture_default();
  app_.set_help_flag("-h,--help", "Print this help and exit");
  app_.set_version_flag("--version", std::string(info.name) + " " SP_VERSION " (streampipe)",
                        "Print the version and exit");
  app_.set_config("--config", "", "Read options from a TOML file (keys are the long option names)")
      ->type_name("FILE")
      ->check(CLI::Validator(CLI::ExistingFile).description(""));
  app_.allow_config_extras(CLI::config_extras_mode::error);
  if (info.footer && *info.footer) app_.footer(info.footer);
  app_.get_formatter()->column_width(32);

  const char* g = "Reporting";
  app_.add_flag("-q,--quiet", opts_.quiet, "Say less on stderr: no per-record messages, no warnings")->group(g);
  app_.add_flag("-v,--verbose", opts_.verbose, "Say more on stderr: every record error; repeat for more")->group(g);
  app_.add_flag("--stats", opts_.stats, "Print a JSON summary (records in/out/rejected, bytes, rate) to stderr at exit")
      ->group(g);
  app_.add_flag("--progress", opts_.progress, "Show a live rate on stderr while it is a terminal")->group(g);
  app_.add_option("--metrics-file", opts_.metrics_file,
                  "Keep a Prometheus text-format file of the counters up to date (rewritten atomically)")
      ->type_name("FILE")
      ->group(g);
  app_.add_option_function<std::string>(
         "--metrics-interval", [this](const std::string& v) { opts_.metrics_interval = parse_duration(v, "--metrics-interval"); },
         "How often --metrics-file is rewritten")
      ->type_name("DURATION")
      ->default_str("5s")
      ->group(g);
  app_.add_flag_callback(
          "--complete",
          [this] {
            print_completion(app_);
            throw CLI::Success();
          },
          "Print the option table for shell completion")
      ->group("");
}

void Program::add_input_options() {
  app_.add_option("inputs", opts_.inputs,
                  "Input files (NDJSON; zstd or gzip compressed is detected); '-' or none reads stdin")
      ->type_name("FILE")
      ->default_str("-")
      ->group("Input");
  app_.add_option_function<std::string>(
         "--max-line-bytes",
         [this](const std::string& v) { opts_.max_line_bytes = parse_size(v, "--max-line-bytes"); },
         "Longest line accepted; longer lines are rejected with their line number and skipped")
      ->type_name("SIZE")
      ->default_str("64M")
      ->group("Input");
}

void Program::add_output_options() {
  app_.add_option("-o,--output", opts_.output, "Write records to FILE instead of stdout ('.zst' compresses)")
      ->type_name("FILE")
      ->group("Output");
  app_.add_option("--compress", opts_.compress, "Compress the output")
      ->check(CLI::IsMember({"none", "zstd"}).description(""))
      ->type_name("{none,zstd}")
      ->group("Output");
}

void Program::add_reject_options() {
  app_.add_option("--dead-letter", opts_.dead_letter,
                  "Append rejected records to FILE as NDJSON with the line number, the reason and the raw text")
      ->type_name("FILE")
      ->group("Records");
  app_.add_flag("--strict", opts_.strict, "Exit with status 3 when any record was rejected")->group("Records");
  rejects_ = true;
}

void Program::parse() {
  app_.parse(argc_, argv_);
  report_.set_verbosity(opts_.quiet ? -1 : opts_.verbose);
  if (rejects_ && !opts_.dead_letter.empty()) dead_letter_ = std::make_unique<DeadLetter>(opts_.dead_letter);
  stats_.start(opts_.progress, opts_.metrics_file, opts_.metrics_interval);
}

std::unique_ptr<io::LineReader> Program::open_input(const std::string& path) {
  io::LineReaderOptions o;
  o.max_line_bytes = opts_.max_line_bytes;
  return std::make_unique<io::LineReader>(io::open_source(path), o);
}

std::unique_ptr<io::Output> Program::open_output() {
  io::OutputOptions o;
  o.compression = opts_.compress == "zstd" ? io::Compression::kZstd : io::Compression::kNone;
  o.append = false;
  return io::Output::open(opts_.output, o);
}

void Program::reject(const Rejection& r) {
  stats_.rejected.add();
  if (dead_letter_) {
    dead_letter_->write(r);
    if (report_.verbosity() < 1) return;  // kept in the file; -v also shows it here
  }
  report_.record_error(r.source, r.line, r.error);
}

void Program::input_failed(const std::string& message) {
  input_failed_ = true;
  report_.error(message);
}

int Program::finish() {
  report_.finish();
  uint64_t rejected = stats_.rejected.get();
  if (dead_letter_) {
    dead_letter_->close();
    if (rejected) report_.warn(std::to_string(rejected) + " records rejected, written to " + dead_letter_->path());
  } else if (rejected) {
    report_.error(std::to_string(rejected) + " records rejected and not kept (--dead-letter FILE keeps them)");
  }
  stats_.stop();
  if (opts_.stats) {
    std::string line = stats_.summary_json() + "\n";
    fwrite(line.data(), 1, line.size(), stderr);
  }
  if (input_failed_) return kExitFailure;
  if (opts_.strict && rejected > 0) return kExitRejected;
  return kExitOk;
}

int run(int argc, char** argv, const ProgramInfo& info, Body body) {
  install_signal_handlers();
  Reporter report(info.name);
  std::unique_ptr<Program> prog;
  try {
    prog = std::make_unique<Program>(info, argc, argv);
    return body(*prog);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      int rc = prog->app().exit(e);
      std::cout.flush();
      return rc;
    }
    std::string msg = e.what();
    report.error(msg);
    report.error(std::string("run '") + info.name + " --help' for usage");
    return kExitUsage;
  } catch (const UsageError& e) {
    if (e.has_position) {
      report.error(std::string(e.what()) + " (column " + std::to_string(e.column + 1) + ")");
      std::string src = e.source;
      for (char& c : src)
        if (c == '\n' || c == '\t') c = ' ';
      std::string caret = "  " + src + "\n  " + std::string(e.column, ' ') + "^\n";
      fwrite(caret.data(), 1, caret.size(), stderr);
    } else {
      report.error(e.what());
    }
    return kExitUsage;
  } catch (const BrokenPipe&) {
    return kExitOk;
  } catch (const Error& e) {
    report.error(e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    report.error("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    report.error(std::string("internal error: ") + e.what());
    return kExitFailure;
  }
}

}  // namespace sp::cli
