// sp-sink: store or deliver NDJSON records: files, SQLite, PostgreSQL, Redis, HTTP, S3, Kafka, MQTT.
#include "ack/ack.h"
#include "cli/program.h"
#include "connect/kafka/config.h"
#include "sink/endpoint.h"
#include "sink/open.h"
#include "sink/runner.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-sink",
    "Write NDJSON records to files, SQLite, PostgreSQL, Redis, HTTP, S3, Kafka or MQTT, in batches, confirmed and retried",
    "Examples:\n"
    "  sp-sink sqlite://events.db?table=events events.ndjson\n"
    "  gen-events | sp-sink 'out/dt=%Y-%m-%d/events-{seq}.ndjson.zst' --time-field ts --rotate-size 64M\n"
    "  sp-sink 'postgresql://app@db:5432/shop?table=events&upsert=id' --dead-letter bad.ndjson\n"
    "  sp-sink 'redis://127.0.0.1:6379/0?cmd=hset&key=user:{user_id}' < users.ndjson\n"
    "  sp-sink 'kafka://broker:9092/{service}-events?key=user_id' --dead-letter undelivered.ndjson\n"
    "  sp-sink 'mqtt://broker:1883/sensors/{device_id}/reading?qos=1' < readings.ndjson\n"};

int body(sp::cli::Program& prog) {
  sp::sink::Options opts;
  CLI::App& app = prog.app();
  app.add_option("destination", opts.destination,
                 "Where records go: -, PATH or TEMPLATE, file://, sqlite://, postgresql://, redis://, http(s)://, s3://, "
                 "kafka://, mqtt(s)://")
      ->type_name("URI")
      ->group("Destination");
  prog.add_input_options();
  const char* g = "Batching";
  app.add_option("--batch-size", opts.batch_size, "Records per batch (one transaction, request or pipeline)")
      ->check(CLI::PositiveNumber.description(""))
      ->type_name("N")
      ->group(g);
  app.add_option_function<std::string>(
         "--batch-bytes", [&opts](const std::string& v) { opts.batch_bytes = sp::cli::parse_size(v, "--batch-bytes"); },
         "A batch is also cut at this size")
      ->type_name("SIZE")
      ->default_str("16M")
      ->group(g);
  app.add_option_function<std::string>(
         "--flush-interval",
         [&opts](const std::string& v) { opts.flush_interval = sp::cli::parse_duration(v, "--flush-interval"); },
         "Longest time a record waits in a partial batch")
      ->type_name("DURATION")
      ->default_str("1s")
      ->group(g);
  app.add_option("--retries", opts.retries, "Retries of a batch after a transient failure before giving up (exit 1)")
      ->check(CLI::NonNegativeNumber.description(""))
      ->type_name("N")
      ->group(g);
  app.add_option_function<std::string>(
         "--retry-backoff",
         [&opts](const std::string& v) { opts.retry_backoff = sp::cli::parse_duration(v, "--retry-backoff"); },
         "First wait before a retry; doubles each time, with jitter")
      ->type_name("DURATION")
      ->default_str("100ms")
      ->group(g);
  app.add_option_function<std::string>(
         "--retry-max-backoff",
         [&opts](const std::string& v) { opts.retry_max_backoff = sp::cli::parse_duration(v, "--retry-max-backoff"); },
         "Longest wait between retries")
      ->type_name("DURATION")
      ->default_str("5s")
      ->group(g);
  app.add_option_function<std::string>(
         "--timeout", [&opts](const std::string& v) { opts.timeout = sp::cli::parse_duration(v, "--timeout"); },
         "Longest wait for one network operation (connect, request, reply)")
      ->type_name("DURATION")
      ->default_str("30s")
      ->group(g);
  g = "Records";
  app.add_flag("--keep-meta", opts.keep_meta, "Keep the top-level \"_sp\" key (source positions) in what is written")
      ->group(g);
  app.add_option("--ack", opts.ack,
                 "Report the \"_sp\" positions of records durable at the destination to sp-ingest --ack PATH "
                 "(a Unix socket)")
      ->type_name("PATH")
      ->group(g);
  prog.add_reject_options();
  g = "Files and objects";
  app.add_option_function<std::string>(
         "--rotate-size", [&opts](const std::string& v) { opts.rotate_size = sp::cli::parse_size(v, "--rotate-size"); },
         "Start a new file (or object) after this many bytes (uncompressed)")
      ->type_name("SIZE")
      ->group(g);
  app.add_option_function<std::string>(
         "--rotate-interval",
         [&opts](const std::string& v) { opts.rotate_interval = sp::cli::parse_duration(v, "--rotate-interval"); },
         "Start a new file (or object) after this long")
      ->type_name("DURATION")
      ->group(g);
  app.add_option("--time-field", opts.time_field,
                 "Field with the event time (RFC 3339 or epoch s/ms) for %Y, %m, %d, %H... in the path")
      ->type_name("PATH")
      ->group(g);
  app.add_option("--compress", opts.compress, "Compression of files and objects (auto: zstd when the name ends in .zst)")
      ->check(CLI::IsMember({"auto", "none", "zstd"}).description(""))
      ->type_name("{auto,none,zstd}")
      ->group(g);
  app.add_option("--zstd-level", opts.zstd_level, "zstd compression level")
      ->check(CLI::Range(1, 19).description(""))
      ->type_name("N")
      ->group(g);
  g = "Tables";
  app.add_option("--schema", opts.schema_file,
                 "JSON Schema whose properties give the columns of a new table (else inferred from the first batch)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile.description(""))
      ->group(g);
  g = "HTTP";
  app.add_option("--header", opts.headers,
                 "Extra request header, 'Name: value' (repeatable); @FILE adds the headers in FILE, one per line "
                 "(a token stays off the command line)")
      ->allow_extra_args(false)
      ->type_name("HEADER")
      ->group(g);
  app.add_flag("--http-array", opts.http_array, "POST each batch as one JSON array instead of NDJSON")->group(g);
  g = "Kafka";
  std::vector<std::string> x_args;
  std::string kafka_config;
  app.add_option("-X", x_args, "Set a librdkafka property, NAME=VALUE (repeatable), e.g. compression.type=lz4")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("--kafka-config", kafka_config, "librdkafka properties from a Java properties file (-X wins over it)")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--partition-by", opts.partition_by,
                 "Field whose value picks the partition (same value, same partition), without setting a key")
      ->type_name("PATH")
      ->group(g);
  app.add_option("--timestamp-field", opts.timestamp_field,
                 "Field with the message timestamp (RFC 3339 or epoch s/ms); default: the time of sending")
      ->type_name("PATH")
      ->group(g);
  g = "MQTT";
  app.add_option_function<std::string>(
         "--connect-timeout",
         [&opts](const std::string& v) { opts.connect_timeout = sp::cli::parse_duration(v, "--connect-timeout"); },
         "mqtt://: a broker unreachable at the start is an error (exit 1) after this long")
      ->type_name("DURATION")
      ->default_str("10s")
      ->group(g);
  app.add_option("--user", opts.mqtt.user, "mqtt://: user name (the password comes from --password-file or SP_MQTT_PASSWORD)")
      ->type_name("NAME")
      ->group(g);
  app.add_option("--password-file", opts.mqtt.password_file,
                 "mqtt://: read the password for --user from the first line of FILE (never printed)")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--cafile", opts.mqtt.cafile,
                 "mqtts://, https://, s3:// (https endpoint): trust the CA certificates in FILE (PEM) instead of the system's")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--cert", opts.mqtt.cert, "mqtts://, https://: client certificate (PEM)")->type_name("FILE")->group(g);
  app.add_option("--key", opts.mqtt.key, "mqtts://, https://: private key of --cert (PEM)")->type_name("FILE")->group(g);
  prog.parse();
  opts.kafka_properties = sp::connect::kafka::user_properties(kafka_config, x_args);
  auto endpoint = sp::sink::Endpoint::parse(opts.destination);
  auto sink = sp::sink::open_sink(opts.destination, endpoint, opts);
  if (opts.ack.empty()) return sp::sink::run(prog, opts, *sink);
  sp::ack::AckClient acks(opts.ack, [&prog](const std::string& m) { prog.report().warn(m); });
  return sp::sink::run(prog, opts, *sink, [&acks](const sp::sink::DurableBatch& d) { acks.durable(d.metas); });
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
