#!/usr/bin/env bats
# sp-sink and sp-ingest against Kafka: librdkafka's mock cluster (real protocol, 127.0.0.1),
# with kcat (Debian) as the independent client in both directions.

load kafka_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
}

teardown() {
  local pid
  for pid in ${BG_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  stop_kafka
}

@test "kafka: sp-sink records read back by kcat; kcat records read by sp-ingest --exit-at-end" {
  start_kafka ev:3 back:3
  feed 3000 > in.ndjson
  run -0 sp-sink "kafka://$KAFKA/ev" --batch-size 1000 in.ndjson
  kread ev > got.ndjson
  diff <(sort in.ndjson) <(sort got.ndjson) || fail "kcat read back other records than sp-sink wrote"
  # Per partition, order is kept.
  kwrite back -l in.ndjson
  run -0 sp-ingest "kafka://$KAFKA/back" --exit-at-end -o out.ndjson
  diff <(sort in.ndjson) <(sort out.ndjson) || fail "sp-ingest read other records than kcat wrote"
  run -0 sp-ingest "kafka://$KAFKA/back" --exit-at-end --count 10
  assert_equal "${#lines[@]}" 10
}

@test "kafka: key=FIELD lands every key on one partition; --partition-by; topic template" {
  start_kafka keyed:6 byfield:6 web-events:2 api-events:2
  feed 2000 > in.ndjson
  run -0 sp-sink "kafka://$KAFKA/keyed?key=user_id" in.ndjson
  kread keyed -f '%p %k\n' | sort -u > pk.txt
  assert_equal "$(wc -l < pk.txt)" 1000
  [[ -z $(awk '{print $2}' pk.txt | sort | uniq -d) ]] || fail "a key landed on two partitions"
  [[ $(awk '{print $1}' pk.txt | sort -u | wc -l) -gt 1 ]] || fail "every key on one partition"
  kread keyed -f '%k %s\n' | head -1 | grep -qE '^(u[0-9]{6}) .*"user_id":"\1"' || fail "key is not the user_id"
  run -0 sp-sink "kafka://$KAFKA/byfield" --partition-by user_id in.ndjson
  kread byfield -f '%p %k|%s\n' | sed -E 's/^([0-9]+) (.*)\|.*"user_id":"([^"]*)".*/\1 \3 \2/' | sort -u > pf.txt
  [[ -z $(awk '{print $2}' pf.txt | sort | uniq -d) ]] || fail "--partition-by put one value on two partitions"
  if grep -qv ' $' pf.txt; then fail "--partition-by set a key"; fi
  # The same hash as for keys: a value's partition is its key's.
  diff <(awk '{print $2, $1}' pk.txt | sort) <(awk '{print $2, $1}' pf.txt | sort) || fail "partition_by and key disagree"
  printf '%s\n' '{"service":"web","n":1}' '{"service":"api","n":2}' '{"service":"web","n":3}' '{"n":4}' > svc.ndjson
  run -0 sp-sink "kafka://$KAFKA/{service}-events" svc.ndjson --dead-letter dl.ndjson
  assert_equal "$(kread web-events | wc -l)" 2
  assert_equal "$(kread api-events)" '{"service":"api","n":2}'
  run -0 cat dl.ndjson
  assert_output --partial "no field 'service'"
}

@test "kafka: --meta adds topic, partition, offset, key, timestamp, headers; non-JSON payloads are wrapped" {
  start_kafka m:1 raw:1
  echo '{"a":1}' | kwrite m -k key1 -H h1=v1 -H trace=abc
  run -0 sp-ingest "kafka://$KAFKA/m" --meta --exit-at-end
  assert_output --regexp '^\{"a":1,"_src":\{"topic":"m","partition":0,"offset":0,"key":"key1","timestamp":"[0-9-]+T[0-9:.]+Z","headers":\{"h1":"v1","trace":"abc"\},"host":'
  printf '%s\n' 'plain text' 42 '[1,2]' '{"ok":true}' | kwrite raw
  printf 'bad\xff\xfebytes' | kwrite raw
  printf '{\n  "pretty": 1\n}' | kwrite raw -D '#'  # one message, line breaks and all
  run -0 sp-ingest "kafka://$KAFKA/raw" --exit-at-end
  assert_line --index 0 '{"value":"plain text"}'
  assert_line --index 1 '{"value":42}'
  assert_line --index 2 '{"value":[1,2]}'
  assert_line --index 3 '{"ok":true}'
  assert_line --index 4 "{\"value\":\"$(printf 'bad\xff\xfebytes' | base64)\",\"encoding\":\"base64\"}"
  assert_line --index 5 '{   "pretty": 1 }'
  assert_equal "${#lines[@]}" 6
}

@test "kafka: a message over --max-line-bytes is dead-lettered with its position and size, and the next ones are read" {
  start_kafka big:1
  { echo '{"n":1}'; printf '{"pad":"%s"}\n' "$(head -c 5000 /dev/zero | tr '\0' x)"; echo '{"n":3}'; } | kwrite big
  run -0 --separate-stderr sp-ingest "kafka://$KAFKA/big" --exit-at-end --max-line-bytes 4K --dead-letter dl.ndjson
  assert_equal "$output" $'{"n":1}\n{"n":3}'
  [[ $stderr == *"1 records rejected, written to dl.ndjson"* ]] || fail "$stderr"
  run -0 jq -c '[.error, .raw_truncated, .raw_bytes, (.raw | length)]' dl.ndjson
  assert_output '["message big/0 offset 1 is 5010 bytes, longer than --max-line-bytes (4096)",true,5010,256]'
}

@test "kafka: a group of 2 on 6 partitions reads each record once, and takes over when a member leaves; offsets are committed" {
  start_kafka g:6
  # The mock frees a member's partitions only after its session timeout, even when it left
  # cleanly: keep that short (librdkafka's default is 45 s).
  local fast=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000)
  feed 9000 > all.ndjson
  sed -n 1,3000p all.ndjson > sent.ndjson
  kwrite g -l -X sticky.partitioning.linger.ms=0 sent.ndjson
  sp-ingest "kafka://$KAFKA/g?group=grp" "${fast[@]}" -o a.ndjson 2> a.err &
  local a=$! b i
  sp-ingest "kafka://$KAFKA/g?group=grp" "${fast[@]}" -o b.ndjson 2> b.err &
  b=$!
  BG_PIDS="$a $b"
  wait_for 30 bash -c '(( $(cat a.ndjson b.ndjson 2>/dev/null | wc -l) >= 3000 ))' ||
    fail "the group read $(cat a.ndjson b.ndjson | wc -l) of 3000"
  # Until both members hold partitions (the mock takes a few seconds per rebalance), more
  # records arrive in small steps; each must be read once, by one member or the other.
  for ((i = 1; i <= 20; i++)); do
    (( $(count_lines a.ndjson) > 0 && $(count_lines b.ndjson) > 0 )) && break
    sed -n "$((3000 + (i - 1) * 100 + 1)),$((3000 + i * 100))p" all.ndjson | tee -a sent.ndjson | kwrite g
    sleep 1
  done
  (( $(count_lines a.ndjson) > 0 && $(count_lines b.ndjson) > 0 )) || fail "one member read everything: a $(count_lines a.ndjson), b $(count_lines b.ndjson)"
  wait_for 30 bash -c "(( \$(cat a.ndjson b.ndjson | wc -l) >= $(count_lines sent.ndjson) ))" || fail "records not read"
  # a leaves: b takes over a's partitions from a's commits.
  kill -TERM "$a"
  wait "$a" || fail "member a exited $?: $(cat a.err)"
  sed -n 6001,9000p all.ndjson | tee -a sent.ndjson | kwrite g -X sticky.partitioning.linger.ms=0
  wait_for 30 bash -c "(( \$(cat a.ndjson b.ndjson | wc -l) >= $(count_lines sent.ndjson) ))" ||
    fail "after a left, b read $(count_lines b.ndjson) (a $(count_lines a.ndjson)) of $(count_lines sent.ndjson): $(cat b.err)"
  kill -TERM "$b"
  wait "$b" || fail "member b exited $?: $(cat b.err)"
  BG_PIDS=
  diff <(sort sent.ndjson) <(sort a.ndjson b.ndjson) || fail "records lost or read twice"
  # Offsets committed: the same group reads nothing old, then only what is new.
  run -0 sp-ingest "kafka://$KAFKA/g?group=grp" "${fast[@]}" --exit-at-end
  assert_output ''
  feed 5 | kwrite g
  run -0 sp-ingest "kafka://$KAFKA/g?group=grp" "${fast[@]}" --exit-at-end
  assert_equal "${#lines[@]}" 5
  # offset=earliest reads the topic again from its start, whatever the group committed.
  run -0 sp-ingest "kafka://$KAFKA/g?group=grp&offset=earliest" "${fast[@]}" --exit-at-end
  assert_equal "${#lines[@]}" "$(( $(count_lines sent.ndjson) + 5 ))"
}

@test "kafka: injected broker errors: retriable ones are retried, a permanent one dead-letters with exit 1" {
  # 6 = NOT_LEADER_OR_FOLLOWER (retriable), 3 times.
  start_kafka --inject produce:6:3 r:1
  feed 500 > in.ndjson
  run -0 sp-sink "kafka://$KAFKA/r" in.ndjson
  diff in.ndjson <(kread r) || fail "records lost after retried errors"
  stop_kafka
  # 29 = TOPIC_AUTHORIZATION_FAILED (not retriable).
  start_kafka --inject produce:29:1 p:1
  run -1 sp-sink "kafka://$KAFKA/p" in.ndjson --dead-letter dl.ndjson -X linger.ms=100
  assert_output --partial "could not be delivered"
  (( $(count_lines dl.ndjson) > 0 )) || fail "nothing dead-lettered"
  run -0 grep -c 'kafka delivery failed: Broker: Topic authorization failed' dl.ndjson
  assert_equal "$(( $(count_lines dl.ndjson) + $(kread p | wc -l) ))" 500
}

@test "kafka: unreachable broker: exit 1 with a clear message within the timeout; bad properties: exit 2" {
  local port start
  port=$(free_port)
  start=$SECONDS
  run -1 sp-ingest "kafka://127.0.0.1:$port/t" --connect-timeout 2s
  assert_output --partial "no broker answered within"
  (( SECONDS - start <= 6 )) || fail "took $((SECONDS - start)) s"
  start=$SECONDS
  echo '{"a":1}' > in.ndjson
  run -1 sp-sink "kafka://127.0.0.1:$port/t" --timeout 2s in.ndjson
  assert_output --partial "no broker answered within"
  (( SECONDS - start <= 6 )) || fail "took $((SECONDS - start)) s"
  run -2 sp-ingest "kafka://127.0.0.1:$port/t" -X no.such.property=1
  assert_output --partial "no.such.property"
  run -2 sp-sink "kafka://127.0.0.1:$port/t" -X acks=maybe in.ndjson
  assert_output --partial "acks"
  run -2 sp-sink "kafka://127.0.0.1:$port/t?colour=red" in.ndjson
  assert_output --partial "unknown parameter 'colour'"
  run -2 sp-ingest "kafka://127.0.0.1:$port/t?offset=middle"
  assert_output --partial "offset="
  printf '%s\n' '# comment' 'no.such.property = 1' > bad.properties
  run -2 sp-ingest "kafka://127.0.0.1:$port/t" --kafka-config bad.properties
  assert_output --partial "no.such.property"
}
