// Request headers given on the command line: 'Name: value', or @FILE for the headers in FILE,
// one per line (as curl -H @FILE), so that a token need not be on a command line where ps
// shows it.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sp::connect::http {

// Checks and splits one --header argument; @FILE gives every non-empty line of FILE (a
// trailing \r dropped). Throws sp::UsageError naming `option` (never the header's value).
std::vector<std::pair<std::string, std::string>> parse_header_arg(const std::string& arg, const std::string& option);

}  // namespace sp::connect::http
