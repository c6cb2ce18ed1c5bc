// sp-enrich: joins records with lookup tables and adds computed fields.
//   lookups      --lookup SOURCE --on FIELD[=KEYCOLUMN] [--fields a,b] [--prefix p_] [--as obj]
//                --ip-ranges FILE --on ip
//   misses       --on-miss keep|drop|dead-letter|default:JSON
//   edits        --set field=EXPR, --rename a=b, --delete f, --flatten [SEP],
//                --add-time f, --add-host f, --uuid f
// A record that gets no edit passes through byte-identical; an edited one is spliced: the
// members it had keep their bytes, new members are added at the end of the object.
#pragma once
#include <string>
#include <vector>

#include "cli/program.h"
#include "enrich/lookup.h"

namespace sp::enrich {

enum class OnMiss { kKeep, kDrop, kDeadLetter, kDefault };

struct Options {
  std::vector<LookupSpec> lookups;
  OnMiss on_miss = OnMiss::kKeep;
  std::string miss_default;  // JSON text, for OnMiss::kDefault
  std::vector<std::string> sets;     // "field=EXPR"
  std::vector<std::string> renames;  // "a=b"
  std::vector<std::string> deletes;  // field paths (a,b allowed)
  bool flatten = false;
  std::string flatten_separator = ".";
  std::vector<std::string> add_time, add_host, uuid;  // field paths
};

// Parses keep|drop|dead-letter|default:JSON; throws sp::UsageError.
void parse_on_miss(const std::string& text, Options& o);

// Opens the lookups and compiles the expressions (throwing sp::UsageError for what is wrong
// with them), then runs the stage over the program's inputs; returns the exit status.
int run(cli::Program& prog, const Options& opts);

}  // namespace sp::enrich
