#!/usr/bin/env bats
# sp-enrich: lookups (CSV, TSV, NDJSON, SQLite, IP ranges), misses, reloads, edits, errors.

load test_helper

USERS=$SP_SHARED_DIR/bench/users.csv

# join_reference EVENTS USERS OUT: what a CSV join on user_id gives, by python3's json and csv.
join_reference() {
  python3 - "$1" "$2" > "$3" <<'PY'
import csv, json, sys
users = {}
with open(sys.argv[2], newline='') as f:
    for row in csv.DictReader(f):
        users.setdefault(row['user_id'], row)
for line in open(sys.argv[1], 'rb'):
    rec = json.loads(line)
    u = users.get(rec.get('user_id'))
    if u:
        rec['plan'] = u['plan']
        rec['signup_country'] = u['signup_country']
    print(json.dumps(rec, separators=(',', ':'), ensure_ascii=False))
PY
}

# wait_lines FILE N: waits (up to 20 s) until FILE has N lines; output is flushed whenever the
# program waits for input, so this is how a test knows a record was processed.
wait_lines() {
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -f $1 && $(wc -l < "$1") -ge $2 ]] && return 0
    sleep 0.1
  done
  fail "$1 did not reach $2 lines"
}

@test "CSV join: the same records python's csv and json give, unmatched ids (~0.5%) unchanged" {
  events ev.ndjson 20000 --seed 11
  run -0 --separate-stderr sp-enrich --stats --lookup "$USERS" --on user_id ev.ndjson -o out.ndjson
  join_reference ev.ndjson "$USERS" want.ndjson
  # Compare as data (python re-serializes); then check the untouched bytes separately.
  python3 - out.ndjson want.ndjson <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [json.loads(l) for l in open(sys.argv[2])]
assert got == want, next((i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w)
unmatched = sum(1 for r in got if 'plan' not in r)
assert 0.002 * len(got) < unmatched < 0.01 * len(got), unmatched
PY
  local misses
  misses=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if "plan" not in json.loads(l)))' out.ndjson)
  [[ $stderr == *"\"records_in\":20000,\"records_out\":20000,"* ]]
  [[ $stderr == *"\"hits\":$((20000 - misses)),\"misses\":$misses,"* ]]
  # Matched records are the original bytes with the members appended; others byte-identical.
  python3 - ev.ndjson out.ndjson <<'PY'
import sys
for a, b in zip(open(sys.argv[1], 'rb'), open(sys.argv[2], 'rb')):
    a, b = a.rstrip(b'\n'), b.rstrip(b'\n')
    assert a == b or (b.startswith(a[:-1] + b',"plan":"') and b.endswith(b'}')), (a, b)
PY
}

@test "CSV values: number columns stay numbers, text columns strings; --fields, --prefix, --as" {
  printf 'id,name,score,zip,mixed,empty\n1,Ann,10,01234,12,\n2,"Bob, Jr.",2.5e1,99999,n/a,\n3,Cy,,00001,7,\n' > t.csv
  printf '%s\n' '{"id":1}' '{"id":"2","x":true}' '{"id":3}' '{"id":4}' > in.ndjson
  run -0 sp-enrich --lookup t.csv --on id in.ndjson
  assert_line --index 0 '{"id":1,"name":"Ann","score":10,"zip":"01234","mixed":"12","empty":""}'
  assert_line --index 1 '{"id":"2","x":true,"name":"Bob, Jr.","score":2.5e1,"zip":"99999","mixed":"n/a","empty":""}'
  assert_line --index 2 '{"id":3,"name":"Cy","score":null,"zip":"00001","mixed":"7","empty":""}'
  assert_line --index 3 '{"id":4}'
  run -0 sp-enrich --lookup t.csv --on id --fields score,name --prefix t_ in.ndjson
  assert_line --index 0 '{"id":1,"t_score":10,"t_name":"Ann"}'
  run -0 sp-enrich --lookup t.csv --on id --fields name --as who in.ndjson
  assert_line --index 0 '{"id":1,"who":{"name":"Ann"}}'
}

@test "--on FIELD=COLUMN, nested key fields, TSV and NDJSON tables, two lookups" {
  printf 'uid\tplan\nu1\tpro\n' > t.tsv
  printf '%s\n' '{"key":"u1","n":1.50,"tags":["a"],"o":{"k":null}}' '{"key":7,"n":2}' > t.ndjson
  printf '%s\n' '{"u":{"id":"u1"},"k":"u1"}' '{"u":{"id":"u2"},"k":7}' > in.ndjson
  run -0 sp-enrich --lookup t.tsv --on u.id=uid --lookup t.ndjson --on k=key --prefix x_ in.ndjson
  assert_line --index 0 '{"u":{"id":"u1"},"k":"u1","plan":"pro","x_n":1.50,"x_tags":["a"],"x_o":{"k":null}}'
  assert_line --index 1 '{"u":{"id":"u2"},"k":7,"x_n":2}'
}

@test "a member that exists already is replaced in place; an empty object gets members" {
  printf 'id,plan\n1,pro\n' > t.csv
  printf '%s\n' '{"plan":"old", "id": 1 , "z":0}' '{ }' '{"id":1,"note":"the \"plan\" is"}' > in.ndjson
  run -0 sp-enrich --lookup t.csv --on id --on-miss 'default:{"plan":"none"}' in.ndjson
  assert_line --index 0 '{"plan":"pro", "id": 1 , "z":0}'
  assert_line --index 1 '{ "plan":"none"}'
  assert_line --index 2 '{"id":1,"note":"the \"plan\" is","plan":"pro"}'
}

@test "--on-miss keep, drop, dead-letter, default:JSON; --strict" {
  printf 'id,plan,n\n1,pro,5\n' > t.csv
  printf '%s\n' '{"id":1}' '{"id":2}' '{"x":0}' '[1]' > in.ndjson
  run -0 sp-enrich --lookup t.csv --on id in.ndjson
  assert_output $'{"id":1,"plan":"pro","n":5}\n{"id":2}\n{"x":0}\n[1]'
  run -0 --separate-stderr sp-enrich --stats --lookup t.csv --on id --on-miss drop in.ndjson
  assert_output '{"id":1,"plan":"pro","n":5}'
  [[ $stderr == *'"hits":1,"misses":3,"dropped":3'* ]]
  run -3 --separate-stderr sp-enrich --strict --lookup t.csv --on id --on-miss dead-letter --dead-letter dl.ndjson in.ndjson
  assert_output '{"id":1,"plan":"pro","n":5}'
  [[ $stderr == "sp-enrich: 3 records rejected, written to dl.ndjson" ]]
  run -0 jq -r '[.line, .error, .raw] | @tsv' dl.ndjson
  assert_line --index 0 $'2\tno match in t.csv for id "2"\t{"id":2}'
  assert_line --index 1 $'3\tno match in t.csv for id (missing, null, or not a string or number)\t{"x":0}'
  assert_equal "${#lines[@]}" 3
  run -0 sp-enrich --lookup t.csv --on id --on-miss default:null in.ndjson
  assert_output $'{"id":1,"plan":"pro","n":5}\n{"id":2,"plan":null,"n":null}\n{"x":0,"plan":null,"n":null}\n[1]'
  run -0 sp-enrich --lookup t.csv --on id --fields plan --on-miss 'default:"?"' in.ndjson
  assert_line --index 1 '{"id":2,"plan":"?"}'
  run -2 sp-enrich --lookup t.csv --on id --on-miss default:nope in.ndjson
  assert_output --partial "--on-miss default:JSON: not JSON"
  run -2 sp-enrich --lookup t.csv --on id --on-miss sometimes in.ndjson
  assert_output --partial "expected keep, drop, dead-letter or default:JSON"
}

@test "a table that changes is reloaded before the next record; a broken one keeps the old table" {
  printf 'id,plan\n1,free\n' > t.csv
  mkfifo in.fifo
  sp-enrich -v --stats --lookup t.csv --on id < in.fifo > out.ndjson 2> err.txt &
  local pid=$!
  exec 5> in.fifo
  echo '{"id":1}' >&5
  wait_lines out.ndjson 1
  sleep 1.1
  printf 'id,plan\n1,pro\n' > t.csv.new && mv t.csv.new t.csv
  echo '{"id":1}' >&5
  wait_lines out.ndjson 2
  sleep 1.1
  printf 'id,plan\n1,"broken\n' > t.csv   # an unclosed quote
  echo '{"id":1}' >&5
  wait_lines out.ndjson 3
  exec 5>&-
  wait "$pid"
  run cat out.ndjson
  assert_output $'{"id":1,"plan":"free"}\n{"id":1,"plan":"pro"}\n{"id":1,"plan":"pro"}'
  run cat err.txt
  assert_line --partial "t.csv: reloaded, 1 rows"
  assert_line --partial "reloading failed, keeping the table read before: t.csv: line 2: a quoted cell is not closed"
  assert_line --partial '"reloads":1,"reload_failures":1'
}

@test "SIGHUP reloads the tables" {
  printf 'id,plan\n1,free\n' > t.csv
  mkfifo in.fifo
  sp-enrich --lookup t.csv --on id < in.fifo > out.ndjson 2> err.txt &
  local pid=$!
  exec 5> in.fifo
  echo '{"id":1}' >&5
  wait_lines out.ndjson 1
  # Same size and mtime kept: only SIGHUP can tell.
  touch -r t.csv ref
  printf 'id,plan\n1,frei\n' > t.csv
  touch -r ref t.csv
  sleep 1.1
  echo '{"id":1}' >&5
  wait_lines out.ndjson 2
  kill -HUP "$pid"
  sleep 0.2
  echo '{"id":1}' >&5
  exec 5>&-
  wait "$pid"
  run cat out.ndjson
  # The inode of t.csv is unchanged (rewritten in place) and so are mtime and size.
  assert_output $'{"id":1,"plan":"free"}\n{"id":1,"plan":"free"}\n{"id":1,"plan":"frei"}'
  assert_file_empty err.txt
}

@test "--set, --rename, --delete, --flatten; unchanged records stay byte-identical" {
  printf '%s\n' '{"a": 1, "ua": {"os": "x", "v": {"n": 2}}, "tags": ["p"], "s":"t"}' > in.ndjson
  run -0 sp-enrich --set 'b=a * 10' --set 'c.d=upper(s)' --rename ua=agent --delete tags in.ndjson
  assert_output '{"a": 1, "agent": {"os": "x", "v": {"n": 2}}, "s":"t","b":10,"c":{"d":"T"}}'
  run -0 sp-enrich --flatten in.ndjson
  assert_output '{"a":1,"ua.os":"x","ua.v.n":2,"tags":["p"],"s":"t"}'
  run -0 sp-enrich --flatten=_ in.ndjson
  assert_output '{"a":1,"ua_os":"x","ua_v_n":2,"tags":["p"],"s":"t"}'
  printf '%s\n' '{"flat": 1,  "e":{}}' > flat.ndjson
  run -0 sp-enrich --flatten flat.ndjson
  assert_output '{"flat": 1,  "e":{}}'
  run -0 sp-enrich --set 'x=missing' in.ndjson
  assert_output '{"a": 1, "ua": {"os": "x", "v": {"n": 2}}, "tags": ["p"], "s":"t","x":null}'
  run -0 sp-enrich --rename nothere=y --delete nothere2 in.ndjson
  assert_output "$(cat in.ndjson)"
  run -2 sp-enrich --set 'b=a +' in.ndjson
  assert_output --partial "sp-enrich:"
  run -2 sp-enrich --set 'nothing' in.ndjson
  assert_output --partial "--set: expected FIELD=EXPR"
  run -2 sp-enrich in.ndjson
  assert_output --partial "nothing to do"
}

@test "--add-time, --add-host, --uuid" {
  printf '%s\n' '{"a":1}' '{"a":2}' > in.ndjson
  run -0 sp-enrich --add-time t --add-host h --uuid id in.ndjson
  python3 - "$output" "$(hostname)" <<'PY'
import json, re, sys
recs = [json.loads(l) for l in sys.argv[1].split('\n')]
assert len(recs) == 2
for r in recs:
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', r['t']), r
    assert r['h'] == sys.argv[2], r
    assert re.fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', r['id']), r
assert recs[0]['id'] != recs[1]['id']
PY
}

@test "--ip-ranges: CIDR and start-end, IPv4 and IPv6, nested ranges, misses" {
  cat > geo.csv <<'CSV'
network,country,asn
10.0.0.0/8,ZZ,1
10.1.0.0/16,YY,2
1.2.3.0-1.2.3.255,AU,3
2001:db8::/32,DOC,4
2001:db8:1::/48,DOC1,5
CSV
  printf '%s\n' '{"ip":"10.9.9.9"}' '{"ip":"10.1.2.3"}' '{"ip":"1.2.3.4"}' '{"ip":"2001:db8::7"}' \
    '{"ip":"2001:db8:1::1"}' '{"ip":"::ffff:10.1.0.1"}' '{"ip":"8.8.8.8"}' '{"ip":"bogus"}' > in.ndjson
  run -0 --separate-stderr sp-enrich --stats --ip-ranges geo.csv --on ip --prefix geo_ in.ndjson
  assert_output '{"ip":"10.9.9.9","geo_country":"ZZ","geo_asn":1}
{"ip":"10.1.2.3","geo_country":"YY","geo_asn":2}
{"ip":"1.2.3.4","geo_country":"AU","geo_asn":3}
{"ip":"2001:db8::7","geo_country":"DOC","geo_asn":4}
{"ip":"2001:db8:1::1","geo_country":"DOC1","geo_asn":5}
{"ip":"::ffff:10.1.0.1","geo_country":"YY","geo_asn":2}
{"ip":"8.8.8.8"}
{"ip":"bogus"}'
  [[ $stderr == *'"hits":6,"misses":2'* ]]
  printf 'start,end,name\n192.168.0.0,192.168.255.255,lan\n' > se.csv
  run -0 sp-enrich --ip-ranges se.csv --on ip <<< '{"ip":"192.168.1.1"}'
  assert_output '{"ip":"192.168.1.1","name":"lan"}'
  printf 'net,name\n10.0.0.0/40,bad\n' > bad.csv
  run -2 sp-enrich --ip-ranges bad.csv --on ip <<< '{}'
  assert_output --partial "bad.csv: line 2: bad prefix length '40'"
}

@test "SQLite lookups, made with the sqlite3 program" {
  sqlite3 users.db "create table users(id text primary key, plan text, credits integer, ratio real, note text);
    insert into users values ('u1', 'pro', 5, 0.5, null), ('42', 'free', 0, 1.25, 'n');"
  printf '%s\n' '{"user":"u1"}' '{"user":42}' '{"user":"u9"}' '{"user":"u1"}' > in.ndjson
  run -0 --separate-stderr sp-enrich --stats --lookup 'sqlite://users.db?table=users' --on user=id in.ndjson
  assert_output '{"user":"u1","plan":"pro","credits":5,"ratio":0.5,"note":null}
{"user":42,"plan":"free","credits":0,"ratio":1.25,"note":"n"}
{"user":"u9"}
{"user":"u1","plan":"pro","credits":5,"ratio":0.5,"note":null}'
  [[ $stderr == *'"hits":3,"misses":1'* ]]
  run -0 sp-enrich --lookup "sqlite://$PWD/users.db?table=users" --on user=id --fields plan --as u --cache-size 0 in.ndjson
  assert_line --index 0 '{"user":"u1","u":{"plan":"pro"}}'
  run -2 sp-enrich --lookup 'sqlite://users.db?table=nope' --on user=id in.ndjson
  assert_output --partial "no such table: nope"
  run -2 sp-enrich --lookup 'sqlite://users.db?table=users' --on user in.ndjson
  assert_output --partial "has no column 'user'"
  run -2 sp-enrich --lookup 'sqlite://missing.db?table=users' --on user in.ndjson
  assert_output --partial "cannot read missing.db"
}

@test "a bad lookup table is a usage error (exit 2) that names it" {
  printf '{}\n' > in.ndjson
  run -2 sp-enrich --lookup nope.csv --on id in.ndjson
  assert_output --partial "sp-enrich: --lookup: "
  assert_output --partial "nope.csv"
  printf 'a,b\n1,2,3\n' > ragged.csv
  run -2 sp-enrich --lookup ragged.csv --on a in.ndjson
  assert_output "sp-enrich: --lookup: ragged.csv: line 2: 3 cells, but the header has 2 columns"
  printf 'a,b\n1,2\n' > t.csv
  run -2 sp-enrich --lookup t.csv --on id in.ndjson
  assert_output "sp-enrich: --lookup: t.csv: no column 'id' (the key column); the header has: a, b"
  run -2 sp-enrich --lookup t.csv --on a --fields b,c in.ndjson
  assert_output --partial "no column 'c' (named in --fields)"
  : > empty.csv
  run -2 sp-enrich --lookup empty.csv --on a in.ndjson
  assert_output --partial "empty.csv: empty file"
  printf '{"k":1}\nnot json\n' > t.ndjson
  run -2 sp-enrich --lookup t.ndjson --on k in.ndjson
  assert_output --partial "t.ndjson: line 2: not JSON"
  run -2 sp-enrich --lookup t.csv in.ndjson
  assert_output --partial "which field holds the key? add --on FIELD"
  run -2 sp-enrich --on a --lookup t.csv in.ndjson
  assert_output --partial "--on applies to a lookup"
  run -2 sp-enrich --lookup 'ftp://x/y' --on a in.ndjson
  assert_output --partial "unknown kind of source"
}

@test "malformed lines go to the dead letters; nothing crashes on generated bad input" {
  printf '%s\n' '{"user_id":"u000001"}' '{"user_id":' 'hello' '{"user_id":"u000002"}' > in.ndjson
  run -3 --separate-stderr sp-enrich --strict --stats --dead-letter dl.ndjson --lookup "$USERS" --on user_id in.ndjson
  assert_line --index 0 --regexp '^\{"user_id":"u000001","plan":"[a-z]+","signup_country":"[A-Z]+"\}$'
  assert_equal "${#lines[@]}" 2
  run -0 jq -r '[.line, .error] | @tsv' dl.ndjson
  assert_line --index 0 --partial $'2\tnot JSON: '
  assert_line --index 1 --partial $'3\tnot JSON: '
  "$GEN_EVENTS" --lines 3000 --bad-rate 0.3 --seed 9 > mixed.ndjson
  run sp-enrich -q --dead-letter dl2.ndjson --lookup "$USERS" --on user_id --set 'x=latency_ms * 2' --flatten mixed.ndjson -o out.ndjson
  assert_equal "$status" 0
  [[ -s dl2.ndjson ]]
  # Every line written is JSON.
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], "rb")]' out.ndjson
}

@test "a closed stdout ends quietly; compressed input and output; --config" {
  events ev.ndjson 20000
  run bash -c "sp-enrich --lookup '$USERS' --on user_id ev.ndjson 2>err.txt | head -1 > /dev/null; echo \"\${PIPESTATUS[0]}\""
  assert_output "0"
  assert_file_empty err.txt
  head -500 ev.ndjson > small.ndjson
  sp-enrich --lookup "$USERS" --on user_id small.ndjson > plain
  zstd -q -c small.ndjson > small.zst
  sp-enrich --lookup "$USERS" --on user_id small.zst -o out.zst
  zstd -q -d -c out.zst | cmp - plain
  printf 'lookup = "%s"\non = "user_id"\nfields = "plan"\n' "$USERS" > f.toml
  run -0 sp-enrich --config f.toml small.ndjson
  assert_line --index 0 --regexp ',"plan":"[a-z]+"\}$'
}

@test "--flatten leaves _sp alone and survives very deep records" {
  printf '%s\n' '{"_sp":{"f":{"i":1}},"a":{"b":1}}' > in.ndjson
  run -0 sp-enrich --flatten in.ndjson
  assert_output '{"_sp":{"f":{"i":1}},"a.b":1}'
  python3 -c 'print("{\"a\":" * 100000 + "1" + "}" * 100000)' > deep.ndjson
  run sp-enrich -q --flatten --set 'x=1' deep.ndjson -o out.ndjson
  assert_equal "$status" 0
  python3 -c 'print(open("out.ndjson").read().count("{"))'
}
