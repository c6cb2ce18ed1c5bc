#!/usr/bin/env bats
# sp-sink POSTing batches to a small local receiver (tests/integration/http_receiver.py) that
# records every request and answers 200, or 500/429/400 when the test says so.

load server_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
  mkdir recv
  python3 "$BATS_TEST_DIRNAME/http_receiver.py" recv &
  RECV_PID=$!
  wait_for 10 test -s recv/port || fail "the HTTP receiver did not start"
  URL="http://127.0.0.1:$(cat recv/port)/ingest"
}

teardown() {
  kill "$RECV_PID" 2>/dev/null || true
}

# The bodies of the accepted requests, concatenated.
accepted() { jq -j 'select(.status < 300) | .body' recv/requests.ndjson; }

@test "http: batches are POSTed as NDJSON with --header; the receiver gets every record once" {
  feed 2500 > in.ndjson
  run -0 sp-sink "$URL?token=abc" --batch-size 1000 --header 'Authorization: Bearer t0k' --header 'X-Src: test' \
    in.ndjson
  run -0 jq -c '[.path, .headers["content-type"], .headers.authorization, .headers["x-src"]]' recv/requests.ndjson
  assert_line --index 0 '["/ingest?token=abc","application/x-ndjson","Bearer t0k","test"]'
  assert_equal "${#lines[@]}" 3
  accepted | cmp - in.ndjson
}

@test "http: --http-array sends one JSON array per batch" {
  feed 10 > in.ndjson
  run -0 sp-sink "$URL" --http-array in.ndjson
  run -0 jq -r '.headers["content-type"]' recv/requests.ndjson
  assert_output application/json
  run -0 bash -c "jq -r .body recv/requests.ndjson | jq -c '.[]'"
  assert_output "$(cat in.ndjson)"
}

@test "http: 500 and 429 are retried (Retry-After honoured), then the batch is delivered" {
  printf '%s\n' 500 503 '429 1' > recv/script
  feed 100 > in.ndjson
  local t0=$SECONDS
  run -0 --separate-stderr sp-sink "$URL" --retry-backoff 10ms in.ndjson
  ((SECONDS - t0 >= 1)) || fail "Retry-After: 1 was not waited for"
  [[ $stderr == *"HTTP 500"*"retry 1/8"* ]] || fail "$stderr"
  [[ $stderr == *"HTTP 429"*"retry 3/8 in 1.00s"* ]] || fail "$stderr"
  run -0 jq -c .status recv/requests.ndjson
  assert_output $'500\n503\n429\n200'
  accepted | cmp - in.ndjson
}

@test "http: a 4xx answer sends the batch to the dead letters with the response, the stream goes on" {
  printf '%s\n' 200 400 > recv/script
  feed 30 > in.ndjson
  run -0 --separate-stderr sp-sink "$URL" --batch-size 10 --dead-letter dl.ndjson --stats in.ndjson
  run -0 jq -c .line dl.ndjson
  assert_output "$(seq 11 20)"
  run -0 jq -r .error dl.ndjson
  assert_line --index 0 "HTTP 400 from $URL: {\"error\":\"rejected by test receiver\"}"
  run -0 jq -c '[.records_out, .refused]' <<< "$(grep '^{' <<< "$stderr")"
  assert_output '[20,10]'
  accepted | cmp - <(sed -n '1,10p;21,30p' in.ndjson)
}

@test "http: a receiver that stays down: exit 1 naming it, the password never shown" {
  printf '500\n500\n500\n' > recv/script
  run -1 --separate-stderr sp-sink "http://user:pa55-Word@127.0.0.1:$(cat recv/port)/x" --retries 2 \
    --retry-backoff 10ms <<< '{"a":1}'
  [[ $stderr == *"http://user:***@127.0.0.1"*"gave up after 2 retries"* ]] || fail "$stderr"
  [[ $stderr != *"pa55-Word"* ]] || fail "password leaked: $stderr"
  run -0 jq -r .headers.authorization recv/requests.ndjson
  assert_line --index 0 "Basic $(printf user:pa55-Word | base64)"
  kill "$RECV_PID"
  run -1 --separate-stderr sp-sink "$URL" --retries 1 --retry-backoff 10ms <<< '{"a":1}'
  [[ $stderr == *"$URL"*"gave up after 1 retry"* ]] || fail "$stderr"
}
