// sp-filter: keep the records that match a WHERE condition; project them with SELECT.
#include <unistd.h>

#include "cli/program.h"
#include "filter/filter.h"
#include "io/error.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-filter",
    "Keep NDJSON records that match a SQL-like condition; project fields with --select",
    "Examples:\n"
    "  sp-filter 'status >= 500 and path like \"/api/%\"' events.ndjson\n"
    "  sp-filter 'ua.browser in (\"Chrome\", \"Edge\") and latency_ms > 100' --select 'ts, user_id, latency_ms'\n"
    "  sp-filter true --select 'ts, latency_ms * 1000 as latency_us' --limit 10 events.ndjson\n"
    "  sp-filter --invert 'cidr_match(ip, \"10.0.0.0/8\")' --sample 0.01 --sample-by user_id\n"
    "The expression language is described in sp-filter(1).\n"};

int body(sp::cli::Program& prog) {
  sp::filter::Options o;
  std::string expression;
  auto& app = prog.app();
  const char* g = "Filter";
  app.add_option("expression", expression,
                 "The condition (when --where is not given); records for which it is true are kept")
      ->type_name("EXPR")
      ->group("Positionals");
  app.add_option("-w,--where", o.where, "The condition, as an option; then every positional is an input file")
      ->type_name("EXPR")
      ->group(g);
  app.add_option("-s,--select", o.select,
                 "Write only these values, as a new object: 'a, b * 2 as c, ua.browser as browser'")
      ->type_name("LIST")
      ->group(g);
  app.add_option("--exclude", o.exclude, "Remove these fields from every record written (repeatable; a,b,c)")
      ->type_name("FIELD")
      ->allow_extra_args(false)  // one per occurrence: the input files after it are not taken
      ->default_str("")
      ->group(g);
  app.add_option("-n,--limit", o.limit, "Stop after writing N records")->type_name("N")->default_str("0 (no limit)")->group(g);
  app.add_flag("--invert", o.invert, "Write the records the condition does not keep (false, null or an error)")
      ->group(g);
  app.add_option("--sample", o.sample, "Keep only this fraction of the matching records (deterministic)")
      ->type_name("RATE")
      ->check(CLI::Range(0.0, 1.0).description(""))
      ->group(g);
  app.add_option("--sample-by", o.sample_by,
                 "Sample by the value of this expression (all records of a key together) instead of the record")
      ->type_name("EXPR")
      ->group(g);
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();
  prog.parse();

  auto& inputs = prog.options().inputs;
  if (o.where.empty()) {
    if (expression.empty())
      throw sp::UsageError("missing the condition: sp-filter 'EXPR' [FILE...], or --where EXPR (write 'true' to keep "
                           "every record)");
    o.where = expression;
    // A file name where a condition was expected usually means a forgotten condition.
    if (access(expression.c_str(), F_OK) == 0 && expression.find_first_of(" =<>()'\"") == std::string::npos)
      prog.report().warn("'" + expression + "' is used as the condition, but it is also a file name "
                         "(to keep every record, write: sp-filter true ...)");
  } else if (!expression.empty()) {
    inputs.insert(inputs.begin(), expression);
  }
  return sp::filter::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
