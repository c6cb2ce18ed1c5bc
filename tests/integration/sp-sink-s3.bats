#!/usr/bin/env bats
# sp-sink into s3rver (npm, pinned in tests/package.json), objects listed and read back
# through the signed S3 API by tests/integration/s3_client.py.

load server_helper

S3RVER=$SP_SOURCE_DIR/tests/node_modules/.bin/s3rver

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
  [[ -x $S3RVER ]] || fail "s3rver not installed: run tests/install-deps (npm ci in tests/)"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  S3_PORT=$(free_port)
  mkdir s3data
  s3_start
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
}

s3_start() {
  "$S3RVER" -d s3data -a 127.0.0.1 -p "$S3_PORT" --configure-bucket lake >> s3rver.log 2>&1 &
  S3_PID=$!
  wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3_PORT" || fail "s3rver did not start: $(cat s3rver.log)"
}

teardown() {
  kill "$S3_PID" 2>/dev/null || true
}

s3() { python3 "$BATS_TEST_DIRNAME/s3_client.py" "$S3_ENDPOINT" lake "$@"; }

@test "s3: time-partitioned zstd objects, cut by size, read back through the signed API" {
  "$GEN_EVENTS" --lines 6000 --eps 1 > ev.ndjson
  run -0 sp-sink "s3://lake/events/dt=%Y-%m-%d/hour=%H/part-{seq}.ndjson.zst?endpoint=$S3_ENDPOINT" \
    --time-field ts --rotate-size 512K --stats ev.ndjson
  run -0 s3 list events/
  assert_line --regexp '^events/dt=2026-11-24/hour=00/part-000001\.ndjson\.zst$'
  assert_line --regexp '^events/dt=2026-11-24/hour=01/part-000001\.ndjson\.zst$'
  local keys
  keys=$(s3 list events/)
  (($(wc -l <<< "$keys") >= 4)) || fail "expected several objects: $keys"
  for k in $keys; do s3 get "$k" | zstd -dc; done | sort | cmp - <(sort ev.ndjson)
  # A second run never overwrites: the next {seq} is taken.
  run -0 sp-sink "s3://lake/events/dt=%Y-%m-%d/hour=%H/part-{seq}.ndjson.zst?endpoint=$S3_ENDPOINT" \
    --time-field ts --rotate-size 512K ev.ndjson
  (($(s3 list events/ | wc -l) == 2 * $(wc -l <<< "$keys"))) || fail "objects were overwritten"
}

@test "s3: an object past part_size is sent as a multipart upload" {
  "$GEN_EVENTS" --lines 45000 > ev.ndjson   # about 12 MB: three 5 MiB parts
  run -0 sp-sink "s3://lake/big/all.ndjson?endpoint=$S3_ENDPOINT&part_size=5M" ev.ndjson
  run -0 s3 list big/
  assert_output big/all-000001.ndjson
  s3 get big/all-000001.ndjson | cmp - ev.ndjson
  # s3rver's log shows the requests: an upload started, three parts stored.
  grep -q 'big/all-000001.ndjson?uploads= 200' s3rver.log || fail "$(cat s3rver.log)"
  run -0 grep -c 'Stored part [0-9] of' s3rver.log
  assert_output 3
}

@test "s3: server restarted mid-stream: every record stored once; passwords and keys never shown" {
  feed 6000 500 0.2 | sp-sink "s3://lake/f/{seq}.ndjson?endpoint=$S3_ENDPOINT" --rotate-interval 500ms \
    --flush-interval 100ms --retries 30 --retry-max-backoff 500ms 2> err.txt &
  local pid=$!
  sleep 1.5
  kill "$S3_PID"
  wait "$S3_PID" 2>/dev/null || true
  sleep 1.5
  s3_start
  local rc=0
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "sp-sink exit $rc: $(cat err.txt)"
  grep -q 'retry' err.txt || fail "no retry happened: $(cat err.txt)"
  for k in $(s3 list f/); do s3 get "$k"; done | jq -r .id | sort -n > ids.txt
  run -0 bash -c "sort -nu ids.txt | wc -l; wc -l < ids.txt"
  assert_output $'6000\n6000'
  ! grep -q S3RVER err.txt || fail "credentials in messages: $(cat err.txt)"
  kill "$S3_PID"
  run -1 --separate-stderr sp-sink "s3://lake/x?endpoint=$S3_ENDPOINT" --retries 1 --retry-backoff 10ms <<< '{"a":1}'
  [[ $stderr == *"s3://lake/x?endpoint=$S3_ENDPOINT"*"gave up after 1 retry"* ]] || fail "$stderr"
  run -2 env -u AWS_ACCESS_KEY_ID sp-sink "s3://lake/x?endpoint=$S3_ENDPOINT" < /dev/null
  assert_output --partial "AWS_ACCESS_KEY_ID"
}
