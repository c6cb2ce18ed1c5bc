#include "connect/kafka/config.h"

#include <fstream>

#include "connect/uri.h"
#include "io/error.h"

namespace sp::connect::kafka {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\f\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\f\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(percent_decode(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::pair<std::string, std::string> parse_property(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("-X: expected name=value (a librdkafka property), got '" + arg + "'");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

void read_properties_file(const std::string& path, Properties& out) {
  std::ifstream in(path);
  if (!in) throw UsageError("--kafka-config: cannot read '" + path + "'");
  std::string line, logical;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A line ending in an odd number of backslashes continues on the next one.
    size_t slashes = 0;
    while (slashes < line.size() && line[line.size() - 1 - slashes] == '\\') ++slashes;
    // A continuation line starts after its leading blanks.
    std::string part = logical.empty() ? line : trim(line);
    if (slashes % 2 == 1) {
      part.pop_back();
      logical += part;
      continue;
    }
    logical += part;
    std::string text = trim(logical);
    logical.clear();
    if (text.empty() || text[0] == '#' || text[0] == '!') continue;
    size_t sep = text.find_first_of("=:");
    if (sep == std::string::npos || sep == 0)
      throw UsageError("--kafka-config " + path + ": line " + std::to_string(number) + ": expected name=value");
    out.emplace_back(trim(text.substr(0, sep)), trim(text.substr(sep + 1)));
  }
}

Properties user_properties(const std::string& config_file, const std::vector<std::string>& x_args) {
  Properties out;
  if (!config_file.empty()) read_properties_file(config_file, out);
  for (const auto& x : x_args) out.push_back(parse_property(x));
  return out;
}

KafkaUri split_uri(const std::string& uri) {
  KafkaUri u;
  size_t scheme = uri.find("://");
  std::string rest = scheme == std::string::npos ? uri : uri.substr(scheme + 3);
  size_t q = rest.find('?');
  if (q != std::string::npos) {
    u.query = rest.substr(q + 1);
    rest.resize(q);
  }
  size_t slash = rest.find('/');
  u.brokers = rest.substr(0, slash);
  if (slash != std::string::npos) u.path = rest.substr(slash + 1);
  if (u.brokers.empty()) throw UsageError(uri + ": no broker (kafka://HOST:PORT[,HOST:PORT]/TOPIC)");
  // librdkafka would take user:password@ for part of a host name and print it in its logs.
  if (size_t at = u.brokers.rfind('@'); at != std::string::npos)
    throw UsageError("kafka://" + u.brokers.substr(at + 1) +
                     ": a kafka:// URI takes no user or password; give sasl.username and sasl.password "
                     "in a --kafka-config file (mode 0600), or with -X");
  return u;
}

}  // namespace sp::connect::kafka
