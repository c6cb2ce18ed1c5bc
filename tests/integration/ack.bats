#!/usr/bin/env bats
# Crash safety with end-to-end acknowledgements (sp-ingest --ack / sp-sink --ack), against the
# mock Kafka cluster (real protocol) with kcat as the independent reader. A feeder writes
# numbered records the whole time; each round starts the pipeline (every stage a process of
# its own, joined by named pipes), kills one stage chosen at random with SIGKILL at a random
# moment, and lets the others end; then a last run drains. Every id must come out at least
# once, and duplicates are bounded by what was in flight.

load kafka_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
  FEED=$SP_SOURCE_DIR/tests/integration/ack_feed.py
  echo '{"type":"object","required":["id","v"],"properties":{"id":{"type":"integer"},"v":{"type":"integer"}}}' > schema.json
}

teardown() {
  local pid
  for pid in ${BG_PIDS:-} "${STAGES[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
  # The scale-out members run inside `bash -c` pipelines: end them by name.
  pkill -KILL -f -- "--ack m[0-9].sock" 2> /dev/null || true
  stop_kafka
}

# Fast group membership: a member killed with SIGKILL is replaced after its session timeout.
FAST=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)

# start_files_pipeline [sp-ingest options]: in.log -> sp-validate -> sp-enrich -> Kafka topic out.
start_files_pipeline() {
  rm -f p1 p2 p3
  mkfifo p1 p2 p3
  sp-ingest in.log "$@" --checkpoint ck --checkpoint-interval 0.2s --ack a.sock > p1 2>> ingest.err &
  STAGES=($!)
  sp-validate --schema schema.json --dead-letter bad.ndjson < p1 > p2 2>> validate.err &
  STAGES+=($!)
  sp-enrich --set 'doubled = v * 2' < p2 > p3 2>> enrich.err &
  STAGES+=($!)
  sp-sink "kafka://$KAFKA/${TOPIC:-out}" --ack a.sock < p3 2>> sink.err &
  STAGES+=($!)
}

# start_kafka_pipeline [sp-ingest options]: topic in (group g) -> sp-agg -> SQLite.
start_kafka_pipeline() {
  rm -f p1 p2
  mkfifo p1 p2
  sp-ingest "kafka://$KAFKA/in?group=g" "${FAST[@]}" "$@" --ack b.sock > p1 2>> ingest.err &
  STAGES=($!)
  sp-agg --window tumbling:1s --time ts --group-by service --agg 'count(*) as n, sum(v) as s' < p1 > p2 2>> agg.err &
  STAGES+=($!)
  sp-sink "sqlite://$PWD/out.db?table=agg" --ack b.sock < p2 2>> sink.err &
  STAGES+=($!)
}

# wait_stages: every stage must end within 20 s.
wait_stages() {
  local pid deadline=$((SECONDS + 20))
  for pid in "${STAGES[@]}"; do
    while kill -0 "$pid" 2> /dev/null; do
      ((SECONDS < deadline)) || fail "a stage did not end after the kill: $(ps -o pid,args -p "${STAGES[*]// /,}" | tail -n +2)"
      sleep 0.05
    done
    wait "$pid" 2> /dev/null || true
  done
  STAGES=()
}

# lines_between FILE FROM TO: lines in bytes (FROM, TO] of FILE.
lines_between() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2)) | wc -l; }

# crash_rounds SEED ROUNDS SIGNAL START_FN: ROUNDS rounds; sets BOUND (records in flight).
crash_rounds() {
  local seed=$1 rounds=$2 sig=$3 start=$4 r victim size committed
  RANDOM=$seed
  BOUND=0
  for ((r = 0; r < rounds; r++)); do
    "$start" --follow
    sleep "0.$((3 + RANDOM % 7))"
    if [[ $sig == TERM ]]; then
      kill -TERM "${STAGES[@]}"  # the whole pipeline, as a terminal's Ctrl-C or systemd would
    else
      victim=$((RANDOM % ${#STAGES[@]}))
      kill -KILL "${STAGES[$victim]}"
      # What sp-ingest can have read by now: nothing after this reaches the topic.
      size=$(stat -c %s in.log 2> /dev/null || echo 0)
      # An idle stage notices a dead neighbour only when it next reads or writes: after a
      # second, the rest is stopped as a supervisor restarting the pipeline would.
      sleep 1
      kill -TERM "${STAGES[@]}" 2> /dev/null || true
    fi
    wait_stages
    if [[ $start == start_files_pipeline ]]; then
      committed=$(jq -r '.files[0].offset // 0' ck 2> /dev/null || echo 0)
      BOUND=$((BOUND + $(lines_between in.log "$committed" "$size")))
    fi
  done
}

# check_ids TOTAL: every id 0..TOTAL-1 in the Kafka topic $TOPIC (out); sets DUPS.
check_ids() {
  local total=$1
  kread "${TOPIC:-out}" > got.ndjson
  if grep -q '"_sp"' got.ndjson; then fail "_sp reached the destination"; fi
  jq -r .id got.ndjson | sort -n | uniq > ids.txt
  local missing
  missing=$(comm -23 <(seq 0 $((total - 1)) | sort) <(sort ids.txt) | wc -l)
  ((missing == 0)) || fail "$missing of $total ids lost (first: $(comm -23 <(seq 0 $((total - 1)) | sort) <(sort ids.txt) | head -3 | tr '\n' ' '))"
  DUPS=$(($(wc -l < got.ndjson) - total))
  [[ $(jq -r 'select(.doubled != .v * 2) | .id' got.ndjson | head -1) == "" ]] || fail "records did not go through sp-enrich"
}

@test "ack crash: file -> validate -> enrich -> Kafka, a random stage SIGKILLed 3 times per seed, 3 seeds: nothing lost" {
  start_kafka out11:3 out22:3 out33:3
  local seed total=12000
  for seed in 11 22 33; do
    TOPIC=out$seed
    rm -f in.log ck ck.lock
    "$FEED" in.log $total 4000 &
    BG_PIDS=$!
    crash_rounds "$seed" 3 KILL start_files_pipeline
    wait "$BG_PIDS"
    BG_PIDS=
    start_files_pipeline  # drains: reads to the end, waits for the last acknowledgements
    wait_stages
    check_ids $total
    echo "# seed $seed: $DUPS duplicates (in flight at the kills: at most $BOUND)" >&3
    ((DUPS <= BOUND)) || fail "seed $seed: $DUPS duplicates, more than the $BOUND records in flight"
  done
}

@test "ack crash: SIGTERM to the whole pipeline, 4 times: nothing lost, nothing repeated" {
  start_kafka out:3
  local total=12000
  "$FEED" in.log $total 4000 &
  BG_PIDS=$!
  crash_rounds 7 4 TERM start_files_pipeline
  wait "$BG_PIDS"
  BG_PIDS=
  start_files_pipeline
  wait_stages
  check_ids $total
  assert_equal "$DUPS" 0
}

@test "ack crash: Kafka group -> sp-agg -> SQLite, a random stage SIGKILLed 3 times per seed, 2 seeds: every window complete" {
  start_kafka in:1
  local seed total=6000 base
  base=$(date -u -d 2026-11-24T00:00:00Z +%s)
  for seed in 5 6; do
    rm -f out.db
    "$FEED" - $total 2000 | kwrite in &
    BG_PIDS=$!
    crash_rounds "$seed" 3 KILL start_kafka_pipeline
    wait "$BG_PIDS"
    BG_PIDS=
    start_kafka_pipeline --exit-at-end
    wait_stages
    # Every (second, service) window must have its complete result (a window emitted again
    # after a crash is complete too), and no result may count more than its window holds.
    awk -v t=$total 'BEGIN { for (i = 0; i < t; i++) c[int(i / 100) " s" (i % 3)]++; for (k in c) print k, c[k] }' |
      sort > expected.txt
    sqlite3 out.db "SELECT (strftime('%s', window_start) - $base) || ' ' || service || ' ' || max(n)
                    FROM agg GROUP BY window_start, service" | sort > got.txt
    diff expected.txt got.txt || fail "seed $seed: windows incomplete or over-counted"
  done
}

@test "ack crash: the Kafka brokers go down and come back mid-stream: nothing lost" {
  start_kafka out:3
  local total=8000
  "$FEED" in.log $total 4000 &
  BG_PIDS=$!
  start_files_pipeline --follow
  sleep 0.7
  kill -USR1 "$KAFKA_PID"
  sleep 2
  kill -USR2 "$KAFKA_PID"
  wait "$BG_PIDS"
  BG_PIDS=
  # Everything written reaches the topic and is acknowledged; then a clean stop.
  wait_for 60 bash -c "(( \$(jq -r '.files[0].offset' ck) == $(stat -c %s in.log) ))" ||
    fail "not everything was acknowledged after the outage: $(cat ck sink.err)"
  kill -TERM "${STAGES[@]}"
  wait_stages
  check_ids $total
  assert_equal "$DUPS" 0
}

# ---- scale-out: several pipelines share a topic's partitions through a consumer group.

# start_member N [stage...]: sp-ingest kafka://…/ev?group=s --ack | STAGES… | sp-sink outN.ndjson --ack
start_member() {
  local n=$1
  shift
  # -v: sp-ingest tells every change of its partitions ("… now ev/0, ev/3").
  local cmd="sp-ingest 'kafka://$KAFKA/ev?group=s' ${FAST[*]} -v --ack m$n.sock"
  (($# > 0)) && cmd+=" | $*"
  cmd+=" | sp-sink out$n.ndjson --ack m$n.sock"
  # fd 3 (bats' own output) closed: a member left running must not hold the test run open.
  bash -c "exec 2>> m$n.err; $cmd" 3>&- &
  BG_PIDS+=" $!"
}

# partitions_of N: the partitions member N holds now, one per line (from its last rebalance line).
partitions_of() { grep -o 'now .*' "m$1.err" 2> /dev/null | tail -1 | sed 's/^now //; s/, /\n/g' | grep -v '^none$'; }
export -f partitions_of

# wait_group_stable: the 3 members hold 2 of the 6 partitions each (records produced before the
# group settles would move with their partitions while the first owner's sp-agg still holds them).
wait_group_stable() {
  wait_for 60 bash -c 'for n in 1 2 3; do (( $(partitions_of $n | wc -l) == 2 )) || exit 1; done
                       (( $(for n in 1 2 3; do partitions_of $n; done | sort -u | wc -l) == 6 ))' ||
    fail "the group did not settle: $(for n in 1 2 3; do echo "member $n: $(partitions_of $n | tr '\n' ' ')"; done)"
}

# produce COUNT RATE: the feeder's records into topic ev, partitioned by service.
produce() { "$FEED" - "$1" "$2" | sp-sink "kafka://$KAFKA/ev?key=service" 2>> producer.err; }

@test "scale-out: 3 pipelines share 6 partitions; one is SIGKILLed and the others take its partitions: every record arrives" {
  start_kafka ev:6
  local total=9000 i
  for i in 1 2 3; do start_member $i; done
  wait_group_stable
  produce $total 3000 &
  local producer=$!
  sleep 1.5
  # Member 2's sp-ingest dies; its sink ends with the pipe.
  pkill -KILL -f "sp-ingest kafka://$KAFKA/ev\\?group=s .* --ack m2.sock" || fail "member 2 not found"
  wait "$producer"
  wait_for 60 bash -c "(( \$(cat out1.ndjson out2.ndjson out3.ndjson 2> /dev/null | jq -r .id | sort -u | wc -l) >= $total ))" ||
    fail "the survivors did not take over: $(cat out*.ndjson | jq -r .id | sort -u | wc -l) of $total ids"
  kill -TERM $(pgrep -f "sp-ingest kafka://$KAFKA/ev") 2> /dev/null || true
  for i in $BG_PIDS; do wait "$i" || true; done
  BG_PIDS=
  local dups=$(($(cat out1.ndjson out2.ndjson out3.ndjson | wc -l) - total))
  echo "# $dups duplicates after the takeover" >&3
}

# keyed_input COUNT: the feeder's COUNT records, then one record per service an hour later: when
# it is read, every window before it is emitted (the watermark jumps), so a test knows when a
# pipeline has read everything. Into all.ndjson.
keyed_input() {
  "$FEED" - "$1" 1000000 > all.ndjson
  local svc
  for svc in s0 s1 s2; do echo '{"id":-1,"v":0,"service":"'$svc'","ts":"2026-11-24T01:00:00.000Z"}' >> all.ndjson; done
}

# wait_all_windows MEMBERS: the last window before the end records, of every service, is out.
wait_all_windows() {
  local files=() n
  for n in "$@"; do files+=("out$n.ndjson"); done
  wait_for 60 bash -c "(( \$(cat ${files[*]} 2> /dev/null | jq -r 'select(.window_start == \"2026-11-24T00:00:59.000Z\") | .service' | sort -u | wc -l) == 3 ))" ||
    fail "the pipelines did not read the topic: $(cat m*.err)"
}

AGG=(sp-agg --window tumbling:1s --time ts --max-delay 5s --group-by service --agg 'count(*) as n, sum(v) as s')

@test "scale-out: keyed aggregation in 3 pipelines equals one process when the topic is partitioned by the key" {
  start_kafka ev:6
  local i
  for i in 1 2 3; do start_member $i "${AGG[*]@Q}"; done
  wait_group_stable
  keyed_input 6000
  # A live stream (6000 records/s, sent every 10 ms).
  "$FEED" - 6000 6000 | sp-sink "kafka://$KAFKA/ev?key=service" --flush-interval 10ms 2>> producer.err
  tail -3 all.ndjson | sp-sink "kafka://$KAFKA/ev?key=service" 2>> producer.err
  wait_all_windows 1 2 3
  kill -TERM $(pgrep -f "sp-ingest kafka://$KAFKA/ev") 2> /dev/null || true
  for i in $BG_PIDS; do wait "$i" || true; done
  BG_PIDS=
  "${AGG[@]}" all.ndjson | jq -c . | sort > single.ndjson
  cat out1.ndjson out2.ndjson out3.ndjson | jq -c . | sort > union.ndjson
  diff single.ndjson union.ndjson || fail "the union of the three pipelines differs from one process"
}

@test "scale-out: partitions that come back to a member go on after what it handed out (its sp-agg still holds them): the aggregate stays exact" {
  start_kafka ev:6
  start_member 1 "${AGG[*]@Q}"
  wait_for 30 bash -c '(( $(partitions_of 1 | wc -l) == 6 ))' || fail "member 1 got no partitions: $(cat m1.err)"
  keyed_input 6000
  # A live stream (3000 records/s, sent every 10 ms): the partitions fill together, and sp-agg's
  # one watermark sees their records interleaved; --max-delay covers the skew between them.
  "$FEED" - 3000 3000 | sp-sink "kafka://$KAFKA/ev?key=service" --flush-interval 10ms 2>> producer.err
  # Member 1 has read the first half; the open windows of each service are held by its sp-agg,
  # so their records are not acknowledged.
  wait_for 30 bash -c "(( \$(jq -r 'select(.window_start == \"2026-11-24T00:00:23.000Z\") | .service' out1.ndjson 2> /dev/null | wc -l) == 3 ))" ||
    fail "member 1 did not read the first records: $(cat m1.err)"
  # Member 2 joins and takes partitions (the mock cluster revokes all of member 1's and gives
  # some back at once), acknowledges nothing (its filter drops everything), and leaves.
  bash -c "exec 2>> m2.err; sp-ingest 'kafka://$KAFKA/ev?group=s' ${FAST[*]} -v --ack m2.sock --ack-timeout 1s |
           sp-filter 'false' | sp-sink /dev/null --ack m2.sock" 3>&- &
  local member2=$!
  wait_for 30 bash -c '(( $(partitions_of 2 | wc -l) == 3 ))' || fail "member 2 got no partitions: $(cat m2.err)"
  pkill -TERM -f -- "--ack m2.sock --ack-timeout" || fail "member 2 not found"
  wait "$member2" || true
  wait_for 60 bash -c '(( $(partitions_of 1 | wc -l) == 6 ))' ||
    fail "the partitions did not come back: member 1: $(cat m1.err); member 2: $(cat m2.err)"
  grep -q 'revoked' m1.err || fail "member 1 never gave up a partition: $(cat m1.err)"
  # The rest of the records; then the end.
  "$FEED" - 6000 3000 | tail -n +3001 | sp-sink "kafka://$KAFKA/ev?key=service" --flush-interval 10ms 2>> producer.err
  tail -3 all.ndjson | sp-sink "kafka://$KAFKA/ev?key=service" 2>> producer.err
  wait_all_windows 1
  kill -TERM $(pgrep -f "sp-ingest kafka://$KAFKA/ev") 2> /dev/null || true
  for i in $BG_PIDS; do wait "$i" || true; done
  BG_PIDS=
  "${AGG[@]}" all.ndjson | jq -c . | sort > single.ndjson
  jq -c . out1.ndjson | sort > member1.ndjson
  diff single.ndjson member1.ndjson || fail "member 1 counted records twice or missed some: $(cat m1.err)"
}
