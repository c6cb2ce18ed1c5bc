#!/usr/bin/env bats
# sp-sink into a real PostgreSQL server (initdb in a temp dir, a free port, torn down after).

load server_helper

setup_file() {
  :
}

setup() {
  export PATH="$SP_BIN_DIR:$PATH"
  export LC_ALL=C.UTF-8
  cd "$BATS_TEST_TMPDIR" || fail "no temp dir"
  start_postgres
}

teardown() {
  stop_postgres
}

@test "postgresql: COPY batches into a new table with inferred types (jsonb for nested), checked with psql" {
  events ev.ndjson 5000
  run -0 --separate-stderr sp-sink "$PG_URL?table=events" --batch-size 1500 --stats ev.ndjson
  run -0 psql_q "select column_name || ' ' || data_type from information_schema.columns where table_name = 'events' order by ordinal_position"
  assert_line 'status bigint'
  assert_line 'latency_ms double precision'
  assert_line 'ua jsonb'
  assert_line 'host text'
  run -0 psql_q "select count(*), sum(status), count(tags) from events"
  assert_output "5000|$(jq -s 'map(.status)|add' ev.ndjson)|$(jq -s 'map(select(.tags))|length' ev.ndjson)"
  run -0 psql_q "select ua->>'browser' from events limit 1"
  assert_output "$(head -1 ev.ndjson | jq -r .ua.browser)"
  # Values with tabs, newlines, backslashes and quotes survive COPY's text format.
  printf '%s\n' '{"host":"a\tb\nc\\d'"'"'e","status":1}' | sp-sink "$PG_URL?table=events"
  run -0 psql_q "select host = E'a\\tb\\nc\\\\d''e' from events where status = 1"
  assert_output t
}

@test "postgresql: mode=insert and upsert (last record per key wins, also within a batch)" {
  printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}' '{"id":1,"v":"c"}' > in.ndjson
  run -0 sp-sink "$PG_URL?table=kv&upsert=id" in.ndjson
  run -0 sp-sink "$PG_URL?table=kv&upsert=id" in.ndjson
  run -0 psql_q 'select id, v from kv order by id'
  assert_output $'1|c\n2|b'
  run -0 sp-sink "$PG_URL?table=ins&mode=insert" in.ndjson
  run -0 sp-sink "$PG_URL?table=ins&mode=insert&raw=doc" in.ndjson
  run -0 psql_q "select count(*), count(doc) from ins"
  assert_output '6|3'
  printf '%s\n' '{"id":1,"v":"z"}' '{"id":3,"v":"y"}' | sp-sink "$PG_URL?table=kv&upsert=id&mode=insert"
  run -0 psql_q 'select id, v from kv order by id'
  assert_output $'1|z\n2|b\n3|y'
}

@test "postgresql: a rejected batch is bisected: only the bad rows go to the dead letters" {
  psql_q 'create table t (id bigint primary key, n integer check (n >= 0), v text not null)'
  feed 3000 > in.ndjson
  python3 - <<'PY' > in2.ndjson
import json
for i, line in enumerate(open('in.ndjson'), 1):
    r = json.loads(line); r['n'] = i
    if i in (7, 1500, 2999): r['n'] = -1         # CHECK violation
    if i == 100: r['n'] = 'many'                  # not an integer
    if i == 2000: del r['v']                      # NOT NULL
    print(json.dumps(r))
PY
  for mode in copy insert; do
    psql_q 'truncate t'
    run -0 --separate-stderr sp-sink "$PG_URL?table=t&mode=$mode" --batch-size 1000 --dead-letter dl-$mode.ndjson \
      --stats in2.ndjson
    run -0 psql_q 'select count(*) from t'
    assert_output 2995
    run -0 jq -c .line dl-$mode.ndjson
    assert_output $'7\n100\n1500\n2000\n2999'
    run -0 jq -r .error dl-$mode.ndjson
    assert_line --index 0 --partial 'violates check constraint'
    assert_line --index 1 --partial 'invalid input syntax for type integer'
    assert_line --index 3 --partial 'null value in column "v"'
  done
}

@test "postgresql: server stopped and restarted mid-stream: every record stored exactly once" {
  # 20000 records over about 8 s; the server is down for about 2 s in the middle.
  feed 20000 500 0.2 | sp-sink "$PG_URL?table=f" --batch-size 500 --flush-interval 100ms \
    --retries 30 --retry-max-backoff 500ms --stats 2> err.txt &
  local pid=$!
  sleep 3
  pg_stop fast
  sleep 2
  pg_start
  local rc=0
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "sp-sink exit $rc: $(cat err.txt)"
  grep -q 'retry' err.txt || fail "no retry happened: $(cat err.txt)"
  run -0 psql_q 'select count(*), count(distinct id), min(id), max(id) from f'
  assert_output '20000|20000|1|20000'
}

@test "postgresql: a server that stays down: exit 1 naming it, the password never shown" {
  pg_stop immediate
  run -1 --separate-stderr sp-sink "$PG_URL?table=t" --retries 2 --retry-backoff 50ms <<< '{"a":1}'
  [[ $stderr == *"postgresql://postgres:***@127.0.0.1:$PG_PORT/postgres"* ]] || fail "$stderr"
  [[ $stderr == *"gave up after 2 retries"* ]] || fail "$stderr"
  [[ $stderr != *"$PG_PASSWORD"* ]] || fail "password leaked: $stderr"
  pg_start
  run -1 --separate-stderr sp-sink "postgresql://postgres:wrong-$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres?table=t" \
    --retries 1 <<< '{"a":1}'
  [[ $stderr == *"password authentication failed"* ]] || fail "$stderr"
  [[ $stderr != *"wrong-$PG_PASSWORD"* && $stderr != *"$PG_PASSWORD"* ]] || fail "password leaked: $stderr"
  # PG* environment variables work as in psql.
  run -0 env PGUSER=postgres PGHOST=127.0.0.1 PGPORT=$PG_PORT PGDATABASE=postgres sp-sink 'postgresql://?table=envt' <<< '{"a":1}'
  run -0 psql_q 'select a from envt'
  assert_output 1
}
