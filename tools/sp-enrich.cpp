// sp-enrich: join records with lookup tables (CSV, TSV, NDJSON, SQLite, Redis, IP ranges) and
// add computed fields.
#include <unistd.h>

#include "cli/program.h"
#include "enrich/enrich.h"
#include "io/error.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-enrich",
    "Join NDJSON records with lookup tables (CSV, NDJSON, SQLite, Redis, IP ranges); add computed fields",
    "Examples:\n"
    "  sp-enrich --lookup users.csv --on user_id events.ndjson\n"
    "  sp-enrich --lookup users.csv --on user_id --fields plan --prefix user_ --on-miss default:null\n"
    "  sp-enrich --lookup 'sqlite:///var/db/users.db?table=users' --on user_id=id --as user\n"
    "  sp-enrich --lookup 'redis://127.0.0.1:6379?cmd=hgetall&key=user:{user_id}' --cache-ttl 5m\n"
    "  sp-enrich --ip-ranges geo.csv --on ip --prefix geo_\n"
    "  sp-enrich --set 'latency_s=latency_ms / 1000' --rename ua=user_agent --delete tags --uuid id\n"};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t a = part.find_first_not_of(" \t"), b = part.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(part.substr(a, b - a + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int body(sp::cli::Program& prog) {
  sp::enrich::Options o;
  auto& app = prog.app();
  size_t cache_size = 100000;
  double cache_ttl = 60;
  std::vector<std::string> flatten_files;  // a file name --flatten took for its separator

  auto current = [&](const char* option) -> sp::enrich::LookupSpec& {
    if (o.lookups.empty())
      throw sp::UsageError(std::string(option) + " applies to a lookup: put it after --lookup SOURCE or --ip-ranges FILE");
    return o.lookups.back();
  };
  const char* g = "Lookups";
  app.add_option_function<std::string>(
         "-l,--lookup",
         [&](const std::string& v) {
           sp::enrich::LookupSpec s;
           s.source = v;
           o.lookups.push_back(std::move(s));
         },
         "A table to join with: FILE.csv, FILE.tsv, FILE.ndjson, sqlite:///DB?table=T, "
         "redis://HOST:PORT?cmd=hgetall&key=user:{user_id} (repeatable)")
      ->type_name("SOURCE")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--ip-ranges",
         [&](const std::string& v) {
           sp::enrich::LookupSpec s;
           s.kind = sp::enrich::LookupSpec::Kind::kIpRanges;
           s.source = v;
           o.lookups.push_back(std::move(s));
         },
         "A CSV/TSV table of IP ranges (CIDR, single address, or start-end; IPv4 and IPv6) to join on an address")
      ->type_name("FILE")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--on",
         [&](const std::string& v) {
           auto& s = current("--on");
           size_t eq = v.find('=');
           s.on = v.substr(0, eq);
           if (eq != std::string::npos) s.key_column = v.substr(eq + 1);
           if (s.on.empty() || (eq != std::string::npos && s.key_column.empty()))
             throw sp::UsageError("--on: expected FIELD or FIELD=KEYCOLUMN, got '" + v + "'");
         },
         "The record's field holding the key, and the table's key column when its name differs")
      ->type_name("FIELD[=COLUMN]")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--fields", [&](const std::string& v) { current("--fields").format.fields = split_list(v); },
         "Take only these columns of the preceding lookup, in this order (default: all but the key)")
      ->type_name("a,b,...")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--prefix", [&](const std::string& v) { current("--prefix").format.prefix = v; },
         "Prefix the names of the members the preceding lookup adds")
      ->type_name("TEXT")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--as", [&](const std::string& v) { current("--as").format.as = v; },
         "Add the preceding lookup's values as one object member of this name instead")
      ->type_name("NAME")
      ->trigger_on_parse()
      ->group(g);
  app.add_option_function<std::string>(
         "--on-miss", [&](const std::string& v) { sp::enrich::parse_on_miss(v, o); },
         "What to do with a record a lookup finds no row for: keep it unchanged, drop it, "
         "send it to the dead letters, or add default values (default:null, default:{\"plan\":\"none\"})")
      ->type_name("keep|drop|dead-letter|default:JSON")
      ->default_str("keep")
      ->group(g);
  app.add_option_function<std::string>(
         "--cache-size", [&](const std::string& v) { cache_size = std::stoull(v); },
         "Keys whose SQLite/Redis answers are kept in memory (least recently used go first; 0: none)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber.description(""))
      ->default_str("100000")
      ->group(g);
  app.add_option_function<std::string>(
         "--cache-ttl", [&](const std::string& v) { cache_ttl = sp::cli::parse_duration(v, "--cache-ttl"); },
         "How long a cached SQLite/Redis answer is used before it is asked again (0: until evicted)")
      ->type_name("DURATION")
      ->default_str("60s")
      ->group(g);

  g = "Edits";
  app.add_option("--set", o.sets, "Set FIELD to the value of an expression (repeatable; sp-filter(1) language)")
      ->type_name("FIELD=EXPR")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--rename", o.renames, "Rename a field, keeping its place (repeatable)")
      ->type_name("OLD=NEW")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--delete", o.deletes, "Remove a field (repeatable; a,b,c)")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option_function<std::string>(
         "--flatten",
         [&](const std::string& v) {
           o.flatten = true;
           if (v.empty()) return;
           // `--flatten in.ndjson` means the default separator and an input file.
           if (v.size() > 3 && access(v.c_str(), F_OK) == 0) flatten_files.push_back(v);
           else o.flatten_separator = v;
         },
         "Flatten nested objects into top-level members joined by SEP: {\"ua\":{\"os\":\"x\"}} -> {\"ua.os\":\"x\"}")
      ->type_name("[SEP]")
      ->expected(0, 1)
      ->default_str(".")
      ->group(g);
  app.add_option("--add-time", o.add_time, "Set FIELD to the processing time (RFC 3339 UTC, milliseconds)")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--add-host", o.add_host, "Set FIELD to this machine's host name")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  app.add_option("--uuid", o.uuid, "Set FIELD to a random UUID (version 4), new for each record")
      ->type_name("FIELD")
      ->allow_extra_args(false)
      ->default_str("")
      ->group(g);
  prog.add_input_options();
  prog.add_output_options();
  prog.add_reject_options();
  prog.parse();

  auto& inputs = prog.options().inputs;
  inputs.insert(inputs.begin(), flatten_files.begin(), flatten_files.end());
  for (auto& s : o.lookups) {
    s.cache_size = cache_size;
    s.cache_ttl = cache_ttl;
  }
  return sp::enrich::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
