// The shared command-line contract. Every program builds its options on a Program, which adds
// the options all programs share, parses with CLI11 (also from --config FILE), and answers
// --help, --version and the hidden --complete (the option table for shell completion).
//
//   int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
//
// run() is the entry wrapper: it installs the signal handlers, calls the body, and maps what
// escapes it to an exit status: sp::UsageError and CLI11 parse errors -> 2, sp::Error and
// other exceptions -> 1, sp::BrokenPipe (stdout closed by its reader) -> 0, quietly.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/dead_letter.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/stats.h"
#include "io/line_reader.h"
#include "io/output.h"

namespace sp::cli {

struct ProgramInfo {
  const char* name;     // "sp-validate"
  const char* summary;  // one line, shown by `sp` and at the top of --help
  const char* footer;   // examples shown at the end of --help (may be "")
};

struct CommonOptions {
  int quiet = 0;
  int verbose = 0;
  bool stats = false;
  bool progress = false;
  std::string metrics_file;
  double metrics_interval = 5.0;
  // inputs
  std::vector<std::string> inputs;
  size_t max_line_bytes = 64u << 20;
  // output
  std::string output = "-";
  std::string compress = "none";
  // rejection
  std::string dead_letter;
  bool strict = false;
};

class Program {
 public:
  Program(const ProgramInfo& info, int argc, char** argv);

  CLI::App& app() { return app_; }
  CommonOptions& options() { return opts_; }
  const char* name() const { return info_.name; }
  Reporter& report() { return report_; }
  Stats& stats() { return stats_; }

  // Option groups a program opts into.
  void add_input_options();   // FILE... (default stdin), --max-line-bytes
  void add_output_options();  // -o/--output, --compress
  void add_reject_options();  // --dead-letter, --strict

  // Parses the command line; throws CLI11 exceptions that run() maps to exit codes.
  // Afterwards: verbosity set, stats reporter started.
  void parse();

  // Helpers for the common case of a stage reading lines and writing records.
  std::unique_ptr<io::LineReader> open_input(const std::string& path);
  std::unique_ptr<io::Output> open_output();
  // Counts a rejected record, writes it to the dead-letter output (when there is one) and
  // reports it on stderr (limited, see Reporter).
  void reject(const Rejection& r);
  // Reports a failed input (e.g. a file that cannot be opened) and remembers to exit 1.
  void input_failed(const std::string& message);

  // The exit status for a run that got to the end: 1 if an input failed, 3 under --strict
  // when records were rejected, else 0. Closes the dead-letter output, prints the
  // record-error summary and --stats.
  int finish();

 private:
  ProgramInfo info_;
  int argc_;
  char** argv_;
  CLI::App app_;
  CommonOptions opts_;
  Reporter report_;
  Stats stats_;
  std::unique_ptr<DeadLetter> dead_letter_;
  bool rejects_ = false;
  bool input_failed_ = false;
};

using Body = int (*)(Program&);
int run(int argc, char** argv, const ProgramInfo& info, Body body);

// Parses sizes like "64M", "1GiB", "4096" (bytes); throws sp::UsageError.
size_t parse_size(const std::string& text, const std::string& option);
// Parses durations like "5s", "250ms", "1m", "1h30m", "2.5"; returns seconds.
double parse_duration(const std::string& text, const std::string& option);

}  // namespace sp::cli
