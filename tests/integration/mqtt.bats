#!/usr/bin/env bats
# sp-ingest and sp-sink against a real mosquitto (a free port, persistence in a temp dir),
# with mosquitto_pub and mosquitto_sub as the independent clients.

load mqtt_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  unset SP_MQTT_PASSWORD
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
}

teardown() {
  local pid
  for pid in ${BG_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  stop_mosquitto
}

# stderr_has TEXT / stderr_lacks TEXT: after `run --separate-stderr`.
stderr_has() { [[ $stderr == *"$1"* ]] || fail "stderr lacks '$1': $stderr"; }
stderr_lacks() { [[ $stderr != *"$1"* ]] || fail "stderr shows '$1': $stderr"; }

# ids FILE: the sorted, distinct "id" values of an NDJSON file.
ids() { jq -r '.id' "$1" | sort -n -u; }

# mosquitto_sub_session ID TOPIC QOS: creates a persistent session subscribed to TOPIC, so
# that what is published next is kept for `mosquitto_sub -c -i ID` to read.
mosquitto_sub_session() {
  mosquitto_sub -p "$MQTT_PORT" -c -i "$1" -q "$3" -t "$2" -E || fail "mosquitto_sub could not subscribe"
}

@test "mqtt: sp-sink to mosquitto_sub and mosquitto_pub to sp-ingest at QoS 0, 1 and 2" {
  start_mosquitto
  feed 200 > in.ndjson
  for q in 0 1 2; do
    mosquitto_sub_session "sub$q" "rt/$q" "$q"
    run -0 sp-sink "$MQTT_URL/rt/$q?qos=$q" in.ndjson
    run -0 mosquitto_sub -p "$MQTT_PORT" -c -i "sub$q" -q "$q" -t "rt/$q" -C 200 -W 10
    [[ $output == "$(cat in.ndjson)" ]] || fail "QoS $q: sp-sink -> mosquitto_sub differs"
  done
  for q in 0 1 2; do
    sp-ingest "$MQTT_URL/in/$q?qos=$q" --count 200 > "out$q.ndjson" 2> "err$q" &
    local pid=$!
    BG_PIDS+=" $pid"
    wait_subscribed "err$q"
    mosquitto_pub -p "$MQTT_PORT" -q "$q" -t "in/$q" -l < in.ndjson
    wait_exit "$pid" 15
    run -0 diff in.ndjson "out$q.ndjson"
  done
}

@test "mqtt: 100,000 messages at QoS 1 in one sp-sink run, all received (sp-ingest and mosquitto_sub)" {
  start_mosquitto
  feed 100000 > in.ndjson
  mosquitto_sub_session big big 1
  sp-ingest "$MQTT_URL/big?qos=1" --count 100000 > out.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  run -0 sp-sink "$MQTT_URL/big?qos=1" --stats in.ndjson
  wait_exit "$pid" 30
  run -0 wc -l < out.ndjson
  assert_output 100000
  run -0 cmp <(sort in.ndjson) <(sort out.ndjson)
  mosquitto_sub -p "$MQTT_PORT" -c -i big -q 1 -t big -C 100000 -W 20 > sub.ndjson
  run -0 cmp <(sort in.ndjson) <(sort sub.ndjson)
}

@test "mqtt: broker killed (SIGKILL) and restarted mid-stream at QoS 1 with a persistent session: every id arrives" {
  # QoS 1 is at-least-once: duplicates are allowed, a missing id is not.
  MQTT_SAVE_EVERY_CHANGE=1 start_mosquitto
  sp-ingest "$MQTT_URL/crash?qos=1&client_id=crash-sub&clean=false" > out.ndjson 2> ingest.err &
  local ingest=$!
  BG_PIDS+=" $ingest"
  wait_subscribed ingest.err
  sleep 1.2  # the session is saved
  (feed 2000 50 0.05 | sp-sink "$MQTT_URL/crash?qos=1" --batch-size 50 --flush-interval 50ms \
    --retry-backoff 200ms > sink.out 2> sink.err) &
  local sink=$!
  sleep 0.6
  mosquitto_kill
  sleep 0.5
  mosquitto_start
  wait_exit "$sink" 40 || fail "sp-sink failed: $(cat sink.err)"
  wait_for 20 bash -c "[[ \$(jq -r .id out.ndjson | sort -u | wc -l) == 2000 ]]" ||
    fail "missing ids: $(comm -23 <(seq 1 2000 | sort) <(jq -r .id out.ndjson | sort -u) | head) (sp-sink: $(cat sink.err); sp-ingest: $(cat ingest.err))"
  grep -q 'connection lost' ingest.err
  kill -TERM "$ingest"
  wait "$ingest"
}

@test "mqtt: --ack: file -> sp-sink QoS 1 while the broker is killed and restarted: every id arrives, only PUBACKed positions are committed" {
  MQTT_SAVE_EVERY_CHANGE=1 start_mosquitto
  sp-ingest "$MQTT_URL/acked?qos=1&client_id=acked-sub&clean=false" > out.ndjson 2> sub.err &
  BG_PIDS+=" $!"
  wait_subscribed sub.err
  sleep 1.2  # the session is saved
  feed 2000 50 0.05 > in.ndjson &
  local feeder=$!
  sp-ingest in.ndjson --follow --checkpoint ck --checkpoint-interval 0.2s --ack a.sock 2> ingest.err |
    sp-sink "$MQTT_URL/acked?qos=1" --ack a.sock --batch-size 50 --flush-interval 50ms --retry-backoff 200ms 2> sink.err &
  local pipeline=$!
  sleep 0.6
  mosquitto_kill
  # Down: nothing new is acknowledged, so the committed position stands still.
  sleep 0.3
  local before after
  before=$(jq -r '.files[0].offset' ck)
  sleep 0.7
  after=$(jq -r '.files[0].offset' ck)
  assert_equal "$after" "$before"
  mosquitto_start
  wait "$feeder"
  wait_for 40 bash -c "[[ \$(jq -r '.files[0].offset' ck) == $(stat -c %s in.ndjson) ]]" ||
    fail "not everything acknowledged: $(cat ck) (sp-sink: $(cat sink.err))"
  pkill -TERM -f "sp-ingest in.ndjson --follow" || true
  wait "$pipeline"
  wait_for 20 bash -c "[[ \$(jq -r .id out.ndjson | sort -u | wc -l) == 2000 ]]" ||
    fail "missing ids: $(comm -23 <(seq 1 2000 | sort) <(jq -r .id out.ndjson | sort -u) | head)"
}

@test "mqtt: persistent session: QoS 1 messages published while the subscriber is down arrive when it returns" {
  start_mosquitto
  local uri="$MQTT_URL/persist/#?qos=1&client_id=p1&clean=false"
  sp-ingest "$uri" --count 1 > first.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t persist/a -m '{"id":0}'
  wait_exit "$pid" 10
  assert_equal "$(cat first.ndjson)" '{"id":0}'
  for i in 1 2 3 4 5; do mosquitto_pub -p "$MQTT_PORT" -q 1 -t "persist/x$i" -m "{\"id\":$i}"; done
  run -0 timeout 10 sp-ingest "$uri" --count 5
  assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '"id"')" 5
  run -0 ids <(printf '%s\n' "${lines[@]}" | grep '"id"')
  assert_output "$(seq 1 5)"
  # Without client_id, clean=false is refused.
  run -2 sp-ingest "$MQTT_URL/x?clean=false"
  assert_output --partial "client_id"
}

@test "mqtt: topic template from fields, dead letters, retain" {
  start_mosquitto
  mosquitto_sub_session tmpl 'sensors/#' 1
  printf '%s\n' '{"device_id":"d1","t":20}' '{"t":21}' '{"device_id":"d2","t":22}' '{"device_id":"a+b","t":23}' > in.ndjson
  run -0 sp-sink "$MQTT_URL/sensors/{device_id}/reading?qos=1" --dead-letter dl.ndjson in.ndjson
  run -0 mosquitto_sub -p "$MQTT_PORT" -c -i tmpl -q 1 -t 'sensors/#' -v -C 2 -W 10
  assert_line --index 0 'sensors/d1/reading {"device_id":"d1","t":20}'
  assert_line --index 1 'sensors/d2/reading {"device_id":"d2","t":22}'
  run -0 jq -c '[.line, .error]' dl.ndjson
  assert_line --index 0 "[2,\"topic template 'sensors/{device_id}/reading': no field 'device_id'\"]"
  assert_line --index 1 --partial '[4,"topic '"'"'sensors/a+b/reading'"'"' is empty or holds a wildcard'
  run -0 sp-sink "$MQTT_URL/kept?retain=true" <<< '{"last":1}'
  run -0 mosquitto_sub -p "$MQTT_PORT" -t kept -C 1 -W 5
  assert_output '{"last":1}'
  run -2 sp-sink "$MQTT_URL/x?qos=3" <<< '{}'
  assert_output --partial "qos must be 0, 1 or 2"
  run -2 sp-sink "$MQTT_URL/x?bogus=1" <<< '{}'
  assert_output --partial "unknown parameter 'bogus'"
}

@test "mqtt: payloads that are not JSON are wrapped; --meta adds topic, qos and retain" {
  start_mosquitto
  sp-ingest "$MQTT_URL/p/#,q/#?qos=1" --meta --count 5 > out.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t p/json -m '{"a":1}'
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t p/text -m 'plain "text"'
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t p/multi -m $'{\n  "b": [1, 2]\n}'
  printf 'ab\xff\xfe' > bin
  mosquitto_pub -p "$MQTT_PORT" -q 0 -t q/bin -f bin
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t q/num -m '42'
  wait_exit "$pid" 10
  run -0 jq -c 'if type == "object" then del(._src.host, ._src.ingest_ts) else . end' out.ndjson
  assert_line --index 0 "{\"a\":1,\"_src\":{\"url\":\"$MQTT_URL/p/#,q/#\",\"topic\":\"p/json\",\"qos\":1,\"retain\":false}}"
  assert_line --index 1 --partial '{"topic":"p/text","payload":"plain \"text\"","_src":{'
  assert_line --index 2 --partial '{"b":[1,2],"_src":{'
  assert_line --index 3 --partial '{"topic":"q/bin","payload_base64":"YWL//g==","_src":{'
  assert_line --index 3 --partial '"qos":0,'
  assert_line --index 4 '42'
  run -0 jq -r '._src.ingest_ts' <(head -1 out.ndjson)
  assert_output --regexp '^20[0-9-]+T'
}

@test "mqtt: a payload over --max-line-bytes is dead-lettered with its size, and the next ones are read" {
  start_mosquitto
  sp-ingest "$MQTT_URL/big?qos=1" --count 3 --max-line-bytes 4K --dead-letter dl.ndjson > out.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t big -m '{"n":1}'
  printf '{"pad":"%s"}' "$(head -c 5000 /dev/zero | tr '\0' x)" > big.json
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t big -f big.json
  mosquitto_pub -p "$MQTT_PORT" -q 1 -t big -m '{"n":3}'
  wait_exit "$pid" 10
  assert_equal "$(cat out.ndjson)" $'{"n":1}\n{"n":3}'
  grep -q "1 records rejected, written to dl.ndjson" err || fail "$(cat err)"
  run -0 jq -c '[.error, .raw_truncated, .raw_bytes, (.raw | length)]' dl.ndjson
  assert_output '["message on big is 5010 bytes, longer than --max-line-bytes (4096)",true,5010,256]'
}

@test "mqtt: user and password (file or SP_MQTT_PASSWORD); a wrong password is a clear error, never printed" {
  mosquitto_passwd -c -b passwd alice 'S3cret-pw!' || fail "mosquitto_passwd failed"
  start_mosquitto "allow_anonymous false" "password_file $PWD/passwd"
  echo 'S3cret-pw!' > pw
  echo 'wrong-Pa55' > badpw
  mosquitto_pub -p "$MQTT_PORT" -u alice -P 'S3cret-pw!' -q 1 -t auth -m x ||
    fail "mosquitto rejects the test's own credentials"
  SP_MQTT_PASSWORD='S3cret-pw!' sp-ingest "$MQTT_URL/auth?qos=1" --user alice --count 1 > out.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  run -0 sp-sink "$MQTT_URL/auth" --user alice --password-file pw <<< '{"ok":1}'
  wait_exit "$pid" 10
  assert_equal "$(cat out.ndjson)" '{"ok":1}'
  run -1 --separate-stderr sp-sink "$MQTT_URL/auth" --user alice --password-file badpw <<< '{"ok":2}'
  stderr_has "cannot connect: the broker refused"
  stderr_lacks "wrong-Pa55"
  run -1 --separate-stderr sp-ingest "$MQTT_URL/auth" --user alice --password-file badpw --connect-timeout 2s
  stderr_has "cannot connect: the broker refused"
  stderr_lacks "wrong-Pa55"
  run -1 --separate-stderr sp-sink "mqtt://alice:wrong-Pa55@127.0.0.1:$MQTT_PORT/auth" <<< '{"ok":3}'
  stderr_has "alice:***@"
  stderr_lacks "wrong-Pa55"
}

@test "mqtt: mqtts with a CA made by openssl; an untrusted server is refused" {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=sp-test-ca -days 2 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2> /dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' > ext
  openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext 2> /dev/null ||
    fail "openssl could not sign the server certificate"
  start_mosquitto "allow_anonymous true" "cafile $PWD/ca.crt" "certfile $PWD/srv.crt" "keyfile $PWD/srv.key"
  local url="mqtts://127.0.0.1:$MQTT_PORT"
  sp-ingest "$url/tls?qos=1" --cafile ca.crt --count 1 > out.ndjson 2> err &
  local pid=$!
  BG_PIDS+=" $pid"
  wait_subscribed err
  run -0 sp-sink "$url/tls?qos=1" --cafile ca.crt <<< '{"secure":true}'
  wait_exit "$pid" 10
  assert_equal "$(cat out.ndjson)" '{"secure":true}'
  # The handshake fails at once (and is tried again until the timeout): 3s leaves a busy machine
  # time for a first attempt.
  run -1 --separate-stderr sp-sink "$url/tls" --connect-timeout 3s <<< '{}'
  stderr_has "cannot connect"
  run -2 sp-sink "$MQTT_URL/tls" --cafile ca.crt <<< '{}'
  assert_output --partial "need mqtts://"
}

@test "mqtt: an unreachable broker is an error within --connect-timeout (source and sink)" {
  local port
  port=$(free_port)
  SECONDS=0
  run -1 --separate-stderr sp-ingest "mqtt://127.0.0.1:$port/t" --connect-timeout 1s
  stderr_has "sp-ingest: mqtt://127.0.0.1:$port/t: cannot connect"
  stderr_has "gave up after --connect-timeout 1s"
  run -1 --separate-stderr sp-sink "mqtt://127.0.0.1:$port/t" --connect-timeout 1s <<< '{}'
  stderr_has "sp-sink: mqtt://127.0.0.1:$port/t: cannot connect"
  ((SECONDS <= 5)) || fail "took ${SECONDS}s"
}
