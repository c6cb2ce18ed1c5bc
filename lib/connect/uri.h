// Percent-decoding and query strings of the URIs that name connections: sink destinations,
// Kafka and MQTT sources, lookup tables.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sp::connect {

// %XX sequences decoded; a '%' not followed by two hex digits is kept as it is.
std::string percent_decode(std::string_view s);
// "a=1&b=x%20y&c" -> {a,1}, {b,"x y"}, {c,""}, in order, names and values percent-decoded.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace sp::connect
