// sp-validate: the validation stage. Without a schema it checks that every line is a
// well-formed JSON document and passes good lines through byte-identical.
#pragma once
#include "cli/program.h"

namespace sp::validate {

struct Options {};

// Runs the stage over the program's inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::validate
