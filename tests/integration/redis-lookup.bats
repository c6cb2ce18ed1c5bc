#!/usr/bin/env bats
# sp-enrich --lookup redis://...: against a real redis-server on 127.0.0.1, on a free port.
# The server must start: when it cannot, the tests fail (they never skip).

load ../cli/test_helper

setup_file() {
  command -v redis-server > /dev/null || { echo "redis-server is not installed (tests/install-deps)" >&2; return 1; }
  export REDIS_DIR
  REDIS_DIR=$(mktemp -d)
  local port i
  for i in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$REDIS_DIR" \
      --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" || continue
    for _ in $(seq 50); do
      redis-cli -p "$port" ping 2> /dev/null | grep -q PONG && break 2
      sleep 0.1
    done
  done
  redis-cli -p "$port" ping | grep -q PONG || { echo "redis-server did not start:" >&2; cat "$REDIS_DIR/redis.log" >&2; return 1; }
  export REDIS_PORT=$port
}

teardown_file() {
  if [[ -s ${REDIS_DIR:-}/redis.pid ]]; then
    kill "$(cat "$REDIS_DIR/redis.pid")" 2> /dev/null || true
    sleep 0.2
  fi
  rm -rf "${REDIS_DIR:-/nonexistent}"
}

rcli() { redis-cli -p "$REDIS_PORT" "$@" > /dev/null; }

wait_lines() {
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -f $1 && $(wc -l < "$1") -ge $2 ]] && return 0
    sleep 0.1
  done
  fail "$1 did not reach $2 lines"
}

@test "hgetall with a key template: hashes become members; misses are kept, counted, cached" {
  rcli flushall
  rcli hset user:u1 plan pro country DE
  rcli hset user:u2 plan free country IN
  printf '%s\n' '{"user_id":"u1"}' '{"user_id":"u2","n":1}' '{"user_id":"u3"}' '{"user_id":"u1"}' '{"x":1}' > in.ndjson
  run -0 --separate-stderr sp-enrich --stats \
    --lookup "redis://127.0.0.1:$REDIS_PORT?cmd=hgetall&key=user:{user_id}" --prefix u_ in.ndjson
  assert_output '{"user_id":"u1","u_plan":"pro","u_country":"DE"}
{"user_id":"u2","n":1,"u_plan":"free","u_country":"IN"}
{"user_id":"u3"}
{"user_id":"u1","u_plan":"pro","u_country":"DE"}
{"x":1}'
  [[ $stderr == *'"hits":3,"misses":2'* ]]
}

@test "hget with --fields, get with JSON values, --on without a template" {
  rcli flushall
  rcli hset user:u1 plan pro country DE secret x
  rcli set u1 '{"score":12.5,"vip":true}'
  rcli set u2 'plain text'
  printf '%s\n' '{"user_id":"u1"}' '{"user_id":"u2"}' > in.ndjson
  run -0 sp-enrich --lookup "redis://127.0.0.1:$REDIS_PORT?cmd=hget&key=user:{user_id}" --fields country,plan in.ndjson
  assert_line --index 0 '{"user_id":"u1","country":"DE","plan":"pro"}'
  assert_line --index 1 '{"user_id":"u2"}'
  run -0 sp-enrich --lookup "redis://127.0.0.1:$REDIS_PORT?cmd=get" --on user_id --as info in.ndjson
  assert_line --index 0 '{"user_id":"u1","info":{"score":12.5,"vip":true}}'
  assert_line --index 1 '{"user_id":"u2","info":"plain text"}'
  run -2 sp-enrich --lookup "redis://127.0.0.1:$REDIS_PORT?cmd=hget&key=user:{user_id}" in.ndjson
  assert_output --partial "needs --fields"
}

@test "the cache: answers are reused within the TTL and asked again after it" {
  rcli flushall
  rcli hset user:u1 plan free
  mkfifo in.fifo
  sp-enrich --lookup "redis://127.0.0.1:$REDIS_PORT?key=user:{user_id}" --cache-ttl 1s < in.fifo > out.ndjson &
  local pid=$!
  exec 5> in.fifo
  echo '{"user_id":"u1"}' >&5
  wait_lines out.ndjson 1
  rcli hset user:u1 plan pro
  echo '{"user_id":"u1"}' >&5
  wait_lines out.ndjson 2
  sleep 1.2
  echo '{"user_id":"u1"}' >&5
  exec 5>&-
  wait "$pid"
  run cat out.ndjson
  assert_output $'{"user_id":"u1","plan":"free"}\n{"user_id":"u1","plan":"free"}\n{"user_id":"u1","plan":"pro"}'
}

@test "join of generated events against users loaded into Redis matches the CSV join" {
  rcli flushall
  tail -n +2 "$SP_SHARED_DIR/bench/users.csv" | head -5000 |
    awk -F, '{printf "HSET user:%s plan %s signup_country %s\n", $1, $2, $3}' | redis-cli -p "$REDIS_PORT" > /dev/null
  head -5001 "$SP_SHARED_DIR/bench/users.csv" > users.csv
  events ev.ndjson 3000 --seed 21
  sp-enrich --lookup "redis://127.0.0.1:$REDIS_PORT?key=user:{user_id}" ev.ndjson > via-redis
  sp-enrich --lookup users.csv --on user_id ev.ndjson > via-csv
  cmp via-redis via-csv
}

@test "a server that cannot be reached is a runtime failure (exit 1) with host and port" {
  printf '{"user_id":"u1"}\n' > in.ndjson
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  run -1 sp-enrich --lookup "redis://:secret@127.0.0.1:$port?key=user:{user_id}" in.ndjson
  assert_output --partial "redis 127.0.0.1:$port: cannot connect"
  refute_output --partial "secret"
}
