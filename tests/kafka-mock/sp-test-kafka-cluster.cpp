// sp-test-kafka-cluster: librdkafka's built-in mock cluster (the real Kafka protocol over TCP on
// 127.0.0.1) for the integration tests and the benchmark. Not a real broker: all data lives in
// this process, and each partition keeps only its newest ~5 MiB / 100k messages.
//
//   sp-test-kafka-cluster [--brokers N] [--inject API:ERROR:COUNT]... [TOPIC[:PARTITIONS]]...
//
// Creates the topics (replication min(N, 3)), queues the injected errors (the next COUNT
// requests of API -- produce, fetch, metadata, offsetcommit, or a number -- fail with the Kafka
// error code ERROR), prints the bootstrap servers on stdout (one line), and runs until
// SIGINT/SIGTERM. SIGUSR1 takes every broker down (connections refused and closed), SIGUSR2
// brings them back: a broker outage in the middle of a test.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t want_down = 0, want_up = 0;
void on_signal(int) { stop_requested = 1; }
void on_down(int) { want_down = 1; }
void on_up(int) { want_up = 1; }

[[noreturn]] void usage(const std::string& why) {
  fprintf(stderr,
          "sp-test-kafka-cluster: %s\n"
          "usage: sp-test-kafka-cluster [--brokers N] [--inject API:ERROR:COUNT]... [TOPIC[:PARTITIONS]]...\n",
          why.c_str());
  exit(2);
}

int number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  long v = strtol(text.c_str(), &end, 10);
  if (text.empty() || *end) usage("bad " + what + " '" + text + "'");
  return static_cast<int>(v);
}

struct Injection {
  int16_t api;
  rd_kafka_resp_err_t error;
  int count;
};

Injection parse_injection(const std::string& spec) {
  size_t a = spec.find(':'), b = spec.find(':', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) usage("--inject takes API:ERROR:COUNT, not '" + spec + "'");
  std::string api = spec.substr(0, a);
  int16_t key;
  if (api == "produce") key = 0;
  else if (api == "fetch") key = 1;
  else if (api == "metadata") key = 3;
  else if (api == "offsetcommit") key = 8;
  else key = static_cast<int16_t>(number(api, "API"));
  return {key, static_cast<rd_kafka_resp_err_t>(number(spec.substr(a + 1, b - a - 1), "error code")),
          number(spec.substr(b + 1), "count")};
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::vector<Injection> injections;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = number(argv[++i], "broker count");
    } else if (arg == "--inject" && i + 1 < argc) {
      injections.push_back(parse_injection(argv[++i]));
    } else if (arg.rfind("-", 0) == 0) {
      usage("unknown option '" + arg + "'");
    } else {
      size_t colon = arg.rfind(':');
      if (colon == std::string::npos) topics.emplace_back(arg, 1);
      else topics.emplace_back(arg.substr(0, colon), number(arg.substr(colon + 1), "partition count"));
    }
  }
  if (brokers < 1) usage("--brokers must be at least 1");

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only owns the cluster; it is never used as a client.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "sp-test-kafka-cluster: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    fprintf(stderr, "sp-test-kafka-cluster: could not create the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  for (const auto& [name, partitions] : topics) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, brokers < 3 ? brokers : 3);
    if (e) {
      fprintf(stderr, "sp-test-kafka-cluster: topic %s: %s\n", name.c_str(), rd_kafka_err2str(e));
      return 1;
    }
  }
  for (const auto& inj : injections) {
    std::vector<rd_kafka_resp_err_t> errors(inj.count, inj.error);
    rd_kafka_mock_push_request_errors_array(cluster, inj.api, errors.size(), errors.data());
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGUSR1, on_down);
  signal(SIGUSR2, on_up);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  while (!stop_requested) {
    pause();
    if (want_down) {
      want_down = 0;
      for (int b = 1; b <= brokers; ++b) rd_kafka_mock_broker_set_down(cluster, b);
      fprintf(stderr, "sp-test-kafka-cluster: brokers down\n");
    }
    if (want_up) {
      want_up = 0;
      for (int b = 1; b <= brokers; ++b) rd_kafka_mock_broker_set_up(cluster, b);
      fprintf(stderr, "sp-test-kafka-cluster: brokers up\n");
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
