#!/usr/bin/env bats
# End-to-end acknowledgements: sp-ingest --ack adds "_sp" positions and commits only what
# sp-sink --ack reports durable; the middle stages carry the positions through.
# (Crash tests with Kafka and SIGKILL: tests/integration/ack.bats.)

load test_helper

# offset_in CHECKPOINT: the first file's committed offset.
offset_in() { jq -r '.files[0].offset' "$1"; }

@test "ack: records carry _sp positions; the sink strips them and the checkpoint holds what was acknowledged" {
  events in.ndjson 500
  size=$(stat -c %s in.ndjson)
  sp-ingest in.ndjson --checkpoint ck --ack a.sock | tee mid.ndjson | sp-sink out.ndjson --ack a.sock
  # Every record carries its end offset; the last one the file's size.
  run jq -r '._sp' mid.ndjson
  assert_line --index 0 --regexp '^f[0-9]+@[0-9]+$'
  assert_equal "$(tail -1 mid.ndjson | jq -r '._sp' | cut -d@ -f2)" "$size"
  # The destination gets the records as they were, without _sp.
  assert_equal "$(grep -c _sp out.ndjson)" 0
  cmp <(jq -c . in.ndjson) <(jq -c . out.ndjson)
  assert_equal "$(offset_in ck)" "$size"
  [[ ! -e a.sock ]] || fail "the socket file is still there"
}

@test "ack: --keep-meta writes _sp to the destination and still acknowledges" {
  events in.ndjson 50
  sp-ingest in.ndjson --checkpoint ck --ack a.sock | sp-sink out.ndjson --ack a.sock --keep-meta
  assert_equal "$(grep -c '"_sp":"f' out.ndjson)" 50
  assert_equal "$(offset_in ck)" "$(stat -c %s in.ndjson)"
}

@test "ack: without acknowledgements nothing is committed, and the next run reads everything again" {
  events in.ndjson 100
  run --separate-stderr bash -c 'sp-ingest in.ndjson --checkpoint ck --ack a.sock --ack-timeout 0.5s | sp-sink out.ndjson'
  assert_success
  [[ $stderr == *"no sink connected to acknowledge the last records; they are read again at the next start"* ]] ||
    fail "no warning: $stderr"
  assert_equal "$(offset_in ck)" 0
  sp-ingest in.ndjson --checkpoint ck --ack a.sock | sp-sink out2.ndjson --ack a.sock
  assert_equal "$(wc -l < out2.ndjson)" 100
  assert_equal "$(offset_in ck)" "$(stat -c %s in.ndjson)"
}

@test "ack: a sink killed with SIGKILL loses nothing: the restart reads from the last acknowledged position" {
  events in.ndjson 20000
  # A slow middle stage (a python passthrough) keeps records in flight when the sink is killed.
  printf '%s\n' 'import sys, time' 'for i, line in enumerate(sys.stdin):' '    sys.stdout.write(line)' \
    '    if i % 500 == 0:' '        sys.stdout.flush()' '        time.sleep(0.05)' > slow.py
  mkfifo p1 p2
  sp-ingest in.ndjson --checkpoint ck --ack a.sock --checkpoint-interval 0.1s > p1 2> ingest.err &
  ingest=$!
  python3 slow.py < p1 > p2 &
  slow=$!
  sp-sink out.ndjson --ack a.sock --batch-size 1000 < p2 2> sink.err &
  sink=$!
  # Killed once acknowledgements have been committed (the file sink makes records durable,
  # and acknowledges them, once a second).
  for _ in $(seq 200); do [[ -s ck ]] && (($(offset_in ck) > 0)) && break; sleep 0.02; done
  kill -KILL "$sink"
  wait "$slow" || true
  wait "$ingest" || true
  committed=$(offset_in ck)
  ((committed > 0)) || fail "nothing was committed before the kill"
  ((committed < $(stat -c %s in.ndjson))) || fail "everything was committed, though the sink was killed"
  # The restart finishes the file; together, every record is there at least once.
  sp-ingest in.ndjson --checkpoint ck --ack a.sock | sp-sink out.ndjson --ack a.sock
  assert_equal "$(jq -r .user_id in.ndjson | sort | uniq | wc -l)" "$(jq -r .user_id out.ndjson | sort | uniq | wc -l)"
  missing=$(comm -23 <(jq -c . in.ndjson | sort -u) <(jq -c . out.ndjson | sort -u) | wc -l)
  assert_equal "$missing" 0
  # Duplicates: at most what was written after the last acknowledged position.
  dups=$(($(wc -l < out.ndjson) - 20000))
  inflight=$(tail -c +$((committed + 1)) in.ndjson | wc -l)
  ((dups <= inflight)) || fail "$dups duplicates, more than the $inflight records after the committed position"
}

@test "ack: sp-validate and sp-filter carry _sp through; a schema that forbids extra properties does not see it" {
  printf '{"a":1}\n{"a":"x"}\n{"a":3}\n' > in.ndjson
  echo '{"type":"object","additionalProperties":false,"properties":{"a":{"type":"integer"}}}' > s.json
  sp-ingest in.ndjson --checkpoint ck --ack a.sock | sp-validate --schema s.json --dead-letter bad.ndjson |
    tee valid.ndjson | sp-filter true --select 'a * 10 as b' | tee selected.ndjson | sp-sink out.ndjson --ack a.sock
  run jq -c . valid.ndjson
  assert_line --index 0 '{"a":1,"_sp":"f2@8"}'
  assert_line --index 1 '{"a":3,"_sp":"f2@26"}'
  run jq -c . selected.ndjson
  assert_line --index 0 '{"b":10,"_sp":"f2@8"}'
  assert_equal "$(cat out.ndjson)" $'{"b":10}\n{"b":30}'
  assert_equal "$(jq -r .raw bad.ndjson)" '{"a":"x","_sp":"f2@18"}'
  assert_equal "$(offset_in ck)" 26
}

@test "ack: sp-agg forwards the oldest position its open windows need; the end commits everything" {
  events in.ndjson 30000
  sp-ingest in.ndjson --checkpoint ck --ack a.sock |
    sp-agg --window tumbling:10s --max-delay 1m --time ts --group-by service --agg 'count(*) as n' |
    tee agg.ndjson | sp-sink out.ndjson --ack a.sock
  # Positions go with the last result of each emission, and only move forward.
  run bash -c "jq -r 'select(._sp) | ._sp[0]' agg.ndjson | cut -d@ -f2"
  ((${#lines[@]} >= 5)) || fail "only ${#lines[@]} results carried positions"
  sort -n -c <<< "$output"
  # A position covers only windows already emitted: the records before it are all in
  # windows that ended before the result carrying it.
  first=$(jq -r 'select(._sp) | ._sp[0]' agg.ndjson | head -1 | cut -d@ -f2)
  end=$(jq -r 'select(._sp) | .window_end' agg.ndjson | head -1)
  last_ts=$(head -c "$first" in.ndjson | tail -1 | jq -r .ts)
  [[ $last_ts < $end ]] || fail "position $first covers a record at $last_ts, in a window after $end"
  assert_equal "$(jq -s 'map(.n) | add' out.ndjson)" 30000
  assert_equal "$(offset_in ck)" "$(stat -c %s in.ndjson)"
}

@test "ack: bad uses are usage errors (exit 2); a socket in use is exit 1" {
  events in.ndjson 10
  run -2 sp-ingest - --ack a.sock < in.ndjson
  assert_output --partial "--ack needs sources that can be read again"
  run -2 sp-ingest in.ndjson --ack a.sock
  assert_output --partial "--ack with files needs --checkpoint FILE"
  long=$(printf 'x%.0s' $(seq 120))
  run -2 sp-ingest in.ndjson --checkpoint ck --ack "$long"
  assert_output --partial "a socket path must be 1 to"
  run -2 sp-sink out.ndjson --ack "$long" < in.ndjson
  assert_output --partial "a socket path must be 1 to"
  # A live listener keeps its socket; a second sp-ingest on it fails.
  sp-ingest in.ndjson --checkpoint ck --ack a.sock --ack-timeout 20s > /dev/null 2>&1 &
  first=$!
  for _ in $(seq 100); do [[ -S a.sock ]] && break; sleep 0.05; done
  run -1 sp-ingest in.ndjson --checkpoint ck2 --ack a.sock
  assert_output --partial "another process is listening on this socket"
  # Killed, it leaves its socket file behind; the next sp-ingest replaces it.
  kill -KILL "$first"
  wait "$first" || true
  [[ -S a.sock ]] || fail "the killed process left no socket file"
  sp-ingest in.ndjson --checkpoint ck3 --ack a.sock | sp-sink out.ndjson --ack a.sock
  assert_equal "$(offset_in ck3)" "$(stat -c %s in.ndjson)"
}
