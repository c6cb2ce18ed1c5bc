// Runs a stage body (sp::match::run, sp::agg::run_sql, ...) as its program would, over records
// held in memory: the input and the output are memfds, named to the stage by /proc/self/fd
// paths, so that the whole path of a record (LineReader, the engine, Output) is exercised
// without touching the disk. -q keeps rejected records off stderr.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "cli/program.h"

namespace sp::fuzz {

class StageHarness {
 public:
  explicit StageHarness(const char* name)
      : name_(name),
        in_(memfd_create("in", MFD_CLOEXEC)),
        out_(memfd_create("out", MFD_CLOEXEC)),
        in_path_("/proc/self/fd/" + std::to_string(in_)),
        out_path_("/proc/self/fd/" + std::to_string(out_)) {
    if (in_ < 0 || out_ < 0) __builtin_trap();
  }
  StageHarness(const StageHarness&) = delete;
  StageHarness& operator=(const StageHarness&) = delete;

  // Writes `records` to the input, runs `body(prog)` on a Program parsed from the shared
  // options, and returns its exit status; the output is in output() afterwards. What the
  // body throws (sp::UsageError for a bad query) goes to the caller.
  template <class Body>
  int run(std::string_view records, Body&& body) {
    if (ftruncate(in_, 0) != 0 || ftruncate(out_, 0) != 0) __builtin_trap();
    if (!records.empty() && pwrite(in_, records.data(), records.size(), 0) != static_cast<ssize_t>(records.size()))
      __builtin_trap();
    std::string args[] = {name_, "-q", "-o", out_path_, in_path_};
    char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(), args[4].data(), nullptr};
    cli::ProgramInfo info{name_, "fuzz", ""};
    cli::Program prog(info, 5, argv);
    prog.add_input_options();
    prog.add_output_options();
    prog.add_reject_options();
    prog.parse();
    int status = body(prog);
    output_.resize(static_cast<size_t>(lseek(out_, 0, SEEK_END)));
    if (!output_.empty() && pread(out_, output_.data(), output_.size(), 0) != static_cast<ssize_t>(output_.size()))
      __builtin_trap();
    return status;
  }

  const std::string& output() const { return output_; }

 private:
  const char* name_;
  int in_, out_;
  std::string in_path_, out_path_;
  std::string output_;
};

}  // namespace sp::fuzz
