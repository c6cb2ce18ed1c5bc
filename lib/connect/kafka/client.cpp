#include "connect/kafka/client.h"

#include <chrono>
#include <cstdio>

#include "io/error.h"

namespace sp::connect::kafka {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value, const std::string& origin) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    // Values of security properties may be secrets: only the name is shown.
    throw UsageError(origin + " " + name + ": " + err);
  }
}

}  // namespace

rd_kafka_conf_t* make_conf(const ClientSettings& settings, const Properties& defaults) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set(conf, "bootstrap.servers", settings.brokers, settings.where + ":");
    set(conf, "client.id", "streampipe", "default");
    for (const auto& [k, v] : defaults) set(conf, k, v, "default");
    for (const auto& [k, v] : settings.properties) set(conf, k, v, "-X");
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  return conf;
}

rd_kafka_t* make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& where) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw UsageError(where + ": " + err);
  }
  return rk;
}

void wait_for_broker(rd_kafka_t* rk, double seconds, const std::string& where) {
  const rd_kafka_metadata_t* md = nullptr;
  auto start = std::chrono::steady_clock::now();
  int ms = static_cast<int>(seconds * 1000);
  // Metadata for no topic: answered by any broker that is up.
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, nullptr, &md, ms > 0 ? ms : 1);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
    return;
  }
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char buf[32];
  snprintf(buf, sizeof buf, "%.3gs", waited);
  throw Error(where + ": no broker answered within " + buf + " (" + rd_kafka_err2str(e) +
              "; --connect-timeout / --timeout sets the wait)");
}

}  // namespace sp::connect::kafka
