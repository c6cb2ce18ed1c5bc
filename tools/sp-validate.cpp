// sp-validate: check that every record is well-formed JSON; pass good ones through unchanged.
#include "cli/program.h"
#include "validate/validate.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-validate",
    "Validate NDJSON records (well-formed JSON, JSON Schema): good lines pass through unchanged, bad ones go to "
    "the dead-letter output",
    "Examples:\n"
    "  sp-validate events.ndjson > good.ndjson\n"
    "  sp-validate --schema events.schema.json --dead-letter bad.ndjson events.ndjson > good.ndjson\n"
    "  gen-events | sp-validate --dead-letter bad.ndjson --stats > good.ndjson\n"
    "  sp-validate --strict logs/*.ndjson.zst > /dev/null   # exit 3 if any line is bad\n"};

int body(sp::cli::Program& prog) {
  sp::validate::Options opts;
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();
  sp::validate::add_options(prog, opts);
  prog.parse();
  return sp::validate::run(prog, opts);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
