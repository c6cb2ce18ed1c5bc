#!/usr/bin/env bats
# sp-validate without a schema: well-formedness, pass-through, dead letters, bad input.

load test_helper

@test "good lines pass through byte-identical" {
  events ev.ndjson 2000
  run -0 sp-validate ev.ndjson -o out.ndjson
  assert_output ""
  cmp ev.ndjson out.ndjson
}

@test "stdin to stdout, and '-' means stdin" {
  events ev.ndjson 100
  sp-validate < ev.ndjson > a.ndjson
  sp-validate - < ev.ndjson > b.ndjson
  cmp ev.ndjson a.ndjson
  cmp ev.ndjson b.ndjson
}

@test "corrupted events: every well-formed line passes, every other lands in the dead-letter file" {
  "$GEN_EVENTS" --lines 5000 --bad-rate 0.05 --seed 11 > mixed.ndjson
  run -0 sp-validate --dead-letter dl.ndjson mixed.ndjson -o good.ndjson
  # Reference: python's strict JSON parser (no NaN/Infinity, strict UTF-8).
  python3 - mixed.ndjson good.ndjson dl.ndjson <<'PY'
import json, sys
def const(x): raise ValueError(x)
lines = open(sys.argv[1], 'rb').read().split(b'\n')
if lines and lines[-1] == b'': lines.pop()
good, bad = [], []
for n, raw in enumerate(lines, 1):
    if raw.strip(b' \t\r') == b'': continue
    try:
        json.loads(raw.decode('utf-8'), parse_constant=const); good.append(raw)
    except Exception:
        bad.append(n)
out = open(sys.argv[2], 'rb').read().split(b'\n')[:-1]
assert out == good, "good lines differ: %d vs %d" % (len(out), len(good))
dl = [json.loads(l) for l in open(sys.argv[3], 'rb').read().decode('utf-8').splitlines()]
assert [d['line'] for d in dl] == bad, "dead-letter line numbers differ"
for d in dl:
    assert d['error'], d
    raw = lines[d['line'] - 1]
    if 'raw_base64' in d:
        import base64
        assert base64.b64decode(d['raw_base64']) == raw
    else:
        assert d['raw'].encode('utf-8') == raw
print(len(good), len(bad))
PY
  [[ -s dl.ndjson ]]
}

@test "reasons and positions are specific" {
  printf '%s\n' '{"a":1' '{"a" 1}' '{"a":tru}' '{"a":01}' '{"a":"\q"}' '[1,2,]' '{"a":1} x' '[1,}' > bad.ndjson
  run -0 sp-validate bad.ndjson
  assert_line 'sp-validate: bad.ndjson: line 1: truncated: end of line inside an object (byte 7)'
  assert_line "sp-validate: bad.ndjson: line 2: expected ':' after an object key, got '1' (byte 6)"
  assert_line "sp-validate: bad.ndjson: line 3: invalid literal, expected 'true' (byte 6)"
  assert_line 'sp-validate: bad.ndjson: line 4: invalid number: leading zero (byte 6)'
  assert_line "sp-validate: bad.ndjson: line 5: invalid escape '\\q' in a string (byte 7)"
  assert_line "sp-validate: bad.ndjson: line 6: trailing ',' before ']' (byte 6)"
  assert_line "sp-validate: bad.ndjson: line 7: unexpected 'x' after the JSON value (byte 9)"
  assert_line "sp-validate: bad.ndjson: line 8: unexpected '}', expected a JSON value (byte 4)"
  assert_line 'sp-validate: 8 records rejected and not kept (--dead-letter FILE keeps them)'
}

@test "dead-letter entries carry source, line, offset, error and raw text; file is private" {
  printf '{"ok":1}\n{"bad":\n{"ok":2}\n' > in.ndjson
  run -0 --separate-stderr sp-validate --dead-letter dl.ndjson in.ndjson
  assert_output $'{"ok":1}\n{"ok":2}'
  [[ $stderr == "sp-validate: 1 records rejected, written to dl.ndjson" ]]
  run jq -c . dl.ndjson
  assert_output '{"source":"in.ndjson","line":2,"offset":9,"error":"truncated: end of line inside an object (byte 8)","raw":"{\"bad\":"}'
  [[ $(stat -c %a dl.ndjson) == 600 ]]
}

@test "invalid UTF-8 is rejected and its exact bytes are kept as base64" {
  printf '{"a":"caf\xe9"}\n{"a":"ok"}\n' > in.ndjson
  run -0 --separate-stderr sp-validate --dead-letter dl.ndjson in.ndjson
  assert_output '{"a":"ok"}'
  run -0 jq -r .raw_base64 dl.ndjson
  diff <(echo "$output" | base64 -d) <(head -1 in.ndjson | tr -d '\n')
  run -0 jq -r .error dl.ndjson
  assert_output --partial "invalid UTF-8"
}

@test "NUL bytes, a binary file and truncated JSON: no crash, clear reasons, good lines kept" {
  printf '{"a":"x\0y"}\n{"a":1}\n\0\0\0\n' > nul.ndjson
  run -0 --separate-stderr sp-validate --dead-letter dl.ndjson nul.ndjson
  assert_output '{"a":1}'
  run -0 jq -r .error dl.ndjson
  assert_line --index 0 --partial "control character U+0000"
  head -c 300000 /dev/urandom > random.bin
  printf '\n{"after":"binary"}\n' >> random.bin
  run sp-validate -q --dead-letter dl2.ndjson random.bin
  assert_success
  assert_line '{"after":"binary"}'
}

@test "CRLF endings are accepted, empty lines skipped and counted, a last line without newline kept" {
  printf '{"a":1}\r\n\r\n\n   \n{"a":2}\r\n{"a":3}' > crlf.ndjson
  run -0 sp-validate --stats crlf.ndjson
  assert_line --index 0 '{"a":1}'
  assert_line --index 1 '{"a":2}'
  assert_line --index 2 '{"a":3}'
  assert_line --partial '"records_in":3,"records_out":3,"rejected":0,"empty_lines":3'
}

@test "empty input: no output, exit 0" {
  : > empty.ndjson
  run -0 sp-validate empty.ndjson
  assert_output ""
  run -0 sp-validate < /dev/null
  assert_output ""
}

@test "a 100 MB line is rejected by the default limit and the next line still passes" {
  python3 -c "
import sys
sys.stdout.write('{\"a\":1}\n{\"big\":\"' + 'x' * 100_000_000 + '\"}\n{\"b\":2}\n')" > huge.ndjson
  run -0 --separate-stderr sp-validate --dead-letter dl.ndjson huge.ndjson
  assert_output $'{"a":1}\n{"b":2}'
  run -0 jq -r '[.line, .raw_truncated, .raw_bytes, .error] | @tsv' dl.ndjson
  assert_output $'2\ttrue\t100000010\tline is 100000010 bytes, longer than --max-line-bytes (67108864)'
}

@test "--max-line-bytes raises and lowers the limit" {
  python3 -c "print('{\"big\":\"' + 'x' * 100_000_000 + '\"}')" > huge.ndjson
  run -0 sp-validate --max-line-bytes 200M huge.ndjson -o out.ndjson
  cmp huge.ndjson out.ndjson
  printf '{"a":"0123456789"}\n{"b":1}\n' > small.ndjson
  run -0 sp-validate --max-line-bytes 10 small.ndjson
  assert_line '{"b":1}'
  assert_line --partial 'line 1: line is 18 bytes, longer than --max-line-bytes (10)'
  run -2 sp-validate --max-line-bytes 12Q small.ndjson
  assert_output --partial "unknown size unit 'Q'"
}

@test "zstd and gzip inputs are detected by content, from files and from stdin" {
  events ev.ndjson 500
  zstd -q -c ev.ndjson > ev.zst
  gzip -c ev.ndjson > ev.gz
  cp ev.zst ev-no-suffix
  sp-validate ev.zst > a
  sp-validate < ev.gz > b
  sp-validate ev-no-suffix > c
  cmp ev.ndjson a
  cmp ev.ndjson b
  cmp ev.ndjson c
}

@test "truncated compressed input is an error naming the file" {
  events ev.ndjson 500
  zstd -q -c ev.ndjson | head -c 5000 > cut.zst
  run -1 sp-validate cut.zst -o /dev/null
  assert_output --partial "cut.zst"
  assert_output --partial "zstd"
}

@test "--compress zstd and -o FILE.zst write zstd" {
  events ev.ndjson 300
  sp-validate --compress zstd ev.ndjson > out.zst
  zstd -q -d -c out.zst | cmp - ev.ndjson
  sp-validate ev.ndjson -o out2.ndjson.zst
  zstd -q -d -c out2.ndjson.zst | cmp - ev.ndjson
}

@test "--strict exits 3 when a record was rejected, 0 otherwise" {
  printf '{"a":1}\n{"a":\n' > in.ndjson
  run -3 sp-validate --strict -q in.ndjson
  printf '{"a":1}\n' > ok.ndjson
  run -0 sp-validate --strict ok.ndjson
}

@test "--stats prints one JSON summary on stderr with exact counts" {
  printf '{"a":1}\n\n{"a":\n{"b":2}\n' > in.ndjson
  sp-validate --stats -q in.ndjson 2> stderr.txt > /dev/null
  # The summary is the last line of stderr (after the count of records not kept).
  tail -n 1 stderr.txt > stats.json
  run -0 jq -r '[.program, .records_in, .records_out, .rejected, .empty_lines, .malformed, .bytes_in, .bytes_out] | @tsv' stats.json
  assert_output $'sp-validate\t3\t2\t1\t1\t1\t23\t16'
}

@test "--metrics-file writes Prometheus text with the counters" {
  events ev.ndjson 1000
  run -0 sp-validate --metrics-file m.prom ev.ndjson -o /dev/null
  assert_file_exists m.prom
  run grep -E '^sp_records_in_total\{program="sp-validate"\} 1000$' m.prom
  assert_success
  run grep -c '^# TYPE sp_' m.prom
  (( output >= 7 ))
  run -1 sp-validate --metrics-file /nonexistent/dir/m.prom ev.ndjson
  assert_output --partial "cannot write metrics file"
}

@test "--config reads options from TOML; a bad config is a usage error" {
  printf '{"a":1}\n{"a":\n' > in.ndjson
  printf 'dead-letter = "dl.ndjson"\nstrict = true\n' > sp.toml
  run -3 sp-validate --config sp.toml in.ndjson
  assert_file_exists dl.ndjson
  printf 'no-such-option = 1\n' > bad.toml
  run -2 sp-validate --config bad.toml in.ndjson
  assert_output --partial "no-such-option"
  run -2 sp-validate --config missing.toml in.ndjson
}

@test "a missing input file is reported, the other inputs are still processed, exit 1" {
  printf '{"a":1}\n' > a.ndjson
  run -1 sp-validate nope.ndjson a.ndjson
  assert_line 'sp-validate: nope.ndjson: No such file or directory'
  assert_line '{"a":1}'
}

@test "record errors are summarized after the first ten; -q hides them; -v shows all" {
  for i in $(seq 25); do echo '{"bad":'; done > bad.ndjson
  run -0 sp-validate bad.ndjson
  [[ $(grep -c ': line ' <<<"$output") == 10 ]]
  assert_line 'sp-validate: 15 more record errors not shown (-v shows all)'
  run -0 sp-validate -q bad.ndjson
  assert_output 'sp-validate: 25 records rejected and not kept (--dead-letter FILE keeps them)'
  run -0 sp-validate -v bad.ndjson
  [[ $(grep -c ': line ' <<<"$output") == 25 ]]
}

@test "a closed stdout (| head -1) ends the program quietly with exit 0" {
  events ev.ndjson 20000
  run bash -c 'sp-validate ev.ndjson 2>err.txt | head -1 > /dev/null; echo "${PIPESTATUS[0]}"'
  assert_output "0"
  assert_file_empty err.txt
}

@test "a full disk is an error with exit 1" {
  events ev.ndjson 2000
  run -1 sp-validate ev.ndjson -o /dev/full
  assert_output --partial "No space left on device"
}

@test "SIGTERM flushes what was read and exits 0" {
  mkfifo in.fifo
  sp-validate < in.fifo > out.ndjson 2> err.txt &
  local pid=$!
  exec 7> in.fifo
  printf '{"a":1}\n{"a":2}\n' >&7
  # The records move as soon as they are read, before any end of input.
  for _ in $(seq 50); do [[ $(wc -l < out.ndjson) == 2 ]] && break; sleep 0.1; done
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  exec 7>&-
  [[ $rc == 0 ]] || fail "exit status $rc: $(cat err.txt)"
  assert_equal "$(cat out.ndjson)" $'{"a":1}\n{"a":2}'
}
