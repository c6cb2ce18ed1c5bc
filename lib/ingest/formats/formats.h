// The constructors of the formats, one per file of this folder (format.cpp picks by name).
#pragma once
#include "ingest/formats/builder.h"
#include "ingest/formats/format.h"

namespace sp::ingest {

std::unique_ptr<Format> make_json_format(const FormatOptions& o);
std::unique_ptr<Format> make_raw_format(const FormatOptions& o);
std::unique_ptr<Format> make_logfmt_format(const FormatOptions& o);
std::unique_ptr<Format> make_csv_format(const FormatOptions& o, char delimiter);
std::unique_ptr<Format> make_access_log_format(const FormatOptions& o, bool combined);
std::unique_ptr<Format> make_syslog_format(const FormatOptions& o);
std::unique_ptr<Format> make_regex_format(const FormatOptions& o, const std::string& pattern);

}  // namespace sp::ingest
