#!/usr/bin/env bats
# sp-sink into a real redis-server (a free port, no persistence unless a test asks), checked
# with redis-cli.

load server_helper

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
}

teardown() {
  stop_redis
}

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

@test "redis: xadd (default field data, maxlen), set with ttl, key templates from fields" {
  start_redis
  feed 3000 > in.ndjson
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT/0?cmd=xadd&key=events" --batch-size 1000 in.ndjson
  run -0 rcli xlen events
  assert_output 3000
  run -0 rcli --raw xrange events - + COUNT 1
  assert_line data
  assert_line "$(head -1 in.ndjson)"
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT/0?cmd=xadd&key=capped&maxlen=100" in.ndjson
  run -0 rcli xlen capped
  ((output < 300)) || fail "maxlen not applied: $output"
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT/2?cmd=set&key=rec:{id}&ttl=600" in.ndjson
  run -0 rcli -n 2 dbsize
  assert_output 3000
  run -0 rcli -n 2 get rec:42
  assert_output "$(sed -n 42p in.ndjson)"
  run -0 rcli -n 2 ttl rec:42
  ((output > 500 && output <= 600)) || fail "ttl $output"
}

@test "redis: hset with and without field=, lpush with maxlen, publish" {
  start_redis
  printf '%s\n' '{"user_id":"u1","n":1,"tags":["a"],"name":"Ann"}' '{"user_id":"u2","n":2}' > in.ndjson
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=hset&key=user:{user_id}" in.ndjson
  run -0 rcli hget user:u1 name
  assert_output Ann
  run -0 rcli hget user:u1 tags
  assert_output '["a"]'
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=hset&key=users&field={user_id}" in.ndjson
  run -0 rcli hget users u2
  assert_output '{"user_id":"u2","n":2}'
  feed 50 > many.ndjson
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=lpush&key=recent&maxlen=10" many.ndjson
  run -0 rcli llen recent
  assert_output 10
  run -0 rcli lindex recent 0
  assert_output "$(tail -1 many.ndjson)"
  rcli subscribe chan > sub.txt &
  local sub=$!
  wait_for 5 bash -c "[[ \$(redis-cli -p $REDIS_PORT pubsub numsub chan | tail -1) == 1 ]]"
  run -0 sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=publish&key=chan" in.ndjson
  wait_for 5 grep -q '"u2"' sub.txt
  kill "$sub"
  grep -qF '{"user_id":"u1","n":1,"tags":["a"],"name":"Ann"}' sub.txt
}

@test "redis: records the server refuses, or without the key field, go to the dead letters" {
  start_redis
  rcli set user:u2 plain-string > /dev/null
  printf '%s\n' '{"user_id":"u1","n":1}' '{"user_id":"u2","n":2}' '{"n":3}' '{"user_id":"u4"}' > in.ndjson
  run -0 --separate-stderr sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=hset&key=user:{user_id}" \
    --dead-letter dl.ndjson in.ndjson
  run -0 jq -c '[.line, .error]' dl.ndjson
  assert_line --index 0 --partial '[2,"WRONGTYPE'
  assert_line --index 1 "[3,\"key template 'user:{user_id}': no field 'user_id'\"]"
  run -0 rcli hget user:u4 user_id
  assert_output u4
}

@test "redis: server stopped and restarted mid-stream: every record present, duplicates bounded by a batch" {
  start_redis --appendonly yes --appendfsync always
  feed 20000 500 0.2 | sp-sink "redis://127.0.0.1:$REDIS_PORT?cmd=lpush&key=all" --batch-size 500 \
    --flush-interval 100ms --retries 30 --retry-max-backoff 500ms --stats 2> err.txt &
  local pid=$!
  sleep 3
  redis_stop
  sleep 2
  redis_start --appendonly yes --appendfsync always
  local rc=0
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "sp-sink exit $rc: $(cat err.txt)"
  grep -q 'retry' err.txt || fail "no retry happened: $(cat err.txt)"
  rcli lrange all 0 -1 | jq -r .id | sort -n > ids.txt
  run -0 bash -c "sort -nu ids.txt | wc -l"
  assert_output 20000
  local total
  total=$(wc -l < ids.txt)
  ((total - 20000 <= 500)) || fail "$((total - 20000)) duplicates, more than one batch"
}

@test "redis: a server that stays down or a wrong password: exit 1, the password never shown" {
  start_redis --requirepass "sekr3t-Pw"
  run -0 sp-sink "redis://:sekr3t-Pw@127.0.0.1:$REDIS_PORT?cmd=set&key=k" <<< '{"a":1}'
  run -0 rcli -a sekr3t-Pw --no-auth-warning get k
  assert_output '{"a":1}'
  run -1 --separate-stderr sp-sink "redis://:wrong-sekr3t-Pw@127.0.0.1:$REDIS_PORT?cmd=set&key=k" <<< '{"a":1}'
  [[ $stderr == *"redis://:***@127.0.0.1:$REDIS_PORT"* ]] || fail "$stderr"
  [[ $stderr != *"sekr3t"* ]] || fail "password leaked: $stderr"
  redis_stop
  run -1 --separate-stderr sp-sink "redis://:sekr3t-Pw@127.0.0.1:$REDIS_PORT?cmd=set&key=k" --retries 2 \
    --retry-backoff 50ms <<< '{"a":1}'
  [[ $stderr == *"gave up after 2 retries"* ]] || fail "$stderr"
  [[ $stderr != *"sekr3t"* ]] || fail "password leaked: $stderr"
  run -2 sp-sink "redis://127.0.0.1:1?cmd=nope&key=k" < /dev/null
  run -2 sp-sink "redis://127.0.0.1:1?cmd=set" < /dev/null
  assert_output --partial "key= is required"
}
