#!/usr/bin/env bats
# sp-ingest HTTP sources: polling an API (ETag, If-Modified-Since, --jsonpath, --next-field),
# and http-listen:// taking POSTed NDJSON and JSON arrays.

load test_helper

# api: starts tests/ingest/http_fixture.py; sets API (base URL) and SERVER_PID.
api() {
  python3 "$SP_SOURCE_DIR/tests/ingest/http_fixture.py" port requests.log &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -s port ]] && break; sleep 0.05; done
  API="http://127.0.0.1:$(cat port)"
}

# listen ARGS...: sp-ingest http-listen://127.0.0.1:0/ingest ARGS in the background; sets URL, PID.
listen() {
  sp-ingest http-listen://127.0.0.1:0/ingest "$@" > out.ndjson 2> err.txt &
  PID=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q listening err.txt 2>/dev/null && break; sleep 0.05; done
  URL=$(grep -o 'http://[^ ]*' err.txt)
}

teardown() {
  [[ -n ${SERVER_PID:-} ]] && kill "$SERVER_PID" 2>/dev/null || true
  [[ -n ${PID:-} ]] && kill "$PID" 2>/dev/null || true
}

@test "poll: every element of the array is a record; --jsonpath and --next-field follow pages" {
  api
  run -0 sp-ingest "$API/items" --jsonpath data.items --next-field next
  assert_output "$(printf '%s\n' '{"id":10,"page":1}' '{"id":11,"page":1}' '{"id":12,"page":1}' \
    '{"id":20,"page":2}' '{"id":21,"page":2}' '{"id":22,"page":2}')"
  run -0 sp-ingest "$API/array" --add-meta
  assert_line --index 2 '3'
  [[ ${lines[0]} == "{\"a\":1,\"_src\":{\"url\":\"$API/array\","* ]]
}

@test "poll: a cursor that is not a URL is sent as ?cursor=; --header is sent" {
  api
  run -0 sp-ingest "$API/cursor" --jsonpath items --next-field cursor --header 'X-Token: s3cret'
  assert_output $'{"n":1}\n{"n":2}\n{"n":3,"token":"s3cret"}'
}

@test "poll with --follow: ETag and Last-Modified are sent back; unchanged answers are not read again" {
  api
  sp-ingest "$API/items" "$API/array" --jsonpath data.items --follow --interval 200ms > out.ndjson 2> err.txt &
  PID=$!
  sleep 1.5
  kill -TERM $PID
  wait $PID
  # /array has no data.items: reported, and tried again
  grep -q "no 'data.items' in the response" err.txt
  [[ $(wc -l < out.ndjson) == 3 ]]
  grep -q 'GET /items if-none-match="page1-v1" .* -> 304' requests.log
  rm out.ndjson
  sp-ingest "$API/array" --follow --interval 200ms > out.ndjson 2> err.txt &
  PID=$!
  sleep 1
  kill -TERM $PID
  wait $PID
  [[ $(wc -l < out.ndjson) == 3 ]]
  grep -q 'GET /array if-none-match=- if-modified-since=Tue, 24 Nov 2026 10:00:00 GMT -> 304' requests.log
}

@test "poll: HTTP errors, bad JSON and no server are reported with exit 1" {
  api
  run -1 sp-ingest "$API/fail"
  assert_output --partial "/fail: HTTP 500"
  run -1 sp-ingest "$API/notjson"
  assert_output --partial "/notjson: the response is not JSON"
  run -1 sp-ingest "http://127.0.0.1:1/x"
  assert_output --partial "http://127.0.0.1:1/x: no response"
  run -1 sp-ingest "http://user:pw@127.0.0.1:1/x"
  refute_output --partial "pw"
}

@test "listen: NDJSON and JSON arrays are written before the 200; bad JSON is 400 with the reason" {
  listen
  run -0 curl -s -X POST --data-binary $'{"x":1}\n\n{"x":2}\n' "$URL"
  assert_output '{"accepted":2}'
  [[ $(cat out.ndjson) == $'{"x":1}\n{"x":2}' ]]   # written when the answer came
  run -0 curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"y":1}, {"y":[2]}]' "$URL"
  assert_output '{"accepted":2}'
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary $'{"ok":1}\n{"bad":\n' "$URL"
  assert_output $'{"error":"line 2: truncated: end of line inside an object (byte 8)"}\n 400'
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary '[1,2' "$URL"
  assert_output --partial '"error":"the body is not a JSON array'
  assert_output --partial ' 400'
  run -0 curl -s -w ' %{http_code}' -X POST -d '{}' "${URL%/ingest}/other"
  assert_output --partial ' 404'
  kill -TERM $PID
  wait $PID
  run cat out.ndjson
  assert_output $'{"x":1}\n{"x":2}\n{"y":1}\n{"y":[2]}'
}

@test "listen: a JSON array with numbers beyond 64 bits is accepted, as NDJSON lines are" {
  listen
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary '[{"id":123456789012345678901234567890}, 1e999, [ "a,]" , {"b":[1, 2]} ] ]' "$URL"
  assert_output $'{"accepted":3}\n 200'
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary $'{"id":123456789012345678901234567890}\n' "$URL"
  assert_output $'{"accepted":1}\n 200'
  kill -TERM $PID
  wait $PID
  run cat out.ndjson
  assert_output $'{"id":123456789012345678901234567890}\n1e999\n["a,]",{"b":[1,2]}]\n{"id":123456789012345678901234567890}'
}

@test "listen: 413 over --max-body-bytes; 401 without the bearer token" {
  echo 's3cret' > token
  listen --max-body-bytes 1K --auth-token-file token
  head -c 5000 /dev/zero | tr '\0' ' ' > big
  run -0 curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret' --data-binary @big "$URL"
  assert_output 413
  run -0 curl -s -w ' %{http_code}' -X POST -d '{"a":1}' "$URL"
  assert_output $'{"error":"missing or wrong bearer token"}\n 401'
  run -0 curl -s -w ' %{http_code}' -X POST -H 'Authorization: Bearer s3cret' -d '{"a":1}' "$URL"
  assert_output $'{"accepted":1}\n 200'
  kill -TERM $PID
  wait $PID
  run cat out.ndjson
  assert_output '{"a":1}'
}

@test "listen: a bad address or an unknown scheme is a usage error" {
  run -2 sp-ingest http-listen://nowhere/ingest
  assert_output --partial "expected http-listen://ADDRESS:PORT/PATH"
  run -2 sp-ingest ftp://example.com/x
  assert_output --partial "unknown source 'ftp://example.com/x'"
  run -2 sp-ingest 'kafka://localhost:9092/topic?colour=red'
  assert_output --partial "unknown parameter 'colour' for a kafka source"
}
