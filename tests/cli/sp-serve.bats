#!/usr/bin/env bats
# sp-serve: every route with curl, status codes, the bearer token, CORS, bad parameters (400
# with the reason), a Server-Sent Events client, and bad input on stdin.

load test_helper

# serve ARGS...: sp-serve on a free port in the background; sets URL and PID. Input: the
# file arguments, or whatever is redirected by the caller through SERVE_STDIN (default: none).
serve() {
  rm -f serve.err  # else the wait below may see the previous server's line
  sp-serve --listen 127.0.0.1:0 "$@" < "${SERVE_STDIN:-/dev/null}" > serve.out 2> serve.err &
  PID=$!
  local i
  for ((i = 0; i < 200; i++)); do grep -q 'listening on' serve.err 2>/dev/null && break; sleep 0.05; done
  URL=$(grep -o 'http://[^ ]*[0-9]' serve.err) || fail "sp-serve did not start: $(cat serve.err)"
}

# until_input_read: waits until sp-serve has read all of its (finite) input.
until_input_read() {
  local i
  for ((i = 0; i < 200; i++)); do
    curl -sf "$URL/healthz" | grep -q '"input":"ended"' && return 0
    sleep 0.05
  done
  fail "the input was not read: $(cat serve.err)"
}

# get PATH [curl options...]: sets status and body (body.txt).
get() {
  local path=$1
  shift
  status=$(curl -s -o body.txt -w '%{http_code}' "$@" "$URL$path")
  body=$(cat body.txt)
}

teardown() {
  [[ -n ${CURL_PID:-} ]] && kill "$CURL_PID" 2>/dev/null || true
  if [[ -n ${PID:-} ]]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
}

@test "latest per key, latest of one key, recent with limit, since/until and where" {
  events events.ndjson 200
  serve --key service --time ts events.ndjson
  until_input_read

  get /api/latest
  [[ $status == 200 ]]
  # one member per service, each the last record of that service, byte for byte
  diff <(jq -r 'keys[]' body.txt) <(jq -r .service events.ndjson | sort -u)
  for s in $(jq -r .service events.ndjson | sort -u); do
    [[ $(jq -c --arg s "$s" '.[$s]' body.txt) == "$(grep "\"service\":\"$s\"" events.ndjson | tail -1 | jq -c .)" ]]
  done
  get /api/latest/web
  [[ $status == 200 ]]
  [[ $body == "$(grep '"service":"web"' events.ndjson | tail -1)" ]]
  get /api/latest/nosuchkey
  [[ $status == 404 ]]
  [[ $body == *"no record with the key 'nosuchkey'"* ]]

  get '/api/recent?limit=5'
  [[ $status == 200 ]]
  diff <(jq -c '.[]' body.txt) <(tail -5 events.ndjson | jq -c .)
  get /api/recent
  [[ $(jq length body.txt) == 200 ]]
  get '/api/recent?where=status%20%3E%3D%20500'
  [[ $(jq length body.txt) == $(jq -c 'select(.status >= 500)' events.ndjson | wc -l) ]]
  [[ $(jq '[.[] | select(.status < 500)] | length' body.txt) == 0 ]]
  local since until
  since=$(sed -n 10p events.ndjson | jq -r .ts)
  until=$(sed -n 20p events.ndjson | jq -r .ts)
  get "/api/recent?since=$since&until=$until"
  [[ $(jq -c '.[]' body.txt) == "$(jq -c --arg a "$since" --arg b "$until" 'select(.ts >= $a and .ts < $b)' events.ndjson)" ]]
  # a duration is that long before the newest record
  get '/api/recent?since=0s'
  [[ $(jq -c '.[]' body.txt) == "$(jq -c --arg t "$(tail -1 events.ndjson | jq -r .ts)" 'select(.ts >= $t)' events.ndjson)" ]]
}

@test "bad parameters are 400 with the reason; unknown paths 404" {
  events events.ndjson 20
  serve --key service events.ndjson
  until_input_read
  get '/api/recent?limit=many'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "limit: expected a positive whole number, got 'many'" ]]
  get '/api/recent?limit=0'
  [[ $status == 400 ]]
  get '/api/recent?since=yesterday'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "since: expected an RFC 3339 time"* ]]
  get '/api/recent?until=2026-13-45'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "until: "* ]]
  get '/api/recent?where=status%20%3E%3E%205'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "where: "* ]]
  get '/api/recent?where=%22text%22'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == *"must be a condition"* ]]
  get '/api/stream?where=nosuchfn(x)'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "where: "* ]]
  get /no/such/path
  [[ $status == 404 ]]
  [[ $(jq -r .error body.txt) == "no such path" ]]
}

@test "healthz, metrics with rate, gauges per key and event-time lag, and the dashboard page" {
  events events.ndjson 100
  serve --key service --time ts --gauge latency_ms --gauge status events.ndjson
  until_input_read
  get /healthz
  [[ $status == 200 ]]
  [[ $(jq -c '[.status, .input, .records_in, .retained]' body.txt) == '["ok","ended",100,100]' ]]

  get /metrics
  [[ $status == 200 ]]
  assert_equal "$(grep '^sp_serve_records_in_total ' body.txt)" "sp_serve_records_in_total 100"
  assert_equal "$(grep '^sp_serve_bytes_in_total ' body.txt)" "sp_serve_bytes_in_total $(stat -c %s events.ndjson)"
  grep -q '^# TYPE sp_serve_records_per_second gauge$' body.txt
  grep -q '^sp_serve_event_lag_seconds [0-9.e+]*$' body.txt
  local web
  web=$(grep '"service":"web"' events.ndjson | tail -1)
  grep -qx "sp_serve_gauge{field=\"latency_ms\",key=\"web\"} $(jq .latency_ms <<<"$web")" body.txt
  grep -qx "sp_serve_gauge{field=\"status\",key=\"web\"} $(jq .status <<<"$web")" body.txt
  grep -q '^sp_serve_key_lag_seconds{key="web"} ' body.txt
  # every sample line is NAME{labels} VALUE
  run -1 grep -vE '^(# (HELP|TYPE) .*|[a-z_]+(\{[^}]*\})? [-+0-9.eInfNa]+)$' body.txt
  assert_output ""

  local ctype
  ctype=$(curl -s -o page.html -w '%{content_type}' "$URL/")
  [[ $ctype == text/html* ]]
  grep -q 'uPlot' page.html
  grep -q 'window.SP_CONFIG = {"key":"service","time":"ts"' page.html
  ! grep -q '/\*SP_' page.html
  # one page, no other requests: nothing is loaded from elsewhere
  run -1 bash -c "grep -oE '<(script|link)[^>]* (src|href)=\"[^\"]*' page.html | grep -v '=\"data:'"
}

@test "--auth-token-file: 401 without the bearer token on every route, 200 with it" {
  events events.ndjson 10
  echo 's3cret-token' > token.txt
  serve --key service --auth-token-file token.txt events.ndjson
  for path in / /api/latest /api/latest/web /api/recent /api/stream /api/query /healthz /metrics; do
    get "$path"
    [[ $status == 401 ]] || fail "$path without a token: $status"
    [[ $(jq -r .error body.txt) == "missing or wrong bearer token" ]]
    get "$path" -H 'Authorization: Bearer wrong'
    [[ $status == 401 ]] || fail "$path with a wrong token: $status"
  done
  get /healthz -H 'Authorization: Bearer s3cret-token'
  [[ $status == 200 ]]
  get '/api/latest?access_token=s3cret-token'
  [[ $status == 200 ]]
  get '/?access_token=s3cret-token'
  [[ $status == 200 ]]
  run -2 sp-serve --auth-token-file nonexistent.txt
  assert_output --partial "--auth-token-file: cannot read nonexistent.txt"
  : > empty.txt
  run -2 sp-serve --auth-token-file empty.txt
  assert_output --partial "is empty"
}

@test "CORS headers only with --cors; preflight answered" {
  events events.ndjson 10
  serve events.ndjson
  run -0 curl -s -D - -o /dev/null -H 'Origin: http://elsewhere.test' "$URL/api/latest"
  refute_output --partial "Access-Control-Allow-Origin"
  kill "$PID"
  wait "$PID" || true
  serve --cors http://elsewhere.test events.ndjson
  run -0 curl -s -D - -o /dev/null -H 'Origin: http://elsewhere.test' "$URL/api/latest"
  assert_output --partial "Access-Control-Allow-Origin: http://elsewhere.test"
  run -0 curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: http://elsewhere.test' \
    -H 'Access-Control-Request-Method: GET' "$URL/api/recent"
  assert_line --partial "204"
  assert_output --partial "Access-Control-Allow-Headers: Authorization"
}

@test "SSE: a curl client receives the records read after it connected, filtered by where" {
  events events.ndjson 300
  mkfifo in.fifo
  local fd
  exec {fd}<> in.fifo  # held open: sp-serve's input stays open
  SERVE_STDIN=in.fifo serve --key service
  curl -sN "$URL/api/stream?where=status%20%3E%3D%20400" > stream.txt &
  CURL_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q connected stream.txt 2>/dev/null && break; sleep 0.05; done
  cat events.ndjson >&"$fd"
  local want
  want=$(jq -c 'select(.status >= 400)' events.ndjson | wc -l)
  for ((i = 0; i < 200; i++)); do
    (($(grep -c '^data: ' stream.txt) >= want)) && break
    sleep 0.05
  done
  # each event is one record, byte for byte, with its sequence number as the id
  diff <(sed -n 's/^data: //p' stream.txt) <(grep -nE '"status":(4|5)[0-9][0-9]' events.ndjson | cut -d: -f2-)
  diff <(sed -n 's/^id: //p' stream.txt) <(grep -nE '"status":(4|5)[0-9][0-9]' events.ndjson | cut -d: -f1)
  get /metrics
  grep -qx 'sp_serve_sse_clients 1' body.txt
  exec {fd}>&-
}

@test "bad input: malformed JSON, non-UTF-8 and overlong lines are rejected, never served" {
  "$GEN_EVENTS" --lines 200 --bad-rate 0.2 --seed 3 > mixed.ndjson
  printf '{"service":"bin","v":"\xff\xfe"}\n' >> mixed.ndjson
  printf '{"service":"big","pad":"%s"}\n' "$(head -c 5000 /dev/zero | tr '\0' x)" >> mixed.ndjson
  echo '{"service":"last","ok":true}' >> mixed.ndjson
  run -0 sp-serve --listen 127.0.0.1:0 --key service --exit-at-eof --max-line-bytes 4K \
    --dead-letter dead.ndjson --stats mixed.ndjson
  local rejected
  rejected=$(wc -l < dead.ndjson)
  ((rejected >= 3))
  grep -q '"error":"not JSON' dead.ndjson
  grep -q 'raw_base64' dead.ndjson
  grep -q 'longer than --max-line-bytes' dead.ndjson
  assert_output --partial "\"rejected\":$rejected"
  local kept
  kept=$(grep -o '"records_out":[0-9]*' <<<"$output" | cut -d: -f2)
  run -3 sp-serve --listen 127.0.0.1:0 --exit-at-eof --strict -q mixed.ndjson
  # the good records are served, the bad are not
  SERVE_STDIN=mixed.ndjson serve --key service --max-line-bytes 4K
  until_input_read
  get /api/latest/last
  [[ $status == 200 ]]
  get /api/latest/bin
  [[ $status == 404 ]]
  get /api/recent?limit=100000
  jq -e . body.txt > /dev/null
  [[ $(jq length body.txt) == "$kept" ]]
  ((kept + rejected >= 200))
}

@test "usage errors exit 2, a port in use exits 1, SIGTERM exits 0" {
  run -2 sp-serve --listen nowhere
  assert_output --partial "--listen: expected ADDRESS:PORT"
  run -2 sp-serve --listen 127.0.0.1:99999
  assert_output --partial "--listen: bad port"
  run -2 sp-serve --retain soon
  assert_output --partial "--retain"
  run -2 sp-serve --max-records 0
  run -2 sp-serve --key 'a..b'
  assert_output --partial "--key"
  events events.ndjson 10
  serve events.ndjson
  local port=${URL##*:}
  run -1 sp-serve --listen "127.0.0.1:$port" --exit-at-eof events.ndjson
  assert_output --partial "cannot listen"
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=
  [[ $rc == 0 ]] || fail "SIGTERM: exit status $rc"
}

@test "--retain and --max-records bound the recent records; latest stays" {
  # 600 events over about 3 s of event time
  events events.ndjson 600
  serve --key service --time ts --max-records 50 events.ndjson
  until_input_read
  get /api/recent?limit=100000
  [[ $(jq length body.txt) == 50 ]]
  kill "$PID"
  wait "$PID" || true
  serve --key service --time ts --retain 500ms events.ndjson
  until_input_read
  get /api/recent?limit=100000
  local newest oldest
  newest=$(tail -1 events.ndjson | jq -r .ts)
  oldest=$(jq -r '.[0].ts' body.txt)
  [[ $(jq length body.txt) -lt 600 ]]
  [[ $(jq -n --arg a "$oldest" --arg b "$newest" '($b | sub("\\.[0-9]+Z$"; "Z") | fromdate) - ($a | sub("\\.[0-9]+Z$"; "Z") | fromdate)') -le 1 ]]
  get /api/latest
  [[ $(jq length body.txt) == $(jq -r .service events.ndjson | sort -u | wc -l) ]]
}

@test "where= that can never be a condition is 400 with what it gives; a bare field matches where true" {
  printf '%s\n' '{"service":"a","ok":true,"n":1}' '{"service":"b","ok":1,"n":2}' '{"service":"c","ok":"yes","n":3}' > in.ndjson
  serve --key service in.ndjson
  until_input_read
  get '/api/recent?where=n%20*%202'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "where: the filter must be a condition (true or false), but this gives a number or a duration" ]]
  get '/api/stream?where=n%20%2B%201'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == *"but this gives a number, a time or a duration" ]]
  get "/api/recent?where=if(n%20%3E%201,%20'big',%20'small')"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == *"but this gives a string" ]]
  # known only per record: matches where the value is the boolean true
  get '/api/recent?where=ok'
  [[ $status == 200 ]]
  [[ $(jq -c '[.[].service]' body.txt) == '["a"]' ]]
}

# query SQL [curl options...]: GET /api/query?sql=SQL; sets status and body (body.txt).
query() {
  local sql=$1
  shift
  status=$(curl -s -o body.txt -w '%{http_code}' -G --data-urlencode "sql=$sql" "$@" "$URL/api/query")
  body=$(cat body.txt)
}

@test "--sqlite: /api/query answers read-only SQL over sp-sink's table, typed rows, limits, errors" {
  events events.ndjson 300
  sp-sink 'sqlite://ev.db?table=events' < events.ndjson
  sqlite3 ev.db "CREATE TABLE secrets (token TEXT); INSERT INTO secrets VALUES ('hunter2')"
  echo 'tok-123' > token.txt
  serve --sqlite 'ev.db?table=events' --auth-token-file token.txt
  local auth=(-H 'Authorization: Bearer tok-123')
  query 'SELECT count(*) AS n FROM events'
  [[ $status == 401 ]]
  query 'SELECT count(*) AS n, sum(status >= 500) AS errors FROM events' "${auth[@]}"
  [[ $status == 200 ]]
  [[ $body == "[{\"n\":300,\"errors\":$(jq -s 'map(select(.status >= 500)) | length' events.ndjson)}]" ]]
  # typed values: integers and reals as numbers, text as strings, null, blobs as base64
  query "SELECT status, latency_ms, service, NULL AS none, x'00ff10' AS blob FROM events LIMIT 1" "${auth[@]}"
  [[ $(jq -c '.[0] | [(.status | type), (.latency_ms | type), (.service | type), .none, .blob]' body.txt) == \
    "[\"number\",\"number\",\"string\",null,\"AP8Q\"]" ]]
  [[ $(jq '.[0].latency_ms' body.txt) == "$(head -1 events.ndjson | jq .latency_ms)" ]]
  # without sql: the newest rows, oldest first
  status=$(curl -s -o body.txt -w '%{http_code}' "${auth[@]}" "$URL/api/query?limit=3")
  [[ $status == 200 ]]
  diff <(jq -r '.[].ts' body.txt) <(tail -3 events.ndjson | jq -r .ts)
  # limit: the header says when rows were left out
  run -0 curl -s -D - -o rows.json "${auth[@]}" -G --data-urlencode 'sql=SELECT ts FROM events' \
    --data-urlencode limit=7 "$URL/api/query"
  assert_output --partial 'X-Rows-Truncated: true'
  [[ $(jq length rows.json) == 7 ]]
  query 'SELECT ts FROM events' "${auth[@]}" --data-urlencode limit=100001
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "limit: at most 100000 rows (max_rows= of --sqlite), got 100001" ]]
  query 'SELECT ts FROM events' "${auth[@]}" --data-urlencode limit=none
  [[ $status == 400 ]]
  # refused: other tables, writes, pragmas, attach, two statements; SQL errors with SQLite's reason
  query 'SELECT * FROM secrets' "${auth[@]}"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "sql: only the table 'events' can be read, not 'secrets'" ]]
  query 'DELETE FROM events' "${auth[@]}"
  [[ $status == 400 ]]
  query 'PRAGMA journal_mode=DELETE' "${auth[@]}"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "sql: PRAGMA is not allowed: only SELECT" ]]
  query "ATTACH 'x.db' AS x" "${auth[@]}"
  [[ $status == 400 ]]
  query 'SELECT 1; DROP TABLE events' "${auth[@]}"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "sql: only one SQL statement is allowed" ]]
  query 'SELECT nosuch FROM events' "${auth[@]}"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "sql: no such column: nosuch" ]]
  query 'SELECT FROM' "${auth[@]}"
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == 'sql: near "FROM": syntax error' ]]
  [[ $(sqlite3 ev.db 'SELECT count(*) FROM events') == 300 ]]
}

@test "--sqlite: a query past timeout= is 400; no database yet is 503, then served once sp-sink made it" {
  serve --sqlite 'sqlite://later.db?table=events&timeout=200ms'
  grep -q -- '--sqlite: later.db: no such database (yet)' serve.err
  query 'SELECT count(*) AS n FROM events'
  [[ $status == 503 ]]
  [[ $(jq -r .error body.txt) == "later.db: no such database (yet)" ]]
  run -0 curl -s -D - -o /dev/null "$URL/api/query"
  assert_output --partial 'Retry-After: 1'
  events events.ndjson 20
  sp-sink 'sqlite://later.db?table=events' < events.ndjson
  query 'SELECT count(*) AS n FROM events'
  [[ $status == 200 ]]
  [[ $body == '[{"n":20}]' ]]
  local t0=$SECONDS
  query 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c'
  [[ $status == 400 ]]
  [[ $(jq -r .error body.txt) == "sql: the query ran longer than its time limit of 0.2 s" ]]
  ((SECONDS - t0 < 5))
  echo 'not a database' > bad.db
  kill "$PID"
  wait "$PID" || true
  serve --sqlite bad.db
  query 'SELECT 1'
  [[ $status == 500 ]]
  [[ $(jq -r .error body.txt) == "bad.db: file is not a database" ]]
  kill "$PID"
  wait "$PID" || true
  serve
  query 'SELECT 1'
  [[ $status == 404 ]]
  [[ $(jq -r .error body.txt) == "no database to query: start sp-serve with --sqlite DB?table=T" ]]
  run -2 sp-serve --sqlite 'x.db?table=events&color=red'
  assert_output --partial "--sqlite: unknown parameter 'color' (table, timeout, max_rows)"
  run -2 sp-serve --sqlite 'x.db?timeout=soon'
  assert_output --partial "--sqlite timeout"
  run -2 sp-serve --sqlite '?table=events'
  assert_output --partial "--sqlite: no database path"
}

@test "--sqlite: sp-sink writes (WAL) while sp-serve answers queries: every answer 200, counts only grow" {
  events events.ndjson 4000
  serve --sqlite 'live.db?table=events'  # before the FIFO is open: it must not hold sp-sink's input open
  mkfifo sink.fifo
  sp-sink 'sqlite://live.db?table=events' --batch-size 200 --flush-interval 50ms < sink.fifo 2> sink.err &
  local sink_pid=$!
  local fd
  exec {fd}> sink.fifo
  head -200 events.ndjson >&"$fd"
  local i
  for ((i = 0; i < 200; i++)); do
    query 'SELECT count(*) AS n FROM events'
    [[ $status == 200 ]] && break
    sleep 0.05
  done
  [[ $status == 200 ]] || fail "sp-sink did not create the table: $(cat sink.err)"
  # the rest arrives in 19 parts while we query
  (
    for ((i = 1; i < 20; i++)); do
      sed -n "$((i * 200 + 1)),$(((i + 1) * 200))p" events.ndjson
      sleep 0.05
    done
  ) >&"$fd" &
  local writer=$!
  local last=0 n answers=0
  while :; do
    query 'SELECT count(*) AS n FROM events'
    [[ $status == 200 ]] || fail "answer $answers: $status $body"
    n=$(jq '.[0].n' body.txt)
    ((n >= last)) || fail "the count went back from $last to $n"
    last=$n answers=$((answers + 1))
    ((n == 4000)) && break
    ((answers < 2000)) || fail "never reached 4000 (at $n)"
  done
  wait "$writer"
  exec {fd}>&-
  wait "$sink_pid"
  ((answers > 3)) || fail "only $answers answers: not concurrent"
  query 'SELECT count(DISTINCT ts) AS n FROM events'
  [[ $body == "[{\"n\":$(jq -r .ts events.ndjson | sort -u | wc -l)}]" ]]
}

@test "SSE: a client that never reads is dropped while the input is read in full; /metrics counts it" {
  events events.ndjson 60000
  mkfifo in.fifo
  local fd
  exec {fd}<> in.fifo
  SERVE_STDIN=in.fifo serve --key service --sse-buffer 100
  # a client with a tiny receive buffer that sends the request and reads nothing until told to
  python3 -c '
import socket, sys, os, time
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, port))
s.sendall(b"GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
open("client.ready", "w").close()
while not os.path.exists("client.go"):
    time.sleep(0.02)
s.settimeout(20)
with open("client.got", "wb") as out:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out.write(b)
open("client.eof", "w").close()
' 127.0.0.1 "${URL##*:}" > client.err 2>&1 &
  CURL_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -e client.ready ]] && break; sleep 0.05; done
  [[ -e client.ready ]] || fail "the client did not connect: $(cat client.err)"
  for ((i = 0; i < 100; i++)); do curl -s "$URL/metrics" | grep -qx 'sp_serve_sse_clients 1' && break; sleep 0.05; done
  curl -s "$URL/metrics" | grep -qx 'sp_serve_sse_clients 1' || fail "the stream did not start"

  local t0=$EPOCHREALTIME
  cat events.ndjson >&"$fd"
  # every record is read while the client reads nothing
  for ((i = 0; i < 400; i++)); do
    curl -s "$URL/healthz" | grep -q '"records_in":60000,' && break
    sleep 0.05
  done
  curl -s "$URL/healthz" | grep -q '"records_in":60000,' || fail "the input stalled: $(curl -s "$URL/healthz")"
  echo "# 60000 records read in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}') s with a stuck client" >&3
  [[ ! -e client.eof ]]
  get /metrics
  grep -qx 'sp_serve_sse_dropped_total 1' body.txt || fail "not dropped: $(grep sse body.txt; ss -tn | grep "${URL##*:}")"

  # once it reads, it gets what was on its way, the dropped event, and the end of the stream
  touch client.go
  for ((i = 0; i < 200; i++)); do [[ -e client.eof ]] && break; sleep 0.05; done
  [[ -e client.eof ]] || fail "the dropped client was not disconnected: $(cat client.err)"
  grep -q '^event: dropped' client.got
  (($(grep -c '^data: {"ts"' client.got) < 60000))
  get /metrics
  grep -qx 'sp_serve_sse_clients 0' body.txt
  exec {fd}>&-
}

@test "--max-keys: beyond it the key updated longest ago is forgotten; /metrics counts them" {
  for i in $(seq 1 10); do echo "{\"k\":\"key$i\",\"n\":$i}"; done > keys.ndjson
  echo '{"k":"key1","n":11}' >> keys.ndjson  # key1 updated again: now the newest
  serve --key k --max-keys 3 keys.ndjson
  until_input_read
  get /api/latest
  [[ $status == 200 ]]
  [[ $(jq -c 'keys' body.txt) == '["key1","key10","key9"]' ]]
  [[ $(jq -c .key1 body.txt) == '{"k":"key1","n":11}' ]]
  get /api/latest/key2
  [[ $status == 404 ]]
  get /metrics
  grep -qx 'sp_serve_keys 3' body.txt
  grep -qx 'sp_serve_keys_evicted_total 8' body.txt
  run -2 sp-serve --max-keys 0 keys.ndjson
  assert_output --partial "--max-keys: must be at least 1"
}

@test "--max-connections: connections beyond are answered 503 with Retry-After, the held ones go on" {
  mkfifo in.fifo
  local fd
  exec {fd}<> in.fifo
  SERVE_STDIN=in.fifo serve --key service --threads 2 --max-connections 2
  # Two streams hold both threads and both places.
  curl -sN "$URL/api/stream" > s1.txt &
  local c1=$!
  curl -sN "$URL/api/stream" > s2.txt &
  CURL_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q connected s1.txt 2> /dev/null && grep -q connected s2.txt 2> /dev/null && break; sleep 0.05; done
  grep -q connected s2.txt || fail "the streams did not connect"
  run -0 curl -s -D - -o body.txt "$URL/api/latest"
  assert_line --partial "503"
  assert_line --partial "Retry-After: 1"
  grep -q 'too many connections (--max-connections 2)' body.txt
  # The streams still get records.
  echo '{"service":"web","n":1}' >&"$fd"
  for ((i = 0; i < 100; i++)); do grep -q '"n":1' s1.txt && grep -q '"n":1' s2.txt && break; sleep 0.05; done
  grep -q '^data: {"service":"web","n":1}' s1.txt
  grep -q '^data: {"service":"web","n":1}' s2.txt
  kill "$c1"
  wait "$c1" 2> /dev/null || true
  # Its thread notices the client left at the next record it sends; then a place is free
  # again: answered, and the refusal counted.
  for ((i = 0; i < 100; i++)); do echo '{"service":"web","n":2}' >&"$fd"; get /metrics; [[ $status == 200 ]] && break; sleep 0.1; done
  [[ $status == 200 ]]
  grep -Eq '^sp_serve_connections_refused_total [1-9]' body.txt
  run -2 sp-serve --threads 8 --max-connections 4 < /dev/null
  assert_output --partial "--max-connections: must be at least --threads (8)"
  exec {fd}>&-
}
