// sp-validate: the validation stage. Every line must be one well-formed JSON document; with a
// schema it must also be valid against it. Good lines pass through byte-identical; lines that
// normalization changed are spliced (untouched bytes kept); the rest go to the dead letters.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "cli/program.h"

namespace sp::validate {

struct Options {
  std::string schema;                   // --schema FILE ("" = well-formedness only)
  int draft = 0;                        // --draft 7|2020 (0 = from $schema)
  std::vector<std::string> schema_dirs;  // --schema-dir DIR
  std::vector<std::string> schema_map;   // --schema-map PREFIX=DIR
  bool formats = false;                 // --formats: "format" asserts
  size_t max_errors = 10;               // --max-errors N per record
  bool coerce = false, defaults = false, drop_additional = false;
  std::vector<std::string> renames;     // --rename old=new
  std::vector<std::string> timestamps;  // --timestamp FIELD
  std::string tz = "UTC";               // --tz ZONE for zone-less timestamps
};

// Adds the stage's options to the program (before parse()).
void add_options(cli::Program& prog, Options& opts);
// Runs the stage over the program's inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::validate
