# A real mosquitto for the MQTT tests: a generated config on a free 127.0.0.1 port, with
# persistence in a temp dir (a restart keeps sessions and queued messages), stopped by
# stop_mosquitto. A broker that cannot start fails the test loudly.
load server_helper

# start_mosquitto [CONFIG LINE...]: sets MQTT_PORT, MQTT_DIR, MQTT_URL; extra lines go into
# the listener's part of the config (e.g. password_file, certfile).
start_mosquitto() {
  command -v mosquitto > /dev/null || fail "mosquitto not installed (tests/install-deps installs it)"
  MQTT_DIR=$(mktemp -d /tmp/sp-mqtt.XXXXXX)
  MQTT_PORT=$(free_port)
  MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT"
  {
    echo "per_listener_settings false"
    echo "user $(id -un)"
    echo "pid_file $MQTT_DIR/mosquitto.pid"
    echo "log_dest file $MQTT_DIR/mosquitto.log"
    echo "persistence true"
    echo "persistence_location $MQTT_DIR/"
    # MQTT_SAVE_EVERY_CHANGE=1: saved after every change, so that a broker killed with SIGKILL
    # keeps what it acknowledged (slow with many queued messages: the whole state is written).
    if [[ ${MQTT_SAVE_EVERY_CHANGE:-} == 1 ]]; then
      echo "autosave_interval 1"
      echo "autosave_on_changes true"
    fi
    echo "max_inflight_messages 1000"
    echo "max_queued_messages 200000"
    echo "queue_qos0_messages true"
    echo "listener $MQTT_PORT 127.0.0.1"
    if (($# == 0)); then echo "allow_anonymous true"; fi
    local line
    for line in "$@"; do echo "$line"; done
  } > "$MQTT_DIR/mosquitto.conf"
  mosquitto_start
}

mosquitto_start() {
  mosquitto -c "$MQTT_DIR/mosquitto.conf" -d || fail "mosquitto did not start: $(tail -5 "$MQTT_DIR/mosquitto.log" 2>/dev/null)"
  local i
  for ((i = 0; i < 100; i++)); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $MQTT_PORT), 0.2).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "mosquitto does not listen on $MQTT_PORT: $(tail -5 "$MQTT_DIR/mosquitto.log")"
}

mosquitto_pid() { cat "$MQTT_DIR/mosquitto.pid" 2>/dev/null; }

# mosquitto_kill: SIGKILL, as a crash; mosquitto_start brings it back on the same port.
mosquitto_kill() {
  local pid
  pid=$(mosquitto_pid) || return 0
  kill -9 "$pid" 2>/dev/null || true
  wait_for 10 bash -c "! kill -0 $pid" || fail "mosquitto $pid did not die"
}

stop_mosquitto() {
  [[ -n ${MQTT_DIR:-} && -d $MQTT_DIR ]] || return 0
  local pid
  pid=$(mosquitto_pid)
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$MQTT_DIR"
}

# wait_subscribed FILE: waits until the sp-ingest whose stderr goes to FILE has subscribed.
wait_subscribed() {
  wait_for 15 grep -q 'subscribed to' "$1" || fail "sp-ingest did not subscribe: $(cat "$1")"
}

# wait_exit PID SECONDS: waits for a background process to end; fails the test if it does not.
wait_exit() {
  local pid=$1 seconds=$2
  wait_for "$seconds" bash -c "! kill -0 $pid" || { kill "$pid" 2>/dev/null; fail "process $pid still running after ${seconds}s"; }
  wait "$pid"
}
