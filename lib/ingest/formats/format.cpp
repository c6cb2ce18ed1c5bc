#include "ingest/formats/format.h"

#include "ingest/formats/formats.h"
#include "io/error.h"

namespace sp::ingest {

std::unique_ptr<Format> Format::create(const FormatOptions& o) {
  const std::string& s = o.spec;
  if (s.rfind("regex:", 0) == 0) return make_regex_format(o, s.substr(6));
  if (!o.columns.empty() && s != "csv" && s != "tsv") throw UsageError("--columns is for --format csv or tsv");
  if (s == "json") return make_json_format(o);
  if (s == "raw") {
    if (!o.time_field.empty())
      throw UsageError("--time-field: raw lines have no event time (--add-meta adds the ingest time)");
    return make_raw_format(o);
  }
  if (s == "logfmt") return make_logfmt_format(o);
  if (s == "csv") return make_csv_format(o, ',');
  if (s == "tsv") return make_csv_format(o, '\t');
  if (s == "combined") return make_access_log_format(o, true);
  if (s == "common") return make_access_log_format(o, false);
  if (s == "syslog") return make_syslog_format(o);
  throw UsageError("--format: unknown format '" + s +
                   "' (use json, raw, logfmt, csv, tsv, combined, common, syslog or regex:PATTERN)");
}

}  // namespace sp::ingest
