# Kafka for integration tests: librdkafka's mock cluster (the real protocol on 127.0.0.1) run
# by tests/kafka-mock/sp-test-kafka-cluster, with kcat as the independent client.
# A cluster that cannot start fails the test loudly; nothing is skipped.
load server_helper

# start_kafka [--brokers N] [--inject API:ERROR:COUNT]... [TOPIC:PARTITIONS]...: sets KAFKA (the
# bootstrap servers) and KAFKA_PID; stop_kafka (in teardown) stops it.
start_kafka() {
  local helper=$SP_BIN_DIR/tests/sp-test-kafka-cluster
  [[ -x $helper ]] || fail "$helper not built (SP_BUILD_TESTS=ON builds it)"
  command -v kcat > /dev/null || fail "kcat not installed (tests/install-deps installs it)"
  KAFKA_DIR=$(mktemp -d /tmp/sp-kafka.XXXXXX)
  "$helper" "$@" > "$KAFKA_DIR/bootstrap" 2> "$KAFKA_DIR/cluster.log" &
  KAFKA_PID=$!
  wait_for 10 test -s "$KAFKA_DIR/bootstrap" || fail "mock Kafka cluster did not start: $(cat "$KAFKA_DIR/cluster.log")"
  KAFKA=$(head -1 "$KAFKA_DIR/bootstrap")
  [[ $KAFKA == 127.0.0.1:* ]] || fail "mock Kafka cluster printed no bootstrap address: '$KAFKA'"
}

stop_kafka() {
  [[ -n ${KAFKA_PID:-} ]] || return 0
  kill "$KAFKA_PID" 2>/dev/null || true
  wait "$KAFKA_PID" 2>/dev/null || true
  rm -rf "$KAFKA_DIR"
  KAFKA_PID=
}

# kread TOPIC [kcat options]: every message of TOPIC, one per line.
kread() {
  local topic=$1
  shift
  kcat -C -b "$KAFKA" -t "$topic" -o beginning -e -q "$@"
}

# kwrite TOPIC [kcat options] < lines: one message per line.
kwrite() {
  local topic=$1
  shift
  kcat -P -b "$KAFKA" -t "$topic" "$@"
}

# count_lines FILE: its line count (0 when missing).
count_lines() {
  if [[ -f $1 ]]; then wc -l < "$1"; else echo 0; fi
}
