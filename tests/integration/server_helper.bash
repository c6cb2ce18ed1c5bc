# Real servers for integration tests, on 127.0.0.1 with free ports, stopped by teardown.
# A server that cannot start fails the test loudly; nothing is skipped.
load ../cli/test_helper

# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1s until it succeeds.
wait_for() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# ---- Test passwords. Every secret the integration tests give a program, so that a test can
# check that none of them reaches stderr or a dead letter (assert_no_secrets).
PG_PASSWORD=s3cret-Pa55word
REDIS_PASSWORD=redis-Pa55-4e1q
MQTT_PASSWORD=mqtt-Pa55-9k2w
HTTP_PASSWORD=http-Pa55-x7qe
HTTP_TOKEN=tok-Pa55-c3vr
WRONG_PASSWORD=wrong-Pa55-z8zt
TEST_SECRETS=("$PG_PASSWORD" "$REDIS_PASSWORD" "$MQTT_PASSWORD" "$HTTP_PASSWORD" "$HTTP_TOKEN" "$WRONG_PASSWORD")

# assert_no_secrets FILE...: none of TEST_SECRETS, nor the basic-authentication base64 of
# "etl:SECRET" (the tests' user name), appears in any FILE; fails naming the file and the line.
assert_no_secrets() {
  local f s b
  for f in "$@"; do
    [[ -f $f ]] || continue
    for s in "${TEST_SECRETS[@]}"; do
      b=$(printf 'etl:%s' "$s" | base64)
      if grep -qF -e "$s" -e "$b" "$f"; then
        fail "a test password in $f: $(grep -nF -e "$s" -e "$b" "$f" | head -1)"
      fi
    done
  done
  return 0
}

# ---- PostgreSQL: initdb into a temp dir, pg_ctl as an unprivileged user (CI runs as root).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_as() {
  if [[ $(id -u) == 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# start_postgres: sets PG_PORT, PG_DIR, PG_URL (with the password), and PGPASSWORD for psql.
start_postgres() {
  [[ -x $PG_BIN/initdb ]] || fail "PostgreSQL server not installed (tests/install-deps installs it)"
  PG_DIR=$(mktemp -d /tmp/sp-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [[ $(id -u) == 0 ]] && chown postgres: "$PG_DIR"
  echo "$PG_PASSWORD" > "$PG_DIR/pw"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/pw" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-sync > "$PG_DIR/initdb.log" 2>&1 ||
    fail "initdb failed: $(cat "$PG_DIR/initdb.log")"
  PG_PORT=$(free_port)
  pg_start
  PG_URL="postgresql://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
  export PGPASSWORD=$PG_PASSWORD
}

pg_start() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off ${PG_OPTS:-}" start \
    > /dev/null || fail "PostgreSQL did not start: $(tail -20 "$PG_DIR/server.log")"
}

# pg_stop [MODE]: fast (default) or immediate (like a crash).
pg_stop() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop > /dev/null
}

stop_postgres() {
  [[ -n ${PG_DIR:-} && -d $PG_DIR ]] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}

# psql_q SQL: one query, unaligned tuples-only output.
psql_q() {
  psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -v ON_ERROR_STOP=1 -XAtqc "$1"
}

# ---- Redis: redis-server without persistence; sets REDIS_PORT.
start_redis() {
  command -v redis-server > /dev/null || fail "redis-server not installed (tests/install-deps installs it)"
  REDIS_PORT=$(free_port)
  REDIS_DIR=$(mktemp -d /tmp/sp-redis.XXXXXX)
  redis_start "$@"
}

redis_start() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" "$@" ||
    fail "redis-server did not start"
  wait_for 10 redis-cli -p "$REDIS_PORT" ping || fail "redis-server did not answer: $(tail "$REDIS_DIR/redis.log")"
}

redis_stop() {
  local pid
  pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
}

stop_redis() {
  [[ -n ${REDIS_DIR:-} && -d $REDIS_DIR ]] || return 0
  redis_stop
  rm -rf "$REDIS_DIR"
}

# feed N [SLEEP_EVERY SLEEP]: N records {"id":i,"v":"..."} with an optional pause every
# SLEEP_EVERY records, so that a fault can be injected mid-stream.
feed() {
  python3 - "$@" <<'PY'
import sys, time
n = int(sys.argv[1]); every = int(sys.argv[2]) if len(sys.argv) > 2 else 0
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0
out = sys.stdout
for i in range(1, n + 1):
    out.write('{"id":%d,"user_id":"u%06d","v":"value %d"}\n' % (i, i % 1000, i))
    if every and i % every == 0:
        out.flush()
        time.sleep(pause)
out.flush()
PY
}
