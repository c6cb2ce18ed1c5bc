#!/usr/bin/env bats
# sp-sink with local destinations: stdout, files, segments (rotation, time partitions, zstd),
# "_sp" stripping, batching, SIGTERM, dead letters, usage errors.

load test_helper

@test "stdout: records pass through byte-identical" {
  events ev.ndjson 3000
  run -0 --separate-stderr sp-sink - ev.ndjson
  sp-sink - < ev.ndjson > out.ndjson
  cmp ev.ndjson out.ndjson
}

@test "_sp is stripped (first, middle, last, only member) unless --keep-meta" {
  printf '%s\n' '{"_sp":{"f":1,"o":9},"a":1}' '{"a":2,"_sp":[1,2],"b":3}' '{"a":3, "_sp" : 7}' '{"_sp":1}' \
    '{"a":"_sp","b":{"_sp":1}}' > in.ndjson
  run -0 sp-sink - in.ndjson
  assert_output $'{"a":1}\n{"a":2,"b":3}\n{"a":3}\n{}\n{"a":"_sp","b":{"_sp":1}}'
  run -0 sp-sink --keep-meta - in.ndjson
  assert_output "$(cat in.ndjson)"
}

@test "a plain path is appended to and fsync'd; file:// works too" {
  events ev.ndjson 500
  run -0 sp-sink out.ndjson ev.ndjson
  run -0 sp-sink "file://$PWD/out.ndjson" < ev.ndjson
  cat ev.ndjson ev.ndjson | cmp - out.ndjson
  [[ ! -e out.ndjson.tmp ]]
}

@test "a .zst path is zstd-compressed; appending adds a frame" {
  events ev.ndjson 2000
  run -0 sp-sink out.ndjson.zst ev.ndjson
  run -0 sp-sink out.ndjson.zst ev.ndjson
  [[ $(file -b out.ndjson.zst) == Zstandard* ]]
  cat ev.ndjson ev.ndjson | cmp - <(zstd -dc out.ndjson.zst)
}

@test "time-partitioned template: every record lands in the file of its own hour, no .tmp left" {
  "$GEN_EVENTS" --lines 5000 --eps 1 > ev.ndjson   # 5000 s of event time: two hours or more
  run -0 sp-sink 'out/dt=%Y-%m-%d/hour=%H/events-{seq}.ndjson.zst' --time-field ts ev.ndjson
  run -0 find out -name '*.tmp'
  assert_output ""
  local n=0 f
  for f in out/dt=*/hour=*/events-*.ndjson.zst; do
    [[ $f =~ dt=([0-9-]+)/hour=([0-9]+)/events-[0-9]{6}\.ndjson\.zst$ ]] || fail "bad name $f"
    local prefix="${BASH_REMATCH[1]}T${BASH_REMATCH[2]}"
    run -0 bash -c "zstd -dc '$f' | jq -r .ts | cut -c1-13 | sort -u"
    assert_output "$prefix"
    n=$((n + 1))
  done
  ((n > 1)) || fail "expected several hour files, got $n"
  cat out/dt=*/hour=*/*.zst | zstd -dc | sort | cmp - <(sort ev.ndjson)
}

@test "--rotate-size cuts segments; {seq} is added when missing; a rerun never overwrites" {
  events ev.ndjson 3000
  run -0 sp-sink out/events.ndjson --rotate-size 100K ev.ndjson
  run -0 ls out
  assert_line events-000001.ndjson
  assert_line events-000002.ndjson
  local files
  files=$(ls out | wc -l)
  ((files >= 7)) || fail "only $files segments"
  for f in out/*; do (($(stat -c %s "$f") < 100 * 1024 + 2000)) || fail "$f too big"; done
  cat out/* | cmp - ev.ndjson
  run -0 sp-sink out/events.ndjson --rotate-size 100K ev.ndjson
  (($(ls out | wc -l) == 2 * files)) || fail "rerun overwrote segments"
}

@test "--rotate-interval closes the open segment on time, while the input stays open" {
  mkfifo in.fifo
  sp-sink 'seg/part-{seq}.ndjson' --rotate-interval 1s --flush-interval 100ms < in.fifo &
  local pid=$!
  exec 7> in.fifo
  echo '{"n":1}' >&7
  sleep 2.5
  echo '{"n":2}' >&7
  sleep 0.5
  # The first segment is complete (renamed), the second still open as .tmp.
  run -0 cat seg/part-000001.ndjson
  assert_output '{"n":1}'
  assert_file_exists seg/part-000002.ndjson.tmp
  exec 7>&-
  wait "$pid"
  run -0 cat seg/part-000002.ndjson
  assert_output '{"n":2}'
}

@test "--flush-interval: a partial batch is written while the input is quiet" {
  mkfifo in.fifo
  sp-sink out.ndjson --batch-size 1000 --flush-interval 200ms < in.fifo &
  local pid=$!
  exec 7> in.fifo
  printf '{"n":%d}\n' 1 2 3 >&7
  local i
  for i in $(seq 50); do [[ -s out.ndjson ]] && break; sleep 0.1; done
  run -0 cat out.ndjson
  assert_output $'{"n":1}\n{"n":2}\n{"n":3}'
  exec 7>&-
  wait "$pid"
}

@test "SIGTERM: everything read is flushed, segments completed, exit 0" {
  mkfifo in.fifo
  sp-sink 'out/e-{seq}.ndjson.zst' --batch-size 100000 --flush-interval 1h --stats < in.fifo 2> err.txt &
  local pid=$!
  exec 7> in.fifo
  events ev.ndjson 2000
  cat ev.ndjson >&7
  sleep 0.5
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "exit $rc: $(cat err.txt)"
  exec 7>&-
  zstd -dc out/e-000001.ndjson.zst | cmp - ev.ndjson
  run -0 find out -name '*.tmp'
  assert_output ""
  run -0 jq -c '[.records_in,.records_out,.durable]' err.txt
  assert_output '[2000,2000,2000]'
}

@test "malformed lines and records without event time go to the dead-letter file" {
  printf '%s\n' '{"ts":"2026-11-24T10:00:00Z","a":1}' '{"ts":' '{"a":2}' '{"ts":1764000000,"a":3}' > in.ndjson
  run -0 --separate-stderr sp-sink 'p/%H/x.ndjson' --time-field ts --dead-letter dl.ndjson in.ndjson
  run -0 jq -c '[.line,.error]' dl.ndjson
  assert_line --index 0 --partial '[2,"truncated'
  assert_line --index 1 "[3,\"no usable event time in field 'ts'\"]"
  run -0 cat p/10/x-000001.ndjson
  assert_output '{"ts":"2026-11-24T10:00:00Z","a":1}'
  run -0 cat p/16/x-000001.ndjson
  assert_output '{"ts":1764000000,"a":3}'
  run -3 sp-sink out.ndjson --strict -q in.ndjson
}

@test "usage errors exit 2; an unwritable destination exits 1 naming it" {
  run -2 sp-sink 'nosuch://x'
  assert_output --partial "unknown destination scheme 'nosuch'"
  run -2 sp-sink - --rotate-size 1M < /dev/null
  assert_output --partial "need a file destination"
  run -2 sp-sink 'file:///tmp/x?bogus=1' < /dev/null
  assert_output --partial "unknown parameter 'bogus'"
  run -2 sp-sink --batch-size 0
  mkdir ro && chmod 500 ro
  if [[ $(id -u) == 0 ]]; then
    run -1 sp-sink /proc/version/out.ndjson < /dev/null
    assert_output --partial "/proc/version/out.ndjson"
  else
    run -1 sp-sink ro/out.ndjson < /dev/null
    assert_output --partial "ro/out.ndjson"
  fi
}

@test "--stats counts batches; records_in = records_out + rejected" {
  events ev.ndjson 2500
  run -0 --separate-stderr sp-sink out.ndjson --batch-size 1000 --stats ev.ndjson
  run -0 jq -c '[.records_in,.records_out,.rejected,.batches]' <<< "$stderr"
  assert_output '[2500,2500,0,3]'
}

# ---- SQLite (the embedded default), checked with the sqlite3 CLI.

@test "sqlite: the table is created from the first batch with inferred types; nested values as JSON text" {
  events ev.ndjson 3000
  run -0 sp-sink 'sqlite://ev.db?table=events' ev.ndjson --batch-size 700
  run -0 sqlite3 ev.db "select name || ' ' || type from pragma_table_info('events')"
  assert_line 'ts TEXT'
  assert_line 'status INTEGER'
  assert_line 'latency_ms REAL'
  assert_line 'ua TEXT'
  assert_line 'tags TEXT'
  run -0 sqlite3 ev.db 'pragma journal_mode'
  assert_output wal
  run -0 sqlite3 ev.db 'select count(*), sum(status), count(tags) from events'
  assert_output "3000|$(jq -s 'map(.status)|add' ev.ndjson)|$(jq -s 'map(select(.tags))|length' ev.ndjson)"
  run -0 sqlite3 ev.db "select json_extract(ua, '$.browser') from events limit 1"
  assert_output "$(head -1 ev.ndjson | jq -r .ua.browser)"
  # Appending to an existing table.
  run -0 sp-sink "sqlite://$PWD/ev.db?table=events" ev.ndjson
  run -0 sqlite3 ev.db 'select count(*) from events'
  assert_output 6000
}

@test "sqlite: --schema gives the columns; ?raw= keeps the whole record; new members add columns" {
  events ev.ndjson 200
  run -0 sp-sink 'sqlite://s.db?table=t&raw=doc' --schema "$SP_SHARED_DIR/bench/events.schema.json" ev.ndjson
  run -0 sqlite3 s.db "select group_concat(name, ',') from pragma_table_info('t')"
  assert_output 'ts,host,service,user_id,ip,method,path,status,bytes,latency_ms,country,ua,tags,doc'
  run -0 sqlite3 s.db "select doc from t limit 1"
  assert_output "$(head -1 ev.ndjson)"
  echo '{"ts":"x","extra":1.5,"flag":true}' | sp-sink 'sqlite://s.db?table=t&raw=doc'
  run -0 sqlite3 s.db "select extra, flag, typeof(extra) from t where ts = 'x'"
  assert_output '1.5|1|real'
}

@test "sqlite: ?upsert= updates rows in place" {
  printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}' '{"id":1,"v":"c"}' > in.ndjson
  run -0 sp-sink 'sqlite:u.db?table=kv&upsert=id' in.ndjson
  run -0 sp-sink 'sqlite:u.db?table=kv&upsert=id' in.ndjson
  run -0 sqlite3 u.db 'select id, v from kv order by id'
  assert_output $'1|c\n2|b'
  run -2 sp-sink 'sqlite:u2.db?table=kv&upsert=nope' in.ndjson
  assert_output --partial "upsert key 'nope'"
}

@test "sqlite: rows the database refuses go to the dead-letter file, the rest of the batch is kept" {
  sqlite3 c.db 'create table t (id integer not null, name text check (length(name) < 5))'
  printf '%s\n' '{"id":1,"name":"ok"}' '{"name":"no id"}' '[1,2]' '{"id":3,"name":"too long"}' '{"id":4}' > in.ndjson
  run -0 --separate-stderr sp-sink 'sqlite://c.db?table=t' --dead-letter dl.ndjson --stats in.ndjson
  run -0 sqlite3 c.db 'select id from t order by id'
  assert_output $'1\n4'
  run -0 jq -c '[.line,.error]' dl.ndjson
  assert_line --index 0 '[2,"NOT NULL constraint failed: t.id"]'
  assert_line --index 1 '[3,"not a JSON object: a table row needs one"]'
  assert_line --index 2 --partial '[4,"CHECK constraint failed'
}

@test "sqlite: rows are queryable after each flush, while sp-sink runs" {
  mkfifo in.fifo
  sp-sink 'sqlite://live.db?table=t' --flush-interval 100ms < in.fifo &
  local pid=$!
  exec 7> in.fifo
  printf '{"n":%d}\n' 1 2 3 >&7
  local i
  for i in $(seq 50); do
    [[ $(sqlite3 live.db 'select count(*) from t' 2>/dev/null) == 3 ]] && break
    sleep 0.1
  done
  run -0 sqlite3 live.db 'select sum(n) from t'
  assert_output 6
  exec 7>&-
  wait "$pid"
}

@test "sqlite: a database that cannot be opened exits 1 naming it" {
  run -1 sp-sink 'sqlite:///nonexistent-dir/x.db?table=t' < /dev/null
  assert_output --partial "/nonexistent-dir/x.db"
}
