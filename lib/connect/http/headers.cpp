#include "connect/http/headers.h"

#include <fstream>

#include "io/error.h"

namespace sp::connect::http {
namespace {

// `where` names the argument; the text itself is not repeated (it may be a token).
std::pair<std::string, std::string> split_header(const std::string& h, const std::string& where) {
  size_t colon = h.find(':');
  if (colon == std::string::npos || colon == 0 || h.find_first_of(" \t") < colon)
    throw UsageError(where + ": expected 'Name: value'");
  size_t start = h.find_first_not_of(" \t", colon + 1);
  return {h.substr(0, colon), start == std::string::npos ? "" : h.substr(start)};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_header_arg(const std::string& arg, const std::string& option) {
  std::vector<std::pair<std::string, std::string>> out;
  if (arg.empty() || arg[0] != '@') {
    out.push_back(split_header(arg, option));
    return out;
  }
  std::string path = arg.substr(1);
  std::ifstream in(path);
  if (!in) throw UsageError(option + " @" + path + ": cannot read the file");
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    out.push_back(split_header(line, option + " @" + path + ": line " + std::to_string(number)));
  }
  return out;
}

}  // namespace sp::connect::http
