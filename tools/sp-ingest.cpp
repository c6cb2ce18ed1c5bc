// sp-ingest: read files (followed through rotation), stdin, HTTP, Kafka or MQTT and write NDJSON records.
#include "cli/program.h"
#include "connect/http/headers.h"
#include "connect/kafka/config.h"
#include "io/error.h"
#include "ingest/ingest.h"

namespace {

const sp::cli::ProgramInfo kInfo{
    "sp-ingest",
    "Read files (tail with rotation and checkpoints), stdin, HTTP, Kafka or MQTT; parse log formats; write NDJSON",
    "Examples:\n"
    "  sp-ingest /var/log/nginx/access.log --format combined --follow --checkpoint nginx.ckpt\n"
    "  sp-ingest 'logs/*.log' --format logfmt --add-meta > records.ndjson\n"
    "  journalctl -o short | sp-ingest --format syslog --dead-letter bad.ndjson\n"
    "  sp-ingest 'kafka://broker:9092/events?group=etl' --meta --exit-at-end > events.ndjson\n"
    "  sp-ingest 'mqtt://broker:1883/sensors/#?qos=1&client_id=etl&clean=false' --meta\n"};

int body(sp::cli::Program& prog) {
  sp::ingest::Options o;
  auto& app = prog.app();
  prog.add_input_options();
  app.get_option("inputs")
      ->description(
          "Sources: PATH, GLOB (quoted), file:///PATH, - for stdin, http(s)://URL, http-listen://ADDR:PORT/PATH, "
          "kafka://HOST:PORT/TOPIC?group=G, mqtt(s)://HOST:PORT/FILTER?qos=1&client_id=ID&clean=false; "
          "several are read by one process")
      ->type_name("SOURCE");
  prog.add_output_options();
  prog.add_reject_options();
  auto duration = [&](const char* name, double& target, const char* help, const char* def, bool allow_off) {
    return app
        .add_option_function<std::string>(
            name,
            [&target, name, allow_off](const std::string& v) {
              if (allow_off && (v == "off" || v == "0")) target = 0;
              else target = sp::cli::parse_duration(v, name);
            },
            help)
        ->type_name("DURATION")
        ->default_str(def);
  };

  const char* g = "Files";
  app.add_flag("-f,--follow", o.tail.follow,
               "Keep reading as files grow, rotate and appear; otherwise read to the end and exit")
      ->group(g);
  static bool from_beginning = false;
  auto* beg = app.add_flag("--from-beginning", from_beginning, "Read files found at the first start from their beginning (default)")
                  ->group(g);
  auto* end = app.add_flag("--from-end", o.tail.from_end,
                           "Skip what files found at the first start already hold (later runs resume from the checkpoint)")
                  ->group(g);
  beg->excludes(end);
  end->excludes(beg);
  app.add_option("--checkpoint", o.checkpoint,
                 "Keep positions in FILE (written atomically, mode 0600); a restart resumes exactly there")
      ->type_name("FILE")
      ->group(g);
  duration("--checkpoint-interval", o.tail.checkpoint_interval, "How often the checkpoint is written (and at exit)",
           "5s", false)
      ->group(g);
  duration("--poll-interval", o.tail.poll_interval,
           "How often files are checked for growth, rotation and new matches (inotify wakes earlier)", "1s", false)
      ->group(g);
  app.add_flag("--no-inotify", [&o](int64_t) { o.tail.use_inotify = false; },
               "Do not use inotify; only check every --poll-interval (network file systems)")
      ->group(g);
  duration("--rotate-wait", o.tail.rotate_wait,
           "A file renamed or deleted away is finished once it has not grown for this long", "5s", false)
      ->group(g);
  duration("--flush-partial-after", o.tail.flush_partial_after,
           "Write a last line without its newline once the file has not grown for this long ('off': wait for it)",
           "off", true)
      ->group(g);

  g = "Format";
  app.add_option("--format", o.format.spec,
                 "How lines are parsed: json, raw, logfmt, csv, tsv, combined, common, syslog, regex:PATTERN")
      ->type_name("FORMAT")
      ->group(g);
  app.add_option_function<std::string>(
         "--columns",
         [&o](const std::string& v) {
           o.format.columns.clear();
           size_t start = 0;
           while (true) {
             size_t comma = v.find(',', start);
             o.format.columns.push_back(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
             if (comma == std::string::npos) break;
             start = comma + 1;
           }
         },
         "csv/tsv: field names (comma-separated) instead of a header row")
      ->type_name("NAMES")
      ->group(g);
  app.add_option("--multiline-start", o.multiline_start,
                 "A line matching REGEX starts a record; the lines after it that do not are joined to it")
      ->type_name("REGEX")
      ->group(g);
  duration("--multiline-timeout", o.tail.multiline_timeout,
           "Write a joined record once no line has been added to it for this long", "1s", false)
      ->group(g);
  app.add_option("--time-field", o.format.time_field,
                 "The field holding the event time, normalized to RFC 3339 UTC (combined/common/syslog: default ts)")
      ->type_name("NAME")
      ->group(g);
  app.add_flag("--add-meta,--meta", o.add_meta,
               "Add \"_src\":{\"file\",\"offset\",\"line\",\"host\",\"ingest_ts\"} (or \"url\"; for Kafka "
               "\"topic\",\"partition\",\"offset\",\"key\",\"timestamp\",\"headers\"; for MQTT \"url\",\"topic\",\"qos\",\"retain\") "
               "to each record")
      ->group(g);
  app.add_option_function<std::string>(
         "--invalid-utf8", [&o](const std::string& v) { o.replace_invalid_utf8 = v == "replace"; },
         "Lines that are not UTF-8: reject them (dead letter, exact bytes kept) or replace bad bytes with U+FFFD")
      ->check(CLI::IsMember({"reject", "replace"}).description(""))
      ->type_name("{reject,replace}")
      ->default_str("reject")
      ->group(g);

  g = "HTTP";
  duration("--interval", o.http.interval, "http://: how often the URL is polled with --follow (once without)", "60s",
           false)
      ->group(g);
  app.add_option("--jsonpath", o.http.jsonpath, "http://: the path to the array of records in the response (a.b, /a/b)")
      ->type_name("PATH")
      ->group(g);
  app.add_option("--next-field", o.http.next_field,
                 "http://: the response field holding the next page: a URL, or a cursor sent as ?cursor=")
      ->type_name("PATH")
      ->group(g);
  app.add_option("--next-param", o.http.next_param, "http://: the query parameter that carries a --next-field cursor")
      ->type_name("NAME")
      ->group(g);
  app.add_option_function<std::string>(
         "--header",
         [&o](const std::string& v) {
           for (auto& h : sp::connect::http::parse_header_arg(v, "--header")) o.http.headers.push_back(std::move(h));
         },
         "http://: send this header ('Name: value'; repeatable), e.g. an Authorization; @FILE sends the "
         "headers in FILE, one per line")
      ->type_name("HEADER")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(g);
  app.add_option("--auth-token-file", o.http.auth_token_file,
                 "http-listen://: accept only requests with 'Authorization: Bearer TOKEN', TOKEN read from FILE")
      ->type_name("FILE")
      ->group(g);
  app.add_option_function<std::string>(
         "--max-body-bytes",
         [&o](const std::string& v) { o.http.max_body_bytes = sp::cli::parse_size(v, "--max-body-bytes"); },
         "http-listen://: larger request bodies are refused with 413")
      ->type_name("SIZE")
      ->default_str("16M")
      ->group(g);
  app.add_option("--max-connections", o.http.max_connections,
                 "http-listen://: connections held at once (8 served, the rest waiting); more are answered 503")
      ->type_name("N")
      ->check(CLI::PositiveNumber.description(""))
      ->group(g);

  g = "Acknowledgements";
  app.add_option("--ack", o.ack,
                 "Add \"_sp\" positions to records and listen on the Unix socket PATH for sp-sink --ack; commit "
                 "(checkpoint, Kafka offsets) only what the sink reports durable")
      ->type_name("PATH")
      ->group(g);
  duration("--ack-timeout", o.ack_timeout,
           "At the end, wait this long for the sink to acknowledge the last records", "30s", false)
      ->group(g);

  g = "Kafka and MQTT";
  app.add_option_function<uint64_t>(
         "--count", [&o](uint64_t n) { o.kafka.count = o.mqtt.count = n; },
         "kafka://, mqtt://: exit after N records from each source (0: no limit)")
      ->check(CLI::NonNegativeNumber.description(""))
      ->type_name("N")
      ->group(g);
  duration("--connect-timeout", o.kafka.connect_timeout,
           "kafka://, mqtt://: exit 1 when no broker answers within this long", "10s", false)
      ->group(g);
  g = "Kafka";
  static std::vector<std::string> x_args;
  static std::string kafka_config;
  app.add_option("-X", x_args, "kafka://: set a librdkafka property, NAME=VALUE (repeatable), e.g. security.protocol=SSL")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("--kafka-config", kafka_config,
                 "kafka://: librdkafka properties from a Java properties file (-X wins over it)")
      ->type_name("FILE")
      ->group(g);
  app.add_flag("--exit-at-end", o.kafka.exit_at_end,
               "kafka://: exit once every assigned partition has been read to its end")
      ->group(g);
  g = "MQTT";
  app.add_option("--user", o.mqtt.access.user, "mqtt://: user name (the password comes from --password-file or SP_MQTT_PASSWORD)")
      ->type_name("NAME")
      ->group(g);
  app.add_option("--password-file", o.mqtt.access.password_file,
                 "mqtt://: read the password for --user from the first line of FILE (never printed)")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--cafile", o.mqtt.access.cafile,
                 "mqtts://, https://: trust the CA certificates in FILE (PEM) instead of the system's")
      ->type_name("FILE")
      ->group(g);
  app.add_option("--cert", o.mqtt.access.cert, "mqtts://, https://: client certificate (PEM)")->type_name("FILE")->group(g);
  app.add_option("--key", o.mqtt.access.key, "mqtts://, https://: private key of --cert (PEM)")->type_name("FILE")->group(g);

  prog.parse();
  o.http.ca_file = o.mqtt.access.cafile;
  o.http.cert = o.mqtt.access.cert;
  o.http.key = o.mqtt.access.key;
  o.mqtt.connect_timeout = o.kafka.connect_timeout;
  o.kafka.properties = sp::connect::kafka::user_properties(kafka_config, x_args);
  return sp::ingest::run(prog, o);
}

}  // namespace

int main(int argc, char** argv) { return sp::cli::run(argc, argv, kInfo, body); }
