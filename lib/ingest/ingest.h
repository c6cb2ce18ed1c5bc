// sp-ingest: reads sources (files and globs, followed through rotation; stdin; HTTP; Kafka; MQTT)
// and writes NDJSON records, parsing line formats on the way.
#pragma once
#include <string>
#include <vector>

#include "cli/program.h"
#include "ingest/formats/format.h"
#include "ingest/http_source.h"
#include "ingest/mqtt_source.h"
#include "ingest/kafka_source.h"
#include "ingest/tailer.h"

namespace sp::ingest {

struct Options {
  TailerOptions tail;
  std::string checkpoint;
  FormatOptions format;
  std::string multiline_start;
  bool add_meta = false;
  bool replace_invalid_utf8 = false;
  HttpOptions http;
  MqttOptions mqtt;
  KafkaOptions kafka;
  std::string ack;           // --ack PATH: the Unix socket sp-sink --ack reports to
  double ack_timeout = 30;   // seconds to wait for the last acknowledgements
};

// Runs the stage over the program's inputs (the sources); returns the exit status.
int run(cli::Program& prog, Options& opts);

}  // namespace sp::ingest
