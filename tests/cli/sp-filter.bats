#!/usr/bin/env bats
# sp-filter: WHERE, SELECT, --exclude, --limit, --invert, --sample, errors and counts.

load test_helper

@test "matching records pass byte-identical, the same ones python's json picks" {
  events ev.ndjson 5000
  run -0 sp-filter 'status >= 500 and path like "/api/%"' ev.ndjson -o out.ndjson
  assert_output ""
  python3 - ev.ndjson out.ndjson <<'PY'
import json, sys
want = [l for l in open(sys.argv[1], 'rb').read().split(b'\n') if l
        and (lambda d: d['status'] >= 500 and d['path'].startswith('/api/'))(json.loads(l))]
got = open(sys.argv[2], 'rb').read().split(b'\n')[:-1]
assert got == want, (len(got), len(want))
assert len(want) > 10
PY
}

@test "stdin, '-', --where with files, and sp filter from the front door" {
  events ev.ndjson 300
  sp-filter 'status = 200' < ev.ndjson > a
  sp-filter 'status = 200' - < ev.ndjson > b
  sp-filter --where 'status = 200' ev.ndjson ev.ndjson > c
  sp filter 'status = 200' ev.ndjson > d
  [[ -s a ]]
  cmp a b
  cmp a d
  cat a a | cmp - c
}

@test "--select writes a new object with named values; numbers keep their text" {
  printf '%s\n' '{"ts":"2026-11-24T10:00:00Z","user_id":"u1","latency_ms":12.50,"ua":{"browser":"Edge","os":"Linux"},"tags":["a","b"],"n":1e2}' > in.ndjson
  run -0 sp-filter true --select 'ts, user_id, latency_ms * 1000 as latency_us, ua.browser as browser, ua.os, tags[1], latency_ms, n, missing, ua, lower(user_id), to_time(ts) + 1h as later' in.ndjson
  assert_output '{"ts":"2026-11-24T10:00:00Z","user_id":"u1","latency_us":12500,"browser":"Edge","os":"Linux","tags_1":"b","latency_ms":12.50,"n":1e2,"missing":null,"ua":{"browser":"Edge","os":"Linux"},"lower(user_id)":"u1","later":"2026-11-24T11:00:00.000Z"}'
}

@test "--select escapes strings and names" {
  printf '%s\n' '{"s":"a\"b\\c\n\u00e9\t"}' > in.ndjson
  run -0 sp-filter true --select 's, s as "x\"y", concat(s, "!") as `odd name`' in.ndjson
  assert_output '{"s":"a\"b\\c\né\t","x\"y":"a\"b\\c\né\t","odd name":"a\"b\\c\né\t!"}'
}

@test "--select: two items of one name and a bad item are usage errors with a caret" {
  printf '{}\n' > in.ndjson
  run -2 sp-filter true --select 'a.x, b.x' in.ndjson
  assert_line "sp-filter: two select items are named 'x'; rename one with 'as' (column 6)"
  run -2 sp-filter true --select 'a, b c' in.ndjson
  assert_line "sp-filter: expected ',' or 'as' after a select item, found 'c' (column 6)"
  assert_line '  a, b c'
  assert_line '       ^'
}

@test "--exclude removes fields, nested ones too; the other bytes are untouched" {
  printf '%s\n' '{"a": 1, "ua": {"browser": "x", "os": "y"}, "tags": ["p", "q"], "b": 2}' '[1,2]' > in.ndjson
  run -0 sp-filter true --exclude ua.os --exclude tags,b in.ndjson
  assert_line --index 0 '{"a": 1, "ua": {"browser": "x"}}'
  assert_line --index 1 '[1,2]'
  run -0 sp-filter true --select 'a, ua' --exclude ua.browser in.ndjson
  assert_line --index 0 '{"a":1,"ua":{"os": "y"}}'
  run -2 sp-filter true --exclude 'a..b' in.ndjson
  assert_output --partial "--exclude: bad field path"
}

@test "--limit stops after N records" {
  events ev.ndjson 1000
  run -0 sp-filter 'status = 200' --limit 5 ev.ndjson
  assert_equal "${#lines[@]}" 5
  sp-filter 'status = 200' ev.ndjson | head -5 | diff - <(printf '%s\n' "${lines[@]}")
  run -0 sp-filter --stats -n 3 true ev.ndjson
  assert_line --partial '"records_in":3,"records_out":3'
}

@test "--invert writes exactly the records the condition leaves out" {
  events ev.ndjson 2000 --seed 4
  printf '{"status":"oops"}\n{"x":1}\n' >> ev.ndjson
  sp-filter -q 'status >= 400' ev.ndjson > kept
  sp-filter -q --invert 'status >= 400' ev.ndjson > left
  [[ -s kept && -s left ]]
  sort kept left | cmp - <(sort ev.ndjson)
  grep -qF '{"status":"oops"}' left
  grep -qF '{"x":1}' left
}

@test "--sample is deterministic, close to the rate, and --sample-by keeps keys whole" {
  events ev.ndjson 20000 --seed 5
  sp-filter true --sample 0.1 ev.ndjson > a
  sp-filter true --sample 0.1 ev.ndjson > b
  cmp a b
  local n
  n=$(wc -l < a)
  (( n > 1700 && n < 2300 )) || fail "kept $n of 20000 at 0.1"
  # A record kept at 0.1 is kept at 0.3.
  sp-filter true --sample 0.3 ev.ndjson > c
  [[ -z $(comm -23 <(sort a) <(sort c)) ]] || fail "sampling is not nested"
  sp-filter true --sample 0.2 --sample-by user_id ev.ndjson > k
  python3 - ev.ndjson k <<'PY'
import json, sys
by_user = {}
for l in open(sys.argv[1]):
    by_user.setdefault(json.loads(l)['user_id'], 0)
    by_user[json.loads(l)['user_id']] += 1
kept = {}
for l in open(sys.argv[2]):
    u = json.loads(l)['user_id']
    kept[u] = kept.get(u, 0) + 1
assert kept and all(kept[u] == by_user[u] for u in kept), "a user was split"
PY
  run -0 sp-filter true --sample 0 ev.ndjson
  assert_output ""
  run -2 sp-filter true --sample 1.5 ev.ndjson
}

@test "a syntax error is exit 2 with the column and a caret" {
  printf '{}\n' > in.ndjson
  run -2 sp-filter 'status >= (500 + 1' in.ndjson
  assert_output "sp-filter: expected ')' to close '(' opened at column 11 (column 19)
  status >= (500 + 1
                    ^"
  run -2 sp-filter 'lowr(path) = "x"' in.ndjson
  assert_line "sp-filter: unknown function 'lowr' (did you mean 'lower'?) (column 1)"
  run -2 sp-filter 'path =~ "a(b"' in.ndjson
  assert_line --partial "sp-filter: bad regular expression: missing closing parenthesis"
  run -2 sp-filter 'avg(latency_ms) > 1' in.ndjson
  assert_line --partial "avg() is an aggregate function"
}

@test "the condition must be one: a string-valued expression and a missing one are usage errors" {
  printf '{}\n' > in.ndjson
  run -2 sp-filter 'lower(path)' in.ndjson
  assert_line "sp-filter: the filter must be a condition (true or false), but this gives a string (column 1)"
  run -2 sp-filter < in.ndjson
  assert_line --partial "missing the condition"
  run -2 sp-filter --where '' < in.ndjson
}

@test "type errors make the condition null: the record is left out and the error counted" {
  printf '%s\n' '{"status":500}' '{"status":"500"}' '{"status":"x"}' '{"status":503}' > in.ndjson
  run -0 --separate-stderr sp-filter --stats 'status >= 500' in.ndjson
  assert_output $'{"status":500}\n{"status":503}'
  [[ $stderr == *"sp-filter: 2 evaluation errors made values null (the first: column 8: cannot compare string with number using '>=')"* ]]
  [[ $stderr == *'"records_in":4,"records_out":2,"rejected":0'*'"filtered_out":2,"sampled_out":0,"eval_errors":2'* ]]
  run -0 --separate-stderr sp-filter -q 'status >= 500' in.ndjson
  [[ -z $stderr ]]
}

@test "SQL null logic: missing fields are null, and/or decide around them" {
  printf '%s\n' '{"a":1}' '{"a":1,"b":2}' '{}' > in.ndjson
  run -0 sp-filter 'b = 2 or a = 1' in.ndjson
  assert_output $'{"a":1}\n{"a":1,"b":2}'
  run -0 sp-filter 'b = 2 or a is null' in.ndjson
  assert_output $'{"a":1,"b":2}\n{}'
  run -0 sp-filter 'b != 2' in.ndjson
  assert_output ""
  run -0 sp-filter 'b is null' in.ndjson
  assert_output $'{"a":1}\n{}'
  run -0 sp-filter 'not (b = 2)' in.ndjson
  assert_output ""
  run -0 sp-filter --invert 'b = 2' in.ndjson
  assert_output $'{"a":1}\n{}'
}

@test "lines that are not JSON where they are read are rejected, kept and counted; --strict exits 3" {
  printf '%s\n' '{"status":500}' '{"status":' 'hello' '{"status":501,"x":tru}' '{"status":502}' > in.ndjson
  run -3 --separate-stderr sp-filter --strict --stats --dead-letter dl.ndjson 'status >= 500' in.ndjson
  # The fourth line is not read past "status": it passes (sp-validate checks every byte).
  assert_output $'{"status":500}\n{"status":501,"x":tru}\n{"status":502}'
  run -0 jq -r '[.line, .error] | @tsv' dl.ndjson
  assert_line --index 0 --partial $'2\tnot JSON: '
  assert_line --index 1 --partial $'3\tnot JSON: '
  [[ $stderr == *'"records_in":5,"records_out":3,"rejected":2,"empty_lines":0,"malformed":2'* ]]
}

@test "a constant condition does not parse the lines" {
  printf '%s\n' '{"a":1}' 'not json' > in.ndjson
  run -0 sp-filter true in.ndjson
  assert_output $'{"a":1}\nnot json'
  run -0 sp-filter --stats '1 > 2' in.ndjson
  assert_line --partial '"records_in":2,"records_out":0,"rejected":0'
}

@test "CRLF input, empty lines, compressed input and output" {
  printf '{"a":1}\r\n\r\n{"a":2}\r\n' > crlf.ndjson
  run -0 sp-filter 'a > 0' crlf.ndjson
  assert_output $'{"a":1}\n{"a":2}'
  events ev.ndjson 500
  sp-filter 'status < 400' ev.ndjson > plain
  zstd -q -c ev.ndjson > ev.zst
  sp-filter 'status < 400' ev.zst -o out.zst
  zstd -q -d -c out.zst | cmp - plain
}

@test "--config reads the condition and options from TOML" {
  events ev.ndjson 300
  printf 'where = "status = 404"\nselect = "status, path"\nlimit = 2\n' > f.toml
  run -0 sp-filter --config f.toml ev.ndjson
  assert_equal "${#lines[@]}" 2
  assert_line --index 0 --regexp '^\{"status":404,"path":"[^"]*"\}$'
}

@test "a closed stdout (| head -1) ends the program quietly with exit 0" {
  events ev.ndjson 20000
  run bash -c 'sp-filter "status > 0" ev.ndjson 2>err.txt | head -1 > /dev/null; echo "${PIPESTATUS[0]}"'
  assert_output "0"
  assert_file_empty err.txt
}

@test "a file name given where the condition goes gets a warning" {
  events ev.ndjson 10
  run sp-filter ev.ndjson < /dev/null
  assert_line "sp-filter: 'ev.ndjson' is used as the condition, but it is also a file name (to keep every record, write: sp-filter true ...)"
}
