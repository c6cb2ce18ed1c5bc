#!/usr/bin/env bats
# Limits (issue 13): hostile input gets a clear error or a bounded, reported behaviour, never
# exhaustion or a crash. Nesting depth and line size for every stage that parses; open groups,
# keys and anomaly state at their limits; request bodies and connections of http-listen://;
# listeners on loopback unless told otherwise. Memory is checked with the peak RSS the kernel
# reports for the finished process.

load test_helper

teardown() {
  [[ -n ${PID:-} ]] && kill "$PID" 2>/dev/null || true
  [[ -n ${HOLD_PID:-} ]] && kill "$HOLD_PID" 2>/dev/null || true
  return 0
}

# peak_rss CMD...: runs CMD and writes its peak resident set in KiB to the file rss; the exit
# status is CMD's.
peak_rss() {
  python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
open("rss", "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
}

# rss_under KIB: the last peak_rss stayed under KIB (four times that under ASan, whose shadow
# memory and quarantine come on top).
rss_under() {
  local bound=$1 rss
  rss=$(cat rss)
  [[ ${SP_SANITIZE:-0} == 1 ]] && bound=$((bound * 4))
  ((rss < bound)) || fail "${2:-}: peak RSS $rss KiB, bound $bound KiB"
}

# deep_records FILE: '[' x 1e6, '{"a":' x 1e6 (both unclosed), a closed array and a closed
# object 100000 deep inside a record, then one good record.
deep_records() {
  python3 - "$1" <<'PY'
import sys
n = 100000
with open(sys.argv[1], "w") as f:
    f.write("[" * 1000000 + "\n")
    f.write('{"a":' * 1000000 + "\n")
    f.write('{"ts":"2026-11-24T00:00:00Z","k":"x","v":1,"d":' + "[" * n + "]" * n + "}\n")
    f.write('{"ts":"2026-11-24T00:00:00Z","k":"x","v":1,"o":' + '{"a":' * n + "1" + "}" * n + "}\n")
    f.write('{"ts":"2026-11-24T00:00:00Z","k":"x","v":1,"ok":true}\n')
PY
}

# Every stage that parses records, as a command that reads FILE arguments.
stage_commands() {
  cat <<'EOF'
sp-validate
sp-ingest
sp-filter v=1
sp-enrich --set w=v+1
sp-agg -W tumbling:1m -t ts -g k -a count
sp-match -k k -t ts --within 1m -d A:v=1 -p A
sp-learn --task regression --target v --features k
sp-predict --anomaly v --by k
sp-sink out.ndjson
EOF
}

@test "limits: every stage dead-letters records nested deeper than 1024 levels, and goes on" {
  deep_records deep.ndjson
  local cmd
  while read -r cmd; do
    rm -f dl.ndjson out.ndjson
    # shellcheck disable=SC2086
    run -0 --separate-stderr $cmd --dead-letter dl.ndjson deep.ndjson
    [[ $(wc -l < dl.ndjson) == 4 ]] || fail "$cmd: $(wc -l < dl.ndjson) dead letters, expected 4: $stderr"
    local errors
    errors=$(jq -r .error dl.ndjson | sed 's/ (byte [0-9]*)$//' | sort | uniq -c | awk '{$1=$1; print}')
    [[ $errors == "4 nesting deeper than 1024 levels" ]] || fail "$cmd: $errors"
    [[ $(jq -r .line dl.ndjson | tr '\n' ' ') == "1 2 3 4 " ]] || fail "$cmd: lines $(jq -r .line dl.ndjson)"
    [[ $stderr == *"4 records rejected, written to dl.ndjson"* ]] || fail "$cmd: $stderr"
  done < <(stage_commands)
  # the good record went through (sp-filter and sp-validate as examples)
  run -0 --separate-stderr sp-filter 'ok' deep.ndjson
  assert_output '{"ts":"2026-11-24T00:00:00Z","k":"x","v":1,"ok":true}'
  # sp-serve checks every line in full before keeping it
  run -0 --separate-stderr sp-serve --listen 127.0.0.1:0 --exit-at-eof --dead-letter dl2.ndjson deep.ndjson
  [[ $(jq -r .error dl2.ndjson | grep -c 'nesting deeper than 1024 levels') == 4 ]] || fail "$(cat dl2.ndjson | cut -c1-200)"
}

@test "limits: a byte offset says where the depth ran out; brackets in strings do not count" {
  python3 -c 'print("{\"s\":\"" + "[" * 5000 + "\",\"d\":" + "[" * 1025 + "]" * 1025 + "}")' > quoted.ndjson
  run -0 --separate-stderr sp-filter 'true' --select s --dead-letter dl.ndjson quoted.ndjson
  [[ $(jq -r .error dl.ndjson) == "nesting deeper than 1024 levels (byte 6036)" ]] || fail "$(jq -r .error dl.ndjson)"
  python3 -c 'print("{\"s\":\"" + "[" * 5000 + "\",\"d\":" + "[" * 1023 + "]" * 1023 + "}")' > ok.ndjson
  run -0 sp-filter 'true' --select s ok.ndjson
  [[ ${#output} == 5008 ]] || fail "expected the record, got ${#output} bytes"
}

@test "limits: a 200 MB line without a newline is rejected with its size, in bounded memory" {
  python3 - <<'PY'
with open("huge.ndjson", "wb") as f:
    f.write(b'{"ts":"2026-11-24T00:00:00Z","k":"x","v":1}\n{"a":"')
    block = b"x" * (1 << 20)
    for _ in range(200):
        f.write(block)
PY
  local cmd
  while read -r cmd; do
    rm -f dl.ndjson out.ndjson
    # shellcheck disable=SC2086
    run -0 --separate-stderr peak_rss $cmd --max-line-bytes 4M --dead-letter dl.ndjson huge.ndjson
    [[ $(jq -r .error dl.ndjson) == "line is 209715206 bytes, longer than --max-line-bytes (4194304)" ]] ||
      fail "$cmd: $(jq -r .error dl.ndjson)"
    [[ $(jq -r '"\(.line) \(.raw_truncated) \(.raw_bytes)"' dl.ndjson) == "2 true 209715206" ]] || fail "$cmd: $(cut -c1-300 dl.ndjson)"
    # the line is not held: a few times the limit, not 200 MB
    rss_under 60000 "$cmd"
  done < <(stage_commands)
  # the default limit (64M): the same rejection, memory bounded by the limit, not the line
  run -0 --separate-stderr peak_rss sp-validate huge.ndjson
  assert_output '{"ts":"2026-11-24T00:00:00Z","k":"x","v":1}'
  [[ $stderr == *"line 2: line is 209715206 bytes, longer than --max-line-bytes (67108864)"* ]] || fail "$stderr"
  rss_under 180000 sp-validate
}

@test "limits: sp-ingest --follow skips an overlong line as it grows and reads the lines after it" {
  printf '{"n":1}\n' > app.log
  sp-ingest app.log --follow --max-line-bytes 64K --dead-letter dl.ndjson > out.ndjson 2> err.txt &
  PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -s out.ndjson ]] && break; sleep 0.05; done
  python3 -c '
import time
with open("app.log", "a") as f:
    for _ in range(20):
        f.write("y" * 100000); f.flush(); time.sleep(0.01)
    f.write("\n{\"n\":2}\n")'
  for ((i = 0; i < 100; i++)); do [[ $(wc -l < out.ndjson) == 2 ]] && break; sleep 0.05; done
  kill -TERM $PID
  wait $PID
  run cat out.ndjson
  assert_output $'{"n":1}\n{"n":2}'
  [[ $(jq -r .error dl.ndjson) == "line is 2000000 bytes, longer than --max-line-bytes (65536)" ]] || fail "$(cat dl.ndjson)"
}

@test "limits: sp-agg --max-groups (default 1000000) emits the least recently updated early, counted" {
  run -0 sp-agg --help
  assert_output --partial '--max-groups N=1000000 (0: no limit)'
  python3 -c '
for i in range(20000): print("{\"ts\":\"2026-11-24T00:00:%02dZ\",\"k\":\"key%d\"}" % (i % 60, i % 5000))' > keys.ndjson
  run -0 --separate-stderr peak_rss sp-agg -W tumbling:1h -t ts -g k -a count --max-groups 100 --stats keys.ndjson
  [[ $stderr == *"more than 100 open groups (--max-groups): emitting the least recently updated early, as partial results"* ]] ||
    fail "$stderr"
  [[ $(grep -c '"program":"sp-agg"' <<< "$stderr") == 1 ]]
  local stats
  stats=$(grep '"program":"sp-agg"' <<< "$stderr")
  [[ $(jq .open_groups_peak <<< "$stats") == 100 ]] || fail "$stats"
  (($(jq .evicted <<< "$stats") > 0)) || fail "$stats"
  # nothing lost: the partial results add up to every record
  [[ $(jq -s 'map(.count) | add' <<< "$output") == 20000 ]]
  rss_under 60000 sp-agg
}

@test "limits: sp-match --max-keys (default 1000000) decides the least recently active key early" {
  run -0 sp-match --help
  assert_output --partial '--max-keys N=1000000 (0: no limit)'
  python3 -c '
for i in range(5000): print("{\"ts\":%d,\"k\":\"key%d\",\"v\":1}" % (1795000000 + i, i))' > keys.ndjson
  run -0 --separate-stderr sp-match -k k -t ts --within 10h -d 'A: v = 1' -d 'B: v = 2' -p 'A B' --max-keys 50 --stats keys.ndjson
  [[ $stderr == *"more than 50 keys with open matches (--max-keys): deciding the least recently active early"* ]] || fail "$stderr"
  local stats
  stats=$(grep '"program":"sp-match"' <<< "$stderr")
  [[ $(jq .evicted_keys <<< "$stats") == 4950 ]] || fail "$stats"
  (($(jq .open_keys_peak <<< "$stats") <= 51)) || fail "$stats"
}

@test "limits: sp-predict keeps anomaly state for --max-keys keys (hst: 2000 by default); the rest are counted" {
  python3 -c '
for i in range(3000): print("{\"k\":\"key%d\",\"v\":%d}" % (i, i))' > keys.ndjson
  run -0 --separate-stderr peak_rss sp-predict --anomaly v --by k --method hst keys.ndjson
  [[ $stderr == *"1000 records not scored for anomalies: more than --max-keys (2000) keys"* ]] || fail "$stderr"
  [[ $(grep -c '"anomaly_score":null' <<< "$output") == 1000 ]]
  rss_under 250000 "sp-predict --method hst"
  run -0 --separate-stderr sp-predict --anomaly v --by k --max-keys 10 keys.ndjson
  [[ $stderr == *"2990 records not scored for anomalies: more than --max-keys (10) keys"* ]] || fail "$stderr"
}

# listen ARGS...: sp-ingest http-listen://127.0.0.1:0/ingest ARGS in the background; sets URL, PORT, PID.
listen() {
  sp-ingest "${LISTEN_URI:-http-listen://127.0.0.1:0/ingest}" "$@" > out.ndjson 2> err.txt &
  PID=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q listening err.txt 2>/dev/null && break; sleep 0.05; done
  URL=$(grep -o 'http://[^ ]*' err.txt) || fail "sp-ingest did not listen: $(cat err.txt)"
  PORT=${URL##*:}
  PORT=${PORT%%/*}
}

@test "limits: http-listen answers 413 over --max-body-bytes, with a length or chunked" {
  listen --max-body-bytes 64K
  python3 -c 'print("\n".join("{\"n\":%d,\"pad\":\"%s\"}" % (i, "x" * 100) for i in range(1000)))' > big.ndjson
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary @big.ndjson "$URL"
  assert_output $'{"error":"request body too large (--max-body-bytes)"}\n 413'
  run -0 curl -s -w ' %{http_code}' -X POST -H 'Transfer-Encoding: chunked' --data-binary @big.ndjson "$URL"
  assert_output --partial ' 413'
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary '{"n":1}' "$URL"
  assert_output $'{"accepted":1}\n 200'
  kill -TERM $PID
  wait $PID
  run cat out.ndjson
  assert_output '{"n":1}'
}

@test "limits: http-listen holds at most --max-connections; more are answered 503, descriptors stay bounded" {
  listen --max-connections 2
  # two idle connections hold both places
  python3 - "$PORT" > hold.log <<'PY' &
import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
print("held", flush=True)
time.sleep(30)
PY
  HOLD_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q held hold.log && break; sleep 0.05; done
  sleep 0.2
  run -0 curl -s -D headers.txt -w ' %{http_code}' -X POST --data-binary '{"n":1}' "$URL"
  assert_output $'{"error":"too many connections (--max-connections 2): try again later"}\n 503'
  grep -qi '^Retry-After: 1' headers.txt
  kill $HOLD_PID
  wait $HOLD_PID 2>/dev/null || true
  HOLD_PID=
  # the places are free again
  for ((i = 0; i < 50; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '{"n":2}' "$URL") == 200 ]] && break
    sleep 0.1
  done
  ((i < 50)) || fail "no 200 after the idle connections left"
  # 300 connections at once: sp-ingest keeps a bounded number of descriptors and stays alive
  local before
  before=$(ls /proc/$PID/fd | wc -l)
  python3 - "$PORT" "$PID" > flood.log <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(300):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
time.sleep(1.5)
print(len(os.listdir("/proc/%s/fd" % pid)))
for s in socks:
    s.close()
PY
  local during
  during=$(cat flood.log)
  ((during <= before + 2 + 16 + 3)) || fail "descriptors: $before before, $during during the flood"
  kill -0 $PID
  for ((i = 0; i < 100; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '{"n":3}' "$URL") == 200 ]] && break
    sleep 0.1
  done
  ((i < 100)) || fail "no 200 after the flood"
  kill -TERM $PID
  wait $PID
  grep -q 'more than 2 connections at once (--max-connections): answering the others 503' err.txt
  grep -Eq '[0-9]+ connections refused with 503 \(--max-connections 2\)' err.txt
  run cat out.ndjson
  assert_output $'{"n":2}\n{"n":3}'
}

@test "limits: listeners bind to loopback unless told otherwise" {
  # sp-ingest http-listen:// without an address: 127.0.0.1
  LISTEN_URI=http-listen://:0/ingest listen
  [[ $URL == http://127.0.0.1:*/ingest ]] || fail "$URL"
  run -0 ss -ltnH "sport = :$PORT"
  assert_output --regexp "127\.0\.0\.1:$PORT "
  refute_output --partial "0.0.0.0:$PORT"
  kill -TERM $PID
  wait $PID
  PID=
  # sp-serve with its default --listen, in a network namespace of its own (port 8080 is free there)
  printf '{"k":"a"}\n' > one.ndjson
  run -0 unshare -n bash -c '
    ip link set lo up || exit 1
    sp-serve --key k one.ndjson 2> serve.err &
    pid=$!
    for ((i = 0; i < 100; i++)); do grep -qs "listening on" serve.err && break; sleep 0.05; done
    ss -ltnH "sport = :8080"
    for ((i = 0; i < 100; i++)); do curl -sf http://127.0.0.1:8080/api/latest/a && break; sleep 0.05; done
    kill $pid'
  assert_line --index 0 --regexp '127\.0\.0\.1:8080 '
  assert_line --index 1 '{"k":"a"}'
  refute_output --partial '0.0.0.0:8080'
}
