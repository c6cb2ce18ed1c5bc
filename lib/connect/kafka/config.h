// Kafka client settings: librdkafka properties from three places, applied in this order so
// that the later wins: our defaults, --kafka-config FILE (Java properties), then -X name=value.
// Only connect/kafka includes rdkafka.h; the rest of the library sees these plain types.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sp::connect::kafka {

using Properties = std::vector<std::pair<std::string, std::string>>;

struct ClientSettings {
  std::string brokers;    // "host:port,host:port"
  Properties properties;  // --kafka-config then -X, in order
  std::string where;      // the URI for messages, e.g. "kafka://127.0.0.1:9092/events"
};

// "name=value" from -X; throws sp::UsageError.
std::pair<std::string, std::string> parse_property(const std::string& arg);
// Appends the properties of a Java properties file (name=value or name: value, # and ! comments,
// backslash line continuations); throws sp::UsageError when it cannot be read.
void read_properties_file(const std::string& path, Properties& out);

// The user's properties: those of --kafka-config FILE (when not empty), then each -X, so that
// -X wins. Throws sp::UsageError.
Properties user_properties(const std::string& config_file, const std::vector<std::string>& x_args);

// Splits "kafka://h:p,h:p/topic,topic?query" into brokers, the path after the first '/', and
// the query; throws sp::UsageError when there is no broker.
struct KafkaUri {
  std::string brokers;
  std::string path;   // percent-decoded, without the leading '/'
  std::string query;  // raw, without '?'
};
KafkaUri split_uri(const std::string& uri);
// Splits "a,b,c" (empty items dropped).
std::vector<std::string> split_list(const std::string& text);

}  // namespace sp::connect::kafka
