#!/usr/bin/env bats
# sp-serve: every route with curl, status codes, the bearer token, CORS, bad parameters (400
# with the reason), a Server-Sent Events client, and bad input on stdin.

load test_helper

# serve ARGS...: sp-serve on a free port in the background; sets URL and PID. Input: the
# file arguments, or whatever is redirected by the caller through SERVE_STDIN (default: none).
serve() {
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
  for path in / /api/latest /api/latest/web /api/recent /api/stream /healthz /metrics; do
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
